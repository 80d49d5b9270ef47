variable "project_id" {
  type        = string
  description = "The Google Cloud project to deploy into (billing enabled, Blaze plan for Firebase)."
}

variable "region" {
  type        = string
  description = "Region of the functions, the worker pool, the Scheduler job and the images. firebase.json's /api rewrite names no region, so Firebase Hosting sends it to us-central1: add \"region\" to that rewrite if you choose another."
  default     = "us-central1"
}

variable "firestore_location" {
  type        = string
  description = "Firestore location: a multi-region (nam5, eur3) or a region near var.region. Cannot change after creation."
  default     = "nam5"
}

variable "firestore_point_in_time_recovery" {
  type        = bool
  description = "Keep 7 days of point-in-time recovery for Firestore (billed as storage)."
  default     = true
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to delete the Firestore database and the worker pool from Terraform."
  default     = true
}

variable "python_runtime" {
  type        = string
  description = "Cloud Functions runtime for functions/ (the listener image uses Python 3.11 too)."
  default     = "python311"
}

variable "log_level" {
  type        = string
  description = "COPIER_LOG_LEVEL of every workload."
  default     = "INFO"
  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "function_min_instances" {
  type        = map(number)
  description = "Instances kept warm per function (billed while idle). on_intent keeps one so the first trade after a quiet night is not delayed by a cold start."
  default = {
    on_intent = 1
  }
}

variable "function_max_instances" {
  type        = map(number)
  description = "Most instances per function (entry point name → count; 10 where not named). The sweep always runs on one."
  default = {
    on_message      = 50
    on_intent       = 200
    on_broker_event = 50
    on_dead_letter  = 5
    api             = 20
  }
}

variable "listener_image" {
  type        = string
  description = "The listener image (REGION-docker.pkg.dev/PROJECT/copier/listener:TAG). Leave empty on the first apply: the worker pool is created once the image is built (README, Deploy)."
  default     = ""
}

variable "listener_capacity" {
  type        = number
  description = "Telegram sessions one listener runs at most (COPIER_FLEET_CAPACITY)."
  default     = 1000
  validation {
    condition     = var.listener_capacity >= 1
    error_message = "listener_capacity must be at least 1."
  }
}

variable "listener_shards" {
  type        = number
  description = "Lease shards users hash into (COPIER_FLEET_SHARDS). Changing it moves users between shards: drain the fleet first."
  default     = 1024
  validation {
    condition     = var.listener_shards >= 1
    error_message = "listener_shards must be at least 1."
  }
}

variable "listener_initial_instances" {
  type        = number
  description = "Listeners when the worker pool is created; afterwards the sweep's scale_fleet sets the count."
  default     = 1
}

variable "listener_cpu" {
  type        = string
  description = "vCPUs per listener instance (1, 2, 4, 6 or 8)."
  default     = "1"
}

variable "listener_memory" {
  type        = string
  description = "Memory per listener instance (Telethon clients grow with their dialogs: measure with ./dev bench)."
  default     = "2Gi"
}

variable "hosting_site_id" {
  type        = string
  description = "Firebase Hosting site id (the dashboard's https://SITE.web.app). Empty: the project's default site, the one `firebase deploy` serves."
  default     = ""
}

variable "dashboard_url" {
  type        = string
  description = "The dashboard's public URL, where Log In With Telegram returns (COPIER_TELEGRAM_REDIRECT_URI; register it with the login bot). Empty: https://SITE.web.app/."
  default     = ""
  validation {
    condition     = var.dashboard_url == "" || startswith(var.dashboard_url, "https://")
    error_message = "dashboard_url must be an https:// URL (or empty)."
  }
}

variable "telegram_login_client_id" {
  type        = string
  description = "The login bot's OpenID Connect client id (from @BotFather), the audience of Telegram's ID tokens (COPIER_TELEGRAM_CLIENT_ID)."
  validation {
    condition     = can(regex("^[A-Za-z0-9._:-]{1,128}$", var.telegram_login_client_id))
    error_message = "telegram_login_client_id must be the client id @BotFather gave the login bot."
  }
}

variable "api_trusted_proxies" {
  type        = number
  description = "Proxies in front of the api whose X-Forwarded-For entry is trusted, counted from the right (COPIER_TRUSTED_PROXIES): Firebase Hosting's CDN appends the browser's address and Google's front end the CDN's, so 2 rate-limits each browser. A caller of the function's own URL can choose that entry (only the per-IP limits, not the per-user ones, can then be dodged); 0 counts the connection's peer, which is Google's front end for everyone."
  default     = 2
  validation {
    condition     = var.api_trusted_proxies >= 0 && var.api_trusted_proxies <= 10
    error_message = "api_trusted_proxies must be between 0 and 10."
  }
}

variable "alert_email" {
  type        = string
  description = "Where alerts and budget notices are e-mailed."
}

variable "billing_account" {
  type        = string
  description = "Billing account id of the project (XXXXXX-XXXXXX-XXXXXX), for the budget."
}

variable "monthly_budget" {
  type        = number
  description = "Monthly budget in the billing account's currency; notices at 50, 90 and 100 % (and 100 % forecast)."
  default     = 200
}

variable "on_intent_error_ratio" {
  type        = number
  description = "Alert when this share of on_intent deliveries answers 5xx over 10 minutes."
  default     = 0.2
}

variable "session_failures_per_10m" {
  type        = number
  description = "Alert when listener sessions log more failures than this in 10 minutes."
  default     = 50
}

variable "metaapi_429_per_10m" {
  type        = number
  description = "Alert when MetaAPI answers 429 more often than this in 10 minutes."
  default     = 20
}

variable "fleet_capacity_alert_ratio" {
  type        = number
  description = "Alert when a listener runs more than this share of listener_capacity for 15 minutes."
  default     = 0.9
}
