output "dashboard_url" {
  description = "The dashboard (Firebase Hosting, after `firebase deploy --only hosting,firestore`)."
  value       = google_firebase_hosting_site.dashboard.default_url
}

output "api_url" {
  description = "The api function's URL (the dashboard reaches it at /api through Hosting)."
  value       = google_cloudfunctions2_function.entry["api"].url
}

output "function_urls" {
  description = "Every entry point's URL (internal ones accept Pub/Sub and Scheduler only)."
  value       = { for name, function in google_cloudfunctions2_function.entry : name => function.url }
}

output "topics" {
  description = "Pub/Sub topics and their dead-letter topics."
  value = {
    for topic in keys(local.topics) : topic => {
      topic       = google_pubsub_topic.topic[topic].name
      dead_letter = google_pubsub_topic.dead_letter[topic].name
    }
  }
}

output "unhandled_dead_letters_subscription" {
  description = "Pull subscription holding dead letters on_dead_letter could not take (7 days)."
  value       = google_pubsub_subscription.unhandled.name
}

output "service_accounts" {
  description = "The service account of each workload, and the push invoker."
  value = merge(
    { for name, account in google_service_account.workload : name => account.email },
    { push = google_service_account.push.email, builder = google_service_account.builder.email },
  )
}

output "secrets" {
  description = "Secret Manager secret ids; add their values with gcloud (README, Deploy)."
  value       = { for key, secret in google_secret_manager_secret.secret : key => secret.secret_id }
}

output "listener_image_repository" {
  description = "Where to push the listener image (gcloud builds submit, README)."
  value       = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
}

output "builder_service_account" {
  description = "Full name of the build account, for `gcloud builds submit --service-account`."
  value       = google_service_account.builder.id
}

output "worker_pool" {
  description = "The listeners' worker pool (empty until listener_image is set)."
  value       = one(google_cloud_run_v2_worker_pool.listeners[*].id)
}

output "firebase_web_app_id" {
  description = "The dashboard's Firebase web app id."
  value       = google_firebase_web_app.dashboard.app_id
}
