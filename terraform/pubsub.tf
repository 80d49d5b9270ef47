# The Pub/Sub service agent: it forwards dead letters, so it publishes to the dead-letter topics
# and acknowledges on the subscriptions they come from.
resource "google_project_service_identity" "pubsub" {
  provider = google-beta
  project  = var.project_id
  service  = "pubsub.googleapis.com"
}

locals {
  pubsub_agent = "serviceAccount:${google_project_service_identity.pubsub.email}"
  # Who publishes where, exactly what the code publishes (tests/integration/test_publishers.py
  # drives every workload and compares): listeners → messages; on_message (fan-out, parked
  # follow-ups woken by their target), on_intent, on_broker_event and on_dead_letter (an intent
  # that finishes, or gives up, wakes the follow-ups parked on its message) and the sweep
  # (expired claims, parked follow-ups past their bound, waiting edits) → intents; the sweep
  # (one poll per watched account) → broker-events. The api publishes nothing.
  publishers = {
    "messages/listeners"      = { topic = "messages", workload = "listeners" }
    "intents/on_message"      = { topic = "intents", workload = "on_message" }
    "intents/on_intent"       = { topic = "intents", workload = "on_intent" }
    "intents/on_broker_event" = { topic = "intents", workload = "on_broker_event" }
    "intents/on_dead_letter"  = { topic = "intents", workload = "on_dead_letter" }
    "intents/sweep"           = { topic = "intents", workload = "sweep" }
    "broker-events/sweep"     = { topic = "broker-events", workload = "sweep" }
  }
}

resource "google_pubsub_topic" "topic" {
  #checkov:skip=CKV_GCP_83:Google-managed encryption; a customer-managed key is an operator's choice, not a default.
  for_each   = local.topics
  name       = each.key
  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_topic" "dead_letter" {
  #checkov:skip=CKV_GCP_83:Google-managed encryption; a customer-managed key is an operator's choice, not a default.
  for_each   = local.topics
  name       = "${each.key}${local.dead_letter_suffix}"
  depends_on = [google_project_service.enabled]
}

# Where a dead letter goes if on_dead_letter itself cannot take it: a pull subscription kept for
# 7 days, watched by an alert (monitoring.tf). Nothing is dropped silently.
resource "google_pubsub_topic" "unhandled" {
  #checkov:skip=CKV_GCP_83:Google-managed encryption; a customer-managed key is an operator's choice, not a default.
  name       = "dead-letters-unhandled"
  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_subscription" "unhandled" {
  name                       = "dead-letters-unhandled-hold"
  topic                      = google_pubsub_topic.unhandled.id
  ack_deadline_seconds       = local.push.ack_deadline_s
  message_retention_duration = local.push.retention
  retain_acked_messages      = false
  expiration_policy {
    ttl = "" # never expires
  }
}

# Our own push subscriptions (not Eventarc triggers): only these carry our retry backoff and
# dead-letter policy. OIDC tokens are signed as the push account for the consumer's audience.
resource "google_pubsub_subscription" "push" {
  for_each                   = local.topics
  name                       = "${each.key}-push"
  topic                      = google_pubsub_topic.topic[each.key].id
  ack_deadline_seconds       = local.push.ack_deadline_s
  message_retention_duration = local.push.retention
  enable_message_ordering    = false

  retry_policy {
    minimum_backoff = local.push.minimum_backoff
    maximum_backoff = local.push.maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.key].id
    max_delivery_attempts = local.push.max_delivery_attempts
  }

  push_config {
    push_endpoint = google_cloudfunctions2_function.entry[each.value].url
    oidc_token {
      service_account_email = google_service_account.push.email
      audience              = "${local.push_audience}/${each.value}"
    }
  }

  expiration_policy {
    ttl = "" # never expires
  }

  lifecycle {
    precondition {
      condition     = google_cloudfunctions2_function.entry[each.value].url == "${local.push_audience}/${each.value}"
      error_message = "The function's URL must equal the audience its code checks (COPIER_PUSH_AUDIENCE/<entry point>)."
    }
  }
}

# Each dead-letter topic feeds on_dead_letter, which records what gave up (a dead-lettered intent
# is recorded as failed, with the fills found on the account).
resource "google_pubsub_subscription" "dead_letter" {
  for_each                   = local.topics
  name                       = "${each.key}${local.dead_letter_suffix}-push"
  topic                      = google_pubsub_topic.dead_letter[each.key].id
  ack_deadline_seconds       = local.push.ack_deadline_s
  message_retention_duration = local.push.retention
  enable_message_ordering    = false

  retry_policy {
    minimum_backoff = local.push.minimum_backoff
    maximum_backoff = local.push.maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.unhandled.id
    max_delivery_attempts = local.push.max_delivery_attempts
  }

  push_config {
    push_endpoint = google_cloudfunctions2_function.entry[local.dead_letter_consumer].url
    oidc_token {
      service_account_email = google_service_account.push.email
      audience              = "${local.push_audience}/${local.dead_letter_consumer}"
    }
  }

  expiration_policy {
    ttl = "" # never expires
  }
}

resource "google_pubsub_topic_iam_member" "publisher" {
  for_each = local.publishers
  topic    = google_pubsub_topic.topic[each.value.topic].name
  role     = "roles/pubsub.publisher"
  member   = "serviceAccount:${google_service_account.workload[each.value.workload].email}"
}

resource "google_pubsub_topic_iam_member" "agent_publishes_dead_letters" {
  for_each = local.topics
  topic    = google_pubsub_topic.dead_letter[each.key].name
  role     = "roles/pubsub.publisher"
  member   = local.pubsub_agent
}

resource "google_pubsub_topic_iam_member" "agent_publishes_unhandled" {
  topic  = google_pubsub_topic.unhandled.name
  role   = "roles/pubsub.publisher"
  member = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "agent_acknowledges_push" {
  for_each     = local.topics
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "agent_acknowledges_dead_letters" {
  for_each     = local.topics
  subscription = google_pubsub_subscription.dead_letter[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}
