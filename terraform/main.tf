provider "google" {
  project = var.project_id
  region  = var.region
  # Billing budgets and Firebase need a quota project when applied with user credentials.
  user_project_override = true
  billing_project       = var.project_id
}

provider "google-beta" {
  project               = var.project_id
  region                = var.region
  user_project_override = true
  billing_project       = var.project_id
}

data "google_project" "this" {
  project_id = var.project_id
  depends_on = [google_project_service.enabled]
}

locals {
  # The workloads, each with a service account of its own (iam.tf), and `push`: the identity
  # Pub/Sub and Cloud Scheduler sign their OIDC tokens as (the code checks that email).
  workloads = toset([
    "listeners", "on_message", "on_intent", "on_broker_event", "on_dead_letter", "sweep", "api",
  ])

  # Every HTTP entry point of functions/main.py, deployed as a gen2 function of the same name
  # (the test reads main.py and this table). ARCHITECTURE.md's timing table: the function timeout
  # (50 s) stays below the intent claim lease (60 s), so a live worker never loses its claim
  # mid-call; push ack deadlines (pubsub.tf) are at least the timeout. `public`: only the
  # dashboard's API is reachable from the internet; the rest accept Pub/Sub and Scheduler only.
  functions = {
    on_message      = { public = false, ingress = "ALLOW_INTERNAL_ONLY", timeout_s = 50, concurrency = 80, memory = "512Mi" }
    on_intent       = { public = false, ingress = "ALLOW_INTERNAL_ONLY", timeout_s = 50, concurrency = 40, memory = "1Gi" }
    on_broker_event = { public = false, ingress = "ALLOW_INTERNAL_ONLY", timeout_s = 50, concurrency = 40, memory = "1Gi" }
    on_dead_letter  = { public = false, ingress = "ALLOW_INTERNAL_ONLY", timeout_s = 50, concurrency = 10, memory = "1Gi" }
    # One sweep at a time: concurrency 1 and one instance; it ends before the next minute.
    sweep = { public = false, ingress = "ALLOW_INTERNAL_ONLY", timeout_s = 50, concurrency = 1, memory = "1Gi" }
    api   = { public = true, ingress = "ALLOW_ALL", timeout_s = 30, concurrency = 80, memory = "512Mi" }
  }

  # Topic → the function its push subscription feeds. No ordering keys anywhere: a nacked
  # message on a key would block every later one on that key (ARCHITECTURE.md).
  topics = {
    messages        = "on_message"
    intents         = "on_intent"
    "broker-events" = "on_broker_event"
  }
  dead_letter_suffix   = "-dead-letter"
  dead_letter_consumer = "on_dead_letter"

  # Push delivery (ARCHITECTURE.md, timing table).
  push = {
    ack_deadline_s        = 60
    minimum_backoff       = "5s"
    maximum_backoff       = "300s"
    max_delivery_attempts = 15
    retention             = "604800s" # 7 days: the intents' TTL (10 days) outlives it
  }

  # Each function checks push tokens for `<push_audience>/<entry point>`, which is also its
  # cloudfunctions.net URL (the audience Cloud Run's invoker check accepts for a function).
  push_audience = "https://${var.region}-${var.project_id}.cloudfunctions.net"

  # Secret Manager secrets: key → secret id. Terraform creates them and says who may read them
  # (secrets.tf); their values are added with gcloud (README, "Deploy") and never pass through
  # Terraform. data_keys: the envelope vault's data keys, one version per key.
  secrets = {
    data_keys          = "copier-data-keys"
    telegram_api_id    = "copier-telegram-api-id"
    telegram_api_hash  = "copier-telegram-api-hash"
    telegram_bot_token = "copier-telegram-bot-token"
    oidc_client_secret = "copier-oidc-client-secret"
  }

  # Settings every function reads (signal_copier.config.Settings.from_env, cloud preset); the
  # listeners read them too (listeners.tf). Secrets appear only by name: the api and the
  # listeners read their values from Secret Manager (secrets.tf says who may).
  function_env = {
    COPIER_MODE                 = "cloud"
    COPIER_ENV                  = "production"
    COPIER_PROJECT              = var.project_id
    COPIER_FIRESTORE_DATABASE   = "(default)"
    COPIER_DATA_KEY_SECRET      = local.secrets.data_keys
    COPIER_PUSH_AUDIENCE        = local.push_audience
    COPIER_PUSH_SERVICE_ACCOUNT = google_service_account.push.email
    COPIER_LOG_LEVEL            = var.log_level
    # Linking Telegram accounts (api) and running their sessions (listeners).
    COPIER_TELEGRAM_API_ID_SECRET   = local.secrets.telegram_api_id
    COPIER_TELEGRAM_API_HASH_SECRET = local.secrets.telegram_api_hash
    # Log In With Telegram (api): OpenID Connect, and the legacy widget with the bot token.
    COPIER_TELEGRAM_CLIENT_ID        = var.telegram_login_client_id
    COPIER_TELEGRAM_REDIRECT_URI     = local.dashboard_url
    COPIER_TELEGRAM_LOGIN_SECRET     = local.secrets.oidc_client_secret
    COPIER_TELEGRAM_BOT_TOKEN_SECRET = local.secrets.telegram_bot_token
    COPIER_TRUSTED_PROXIES           = tostring(var.api_trusted_proxies)
    # The fleet: shards (the api records each linked session's), sessions per listener, and the
    # worker pool the sweep's scale_fleet sizes (listeners.tf).
    COPIER_FLEET_SHARDS   = tostring(var.listener_shards)
    COPIER_FLEET_CAPACITY = tostring(var.listener_capacity)
    COPIER_FLEET_POOL     = local.worker_pool
  }
}
