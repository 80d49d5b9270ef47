# The secrets and who may read them. Values are added with gcloud (README, "Deploy"), so they
# never sit in Terraform's state or variables.

locals {
  # secret key → the workloads that read it.
  secret_readers = {
    # The envelope vault's data keys: everything that decrypts or encrypts credentials or
    # Telegram sessions. on_message never touches the vault.
    data_keys = ["on_intent", "on_broker_event", "on_dead_letter", "sweep", "api", "listeners"]
    # Telegram's application id and hash: the listeners' sessions and the api's login flow.
    telegram_api_id   = ["listeners", "api"]
    telegram_api_hash = ["listeners", "api"]
    # The dashboard's Telegram login (widget hash check, OpenID Connect client).
    telegram_bot_token = ["api"]
    oidc_client_secret = ["api"]
  }
  secret_accessors = merge([
    for secret, readers in local.secret_readers : {
      for workload in readers : "${secret}/${workload}" => { secret = secret, workload = workload }
    }
  ]...)
}

resource "google_secret_manager_secret" "secret" {
  for_each  = local.secrets
  secret_id = each.value
  replication {
    auto {}
  }
  depends_on = [google_project_service.enabled]
}

resource "google_secret_manager_secret_iam_member" "accessor" {
  for_each  = local.secret_accessors
  secret_id = google_secret_manager_secret.secret[each.value.secret].id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.workload[each.value.workload].email}"
}
