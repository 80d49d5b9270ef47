locals {
  apis = toset([
    "artifactregistry.googleapis.com", # the listener image
    "billingbudgets.googleapis.com",   # the budget alert
    "cloudbuild.googleapis.com",       # functions and the listener image are built here
    "cloudfunctions.googleapis.com",   # gen2 functions
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com",  # the sweep, every minute
    "firebase.googleapis.com",        # Firebase project and web app
    "firebasehosting.googleapis.com", # the dashboard
    "firebaserules.googleapis.com",   # `firebase deploy --only firestore` (rules)
    "firestore.googleapis.com",       # the store
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",  # signBlob: the api mints Firebase custom tokens
    "identitytoolkit.googleapis.com", # Firebase Authentication (custom-token sign-in)
    "logging.googleapis.com",         # log-based metrics
    "monitoring.googleapis.com",      # alert policies
    "pubsub.googleapis.com",          # topics and push subscriptions
    "run.googleapis.com",             # functions' services and the listeners' worker pool
    "secretmanager.googleapis.com",   # Telegram, OIDC and the vault's data keys
    "serviceusage.googleapis.com",
    "storage.googleapis.com", # the functions' source archive
  ])
}

resource "google_project_service" "enabled" {
  for_each = local.apis
  project  = var.project_id
  service  = each.value
  # Turning an API off on destroy would break anything else in the project that uses it.
  disable_on_destroy = false
}
