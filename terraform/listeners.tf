# The listener fleet: a Cloud Run worker pool (no URL, no autoscaler). The sweep's scale_fleet
# step sets its instance count through the Cloud Run Admin API, so Terraform sets it only at
# creation and ignores it afterwards. The pool is created once var.listener_image names a built
# image (README, "Deploy": the first apply runs without it).

resource "google_artifact_registry_repository" "images" {
  #checkov:skip=CKV_GCP_84:Google-managed encryption; a customer-managed key is an operator's choice, not a default.
  repository_id = "copier"
  location      = var.region
  format        = "DOCKER"
  description   = "Signal Copier container images (the listener fleet)."
  depends_on    = [google_project_service.enabled]
}

locals {
  listeners_enabled = var.listener_image != ""
  # The pool's full name, which the sweep's scale_fleet sets the instance count of
  # (COPIER_FLEET_POOL in main.tf): known before the pool exists.
  worker_pool_name = "copier-listeners"
  worker_pool      = "projects/${var.project_id}/locations/${var.region}/workerPools/${local.worker_pool_name}"
}

resource "google_cloud_run_v2_worker_pool" "listeners" {
  count               = local.listeners_enabled ? 1 : 0
  name                = local.worker_pool_name
  location            = var.region
  deletion_protection = var.deletion_protection

  scaling {
    scaling_mode          = "MANUAL"
    manual_instance_count = var.listener_initial_instances
  }

  template {
    service_account = google_service_account.workload["listeners"].email

    containers {
      image = var.listener_image
      resources {
        limits = {
          cpu    = var.listener_cpu
          memory = var.listener_memory
        }
      }

      # listeners/main.py reads the functions' settings (config.Settings), the fleet's among
      # them; Telegram's api_id and api_hash it reads from Secret Manager by name.
      dynamic "env" {
        for_each = local.function_env
        content {
          name  = env.key
          value = env.value
        }
      }
    }
  }

  lifecycle {
    # scale_fleet (the sweep) owns the instance count once the pool exists.
    ignore_changes = [scaling[0].manual_instance_count]
  }

  depends_on = [google_secret_manager_secret_iam_member.accessor]
}

# scale_fleet: read and set the pool's instance count (a custom role on the pool only), follow
# the update's long-running operation, and act as the pool's identity, which Cloud Run requires
# of anyone updating a worker pool.
resource "google_project_iam_custom_role" "fleet_scaler" {
  role_id     = "copierFleetScaler"
  title       = "Signal Copier fleet scaler"
  description = "Read and resize the listeners' worker pool."
  permissions = ["run.workerPools.get", "run.workerPools.update"]
}

resource "google_project_iam_custom_role" "run_operations_reader" {
  role_id     = "copierRunOperationsReader"
  title       = "Signal Copier Cloud Run operations reader"
  description = "Follow the long-running operation of a worker pool update."
  permissions = ["run.operations.get"]
}

resource "google_cloud_run_v2_worker_pool_iam_member" "sweep_scales" {
  count    = local.listeners_enabled ? 1 : 0
  name     = google_cloud_run_v2_worker_pool.listeners[0].name
  location = var.region
  role     = google_project_iam_custom_role.fleet_scaler.id
  member   = "serviceAccount:${google_service_account.workload["sweep"].email}"
}

resource "google_project_iam_member" "sweep_follows_operations" {
  project = var.project_id
  role    = google_project_iam_custom_role.run_operations_reader.id
  member  = "serviceAccount:${google_service_account.workload["sweep"].email}"
}

resource "google_service_account_iam_member" "sweep_acts_as_listeners" {
  service_account_id = google_service_account.workload["listeners"].name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.workload["sweep"].email}"
}
