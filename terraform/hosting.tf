# Firebase on the project: the dashboard (web/) on Hosting, served by `firebase deploy --only
# hosting`, and Firebase Authentication, which the dashboard signs in to with custom tokens the
# api mints after a Telegram login.

resource "google_firebase_project" "this" {
  provider   = google-beta
  project    = var.project_id
  depends_on = [google_project_service.enabled]
}

# /__/firebase/init.json on the Hosting site serves this app's config to the dashboard.
resource "google_firebase_web_app" "dashboard" {
  provider        = google-beta
  project         = var.project_id
  display_name    = "Signal Copier dashboard"
  deletion_policy = "ABANDON"
  depends_on      = [google_firebase_project.this]
}

resource "google_firebase_hosting_site" "dashboard" {
  provider = google-beta
  project  = var.project_id
  site_id  = local.hosting_site_id
  app_id   = google_firebase_web_app.dashboard.app_id
}

locals {
  # firebase.json names no site: `firebase deploy` serves the project's default site, whose id is
  # the project id.
  hosting_site_id = var.hosting_site_id != "" ? var.hosting_site_id : var.project_id
  # Where Log In With Telegram sends the browser back (the page finishes the login there).
  site_url      = "https://${local.hosting_site_id}.web.app/"
  dashboard_url = var.dashboard_url != "" ? var.dashboard_url : local.site_url
}

# Turns Firebase Authentication on. No sign-in provider is enabled: users sign in with custom
# tokens only (Telegram login, checked by the api).
resource "google_identity_platform_config" "auth" {
  project = var.project_id
  authorized_domains = [
    "${local.hosting_site_id}.web.app",
    "${local.hosting_site_id}.firebaseapp.com",
  ]
  depends_on = [google_firebase_project.this]
}
