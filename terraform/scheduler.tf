# The sweep, every minute (expired claims, parked follow-ups, deals, scale_fleet), called with an
# OIDC token for `<push audience>/sweep` that the function checks.
resource "google_cloud_scheduler_job" "sweep" {
  name             = "copier-sweep"
  description      = "Runs Signal Copier's sweep once a minute."
  schedule         = "* * * * *"
  time_zone        = "Etc/UTC"
  region           = var.region
  attempt_deadline = "60s"

  retry_config {
    retry_count = 0 # the next minute's run is the retry
  }

  http_target {
    http_method = "POST"
    uri         = google_cloudfunctions2_function.entry["sweep"].url
    oidc_token {
      service_account_email = google_service_account.push.email
      audience              = "${local.push_audience}/sweep"
    }
  }

  depends_on = [google_cloud_run_v2_service_iam_member.push_invokes]
}
