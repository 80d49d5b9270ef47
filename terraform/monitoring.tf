# Log-based metrics and alerts for what must never go unnoticed. Log filters name the code's
# logger names and messages (the tests check they still exist in the code).

resource "google_monitoring_notification_channel" "email" {
  display_name = "Signal Copier operators"
  type         = "email"
  labels = {
    email_address = var.alert_email
  }
  depends_on = [google_project_service.enabled]
}

locals {
  alert_channels = [google_monitoring_notification_channel.email.id]
  # Cloud Run service names of the functions: underscores become hyphens.
  service_name = { for name in keys(local.functions) : name => replace(name, "_", "-") }
}

# Every delivery to on_dead_letter is a message Pub/Sub gave up on after 15 attempts.
resource "google_logging_metric" "dead_letters" {
  name        = "copier/dead_letters"
  description = "Deliveries of dead-lettered messages to on_dead_letter."
  filter      = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${local.service_name["on_dead_letter"]}\" AND logName=\"projects/${var.project_id}/logs/run.googleapis.com%2Frequests\""
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
  }
}

# A session that failed, was revoked or could not be marked broken (services/fleet_sessions.py).
resource "google_logging_metric" "session_failures" {
  name        = "copier/session_failures"
  description = "Warnings and errors of the listeners' Telegram sessions."
  filter      = "jsonPayload.logger=\"signal_copier.services.fleet_sessions\" AND severity>=WARNING"
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
  }
}

# MetaAPI answered 429 (broker/metaapi/errors.py: "MetaAPI rate limit").
resource "google_logging_metric" "metaapi_throttled" {
  name        = "copier/metaapi_throttled"
  description = "Calls MetaAPI refused with 429 (the intent is redelivered after the advised time)."
  filter      = "jsonPayload.message=~\"MetaAPI rate limit\""
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
  }
}

# Sessions per listener, from each listener's minute report ("listener …: sessions=N …").
resource "google_logging_metric" "listener_sessions" {
  name            = "copier/listener_sessions"
  description     = "Telegram sessions run by one listener, from its minute report."
  filter          = "jsonPayload.logger=\"signal_copier.listener\" AND jsonPayload.message=~\"sessions=[0-9]+\""
  value_extractor = "REGEXP_EXTRACT(jsonPayload.message, \"sessions=([0-9]+)\")"
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "DISTRIBUTION"
  }
  bucket_options {
    linear_buckets {
      num_finite_buckets = 20
      width              = ceil(var.listener_capacity / 20)
      offset             = 0
    }
  }
}

resource "google_monitoring_alert_policy" "dead_letters" {
  display_name          = "Signal Copier: messages dead-lettered"
  combiner              = "OR"
  notification_channels = local.alert_channels
  documentation {
    content = "Pub/Sub gave up on a message after ${local.push.max_delivery_attempts} attempts; on_dead_letter recorded it. Find it in the user's trades or the audit log, and in on-dead-letter's logs."
  }
  conditions {
    display_name = "on_dead_letter received a message"
    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.dead_letters.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "unhandled_dead_letters" {
  display_name          = "Signal Copier: dead letters on_dead_letter could not take"
  combiner              = "OR"
  notification_channels = local.alert_channels
  documentation {
    content = "Messages wait in the pull subscription ${google_pubsub_subscription.unhandled.name} (kept 7 days). Fix on_dead_letter, then replay them."
  }
  conditions {
    display_name = "unhandled dead letters waiting"
    condition_threshold {
      filter          = "resource.type=\"pubsub_subscription\" AND resource.labels.subscription_id=\"${google_pubsub_subscription.unhandled.name}\" AND metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "on_intent_errors" {
  display_name          = "Signal Copier: on_intent error rate"
  combiner              = "OR"
  notification_channels = local.alert_channels
  documentation {
    content = "More than ${var.on_intent_error_ratio * 100}% of on_intent deliveries answered 5xx over 10 minutes (a redelivery asked for: a broker, Firestore or MetaAPI problem). Look at on-intent's logs."
  }
  conditions {
    display_name = "on_intent 5xx ratio"
    condition_prometheus_query_language {
      query               = "sum(rate(run_googleapis_com:request_count{monitored_resource=\"cloud_run_revision\",service_name=\"${local.service_name["on_intent"]}\",response_code_class=\"5xx\"}[10m])) / sum(rate(run_googleapis_com:request_count{monitored_resource=\"cloud_run_revision\",service_name=\"${local.service_name["on_intent"]}\"}[10m])) > ${var.on_intent_error_ratio}"
      duration            = "300s"
      evaluation_interval = "60s"
    }
  }
}

resource "google_monitoring_alert_policy" "sessions_down" {
  display_name          = "Signal Copier: Telegram sessions failing"
  combiner              = "OR"
  notification_channels = local.alert_channels
  documentation {
    content = "Listener sessions logged more than ${var.session_failures_per_10m} failures in 10 minutes (disconnects, revoked sessions, flood waits). Users' bot status pages say which."
  }
  conditions {
    display_name = "session failures"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.session_failures.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.session_failures_per_10m
      duration        = "0s"
      aggregations {
        alignment_period     = "600s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "metaapi_throttled" {
  display_name          = "Signal Copier: MetaAPI rate limits"
  combiner              = "OR"
  notification_channels = local.alert_channels
  documentation {
    content = "MetaAPI answered 429 more than ${var.metaapi_429_per_10m} times in 10 minutes: trades wait for the advised retry time. Ask MetaAPI for a higher quota or lower the functions' concurrency."
  }
  conditions {
    display_name = "MetaAPI 429s"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.metaapi_throttled.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.metaapi_429_per_10m
      duration        = "0s"
      aggregations {
        alignment_period     = "600s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "fleet_at_capacity" {
  display_name          = "Signal Copier: listener fleet at capacity"
  combiner              = "OR"
  notification_channels = local.alert_channels
  documentation {
    content = "A listener runs more than ${var.fleet_capacity_alert_ratio * 100}% of its ${var.listener_capacity} sessions for 15 minutes: scale_fleet is not keeping up (quota, a failing sweep, or the regional instance limit)."
  }
  conditions {
    display_name = "sessions per listener near capacity"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.listener_sessions.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.listener_capacity * var.fleet_capacity_alert_ratio
      duration        = "900s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_PERCENTILE_99"
        cross_series_reducer = "REDUCE_MAX"
      }
    }
  }
}
