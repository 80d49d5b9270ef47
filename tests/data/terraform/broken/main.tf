# Deliberately broken: each resource breaks exactly one rule of terraform/policies, so the tests
# prove every policy can fail (and name the resource it fails on).

resource "google_service_account" "worker" {
  account_id = "worker"
}

resource "google_pubsub_subscription" "no_dead_letter_policy" {
  name  = "no-dead-letter-policy"
  topic = "messages"
  retry_policy {
    minimum_backoff = "5s"
    maximum_backoff = "300s"
  }
  push_config {
    push_endpoint = "https://example.invalid/on_message"
    oidc_token {
      service_account_email = google_service_account.worker.email
      audience              = "https://example.invalid/on_message"
    }
  }
}

resource "google_pubsub_subscription" "no_retry_policy" {
  name  = "no-retry-policy"
  topic = "messages"
  dead_letter_policy {
    dead_letter_topic     = "messages-dead-letter"
    max_delivery_attempts = 15
  }
  push_config {
    push_endpoint = "https://example.invalid/on_message"
    oidc_token {
      service_account_email = google_service_account.worker.email
      audience              = "https://example.invalid/on_message"
    }
  }
}

resource "google_pubsub_subscription" "no_oidc_token" {
  name  = "no-oidc-token"
  topic = "messages"
  retry_policy {
    minimum_backoff = "5s"
    maximum_backoff = "300s"
  }
  dead_letter_policy {
    dead_letter_topic     = "messages-dead-letter"
    max_delivery_attempts = 15
  }
  push_config {
    push_endpoint = "https://example.invalid/on_message"
  }
}

resource "google_cloudfunctions2_function" "public_on_intent" {
  name     = "on_intent"
  location = "us-central1"
  service_config {
    ingress_settings = "ALLOW_ALL"
  }
}

resource "google_project_iam_member" "editor" {
  project = "example"
  role    = "roles/editor"
  member  = "serviceAccount:${google_service_account.worker.email}"
}

resource "google_secret_manager_secret_iam_member" "public_secret" {
  secret_id = "copier-telegram-bot-token"
  role      = "roles/secretmanager.secretAccessor"
  member    = "allUsers"
}

resource "google_secret_manager_secret_iam_member" "default_compute_account" {
  secret_id = "copier-data-keys"
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:123456789-compute@developer.gserviceaccount.com"
}

resource "google_project_iam_member" "project_wide_secret_access" {
  project = "example"
  role    = "roles/secretmanager.secretAccessor"
  member  = "serviceAccount:${google_service_account.worker.email}"
}
