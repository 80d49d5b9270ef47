# One service account per workload, with only what that workload does. Roles are granted on the
# resource they concern (a topic, a secret, a function, the worker pool) wherever Google allows
# it; Firestore access can only be granted on the project.

resource "google_service_account" "workload" {
  for_each     = local.workloads
  account_id   = "copier-${replace(each.key, "_", "-")}"
  display_name = "Signal Copier: ${each.key}"
  description  = "Runs the ${each.key} workload of Signal Copier."
  depends_on   = [google_project_service.enabled]
}

# The identity Pub/Sub push subscriptions and the Scheduler job sign their OIDC tokens as. It may
# only invoke the internal functions (functions.tf); the functions check its email themselves.
resource "google_service_account" "push" {
  account_id   = "copier-push"
  display_name = "Signal Copier: push and scheduler invoker"
  description  = "Pub/Sub push subscriptions and the sweep's Scheduler job call the functions as this account."
  depends_on   = [google_project_service.enabled]
}

# Builds the functions (gen2 builds run in Cloud Build) and the listener image (README, Deploy).
resource "google_service_account" "builder" {
  account_id   = "copier-builder"
  display_name = "Signal Copier: builder"
  description  = "Cloud Build runs the functions' and the listener image's builds as this account."
  depends_on   = [google_project_service.enabled]
}

# Firestore has no per-collection IAM: every workload reads and writes documents. firestore.rules
# keep browsers to their own documents; server accounts are trusted code.
resource "google_project_iam_member" "firestore_user" {
  for_each = local.workloads
  project  = var.project_id
  role     = "roles/datastore.user"
  member   = "serviceAccount:${google_service_account.workload[each.key].email}"
}

# Builds push images (the functions' go to the gcf-artifacts repository Cloud Functions creates)
# and write their logs; they read their sources from the sources bucket (functions.tf).
resource "google_project_iam_member" "builder" {
  # A map, not a set: checkov resolves each.value of a map and judges every role.
  for_each = { artifacts = "roles/artifactregistry.writer", logs = "roles/logging.logWriter" }
  project  = var.project_id
  role     = each.value
  member   = "serviceAccount:${google_service_account.builder.email}"
}

# The api signs Firebase custom tokens (signBlob) as itself, and nothing else.
resource "google_service_account_iam_member" "api_token_creator" {
  service_account_id = google_service_account.workload["api"].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${google_service_account.workload["api"].email}"
}

# In production the api refuses ID tokens of revoked sessions: firebase_admin reads the user's
# revocation time (Identity Toolkit accounts:lookup), which needs firebaseauth.users.get.
resource "google_project_iam_member" "api_reads_auth_users" {
  project = var.project_id
  role    = "roles/firebaseauth.viewer"
  member  = "serviceAccount:${google_service_account.workload["api"].email}"
}

# Pub/Sub signs push tokens as the push account (needed for projects created before April 2021;
# harmless after).
resource "google_service_account_iam_member" "pubsub_signs_as_push" {
  service_account_id = google_service_account.push.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}
