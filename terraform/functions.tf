# functions/ zipped as-is (main.py, requirements.txt and the signal_copier package) and deployed
# once per entry point. A change anywhere in functions/ changes the object name, so every
# function is rebuilt from the same archive.
data "archive_file" "functions" {
  type        = "zip"
  source_dir  = "${path.module}/../functions"
  output_path = "${path.module}/.build/functions.zip"
  excludes    = ["**/__pycache__/**", "**/*.pyc", "*.egg-info/**"]
}

resource "google_storage_bucket" "sources" {
  #checkov:skip=CKV_GCP_62:Holds only build inputs that Terraform and gcloud write; Cloud Audit Logs record access.
  name                        = "${var.project_id}-copier-sources"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true # only build inputs live here
  versioning {
    enabled = true
  }
  lifecycle_rule {
    condition {
      num_newer_versions = 5
    }
    action {
      type = "Delete"
    }
  }
  depends_on = [google_project_service.enabled]
}

resource "google_storage_bucket_iam_member" "builder_reads_sources" {
  bucket = google_storage_bucket.sources.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.builder.email}"
}

resource "google_storage_bucket_object" "functions" {
  name   = "functions-${data.archive_file.functions.output_md5}.zip"
  bucket = google_storage_bucket.sources.name
  source = data.archive_file.functions.output_path
}

resource "google_cloudfunctions2_function" "entry" {
  #checkov:skip=CKV_GCP_124:The api (only) is public: Firebase Hosting rewrites /api/** to it; CKV2_COPIER_2 keeps every other entry point internal.
  for_each    = local.functions
  name        = each.key
  location    = var.region
  description = "Signal Copier entry point ${each.key} (functions/main.py)."

  build_config {
    runtime         = var.python_runtime
    entry_point     = each.key
    service_account = google_service_account.builder.id
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.functions.name
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.workload[each.key].email
    ingress_settings                 = each.value.ingress
    timeout_seconds                  = each.value.timeout_s
    max_instance_request_concurrency = each.value.concurrency
    available_memory                 = each.value.memory
    available_cpu                    = "1" # concurrency above 1 needs a whole vCPU
    min_instance_count               = lookup(var.function_min_instances, each.key, 0)
    # One sweep at a time, whatever the variable says.
    max_instance_count             = each.key == "sweep" ? 1 : lookup(var.function_max_instances, each.key, 10)
    all_traffic_on_latest_revision = true
    environment_variables          = local.function_env
  }

  depends_on = [
    google_project_iam_member.builder,
    google_storage_bucket_iam_member.builder_reads_sources,
    google_project_iam_member.firestore_user,
  ]
}

# Pub/Sub and Cloud Scheduler call the internal functions as the push account.
resource "google_cloud_run_v2_service_iam_member" "push_invokes" {
  for_each = { for name, function in local.functions : name => function if !function.public }
  name     = google_cloudfunctions2_function.entry[each.key].service_config[0].service
  location = var.region
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.push.email}"
}

# The dashboard's API is public (Firebase Hosting rewrites /api/** to it); it checks Firebase ID
# tokens itself.
resource "google_cloud_run_v2_service_iam_member" "api_public" {
  name     = google_cloudfunctions2_function.entry["api"].service_config[0].service
  location = var.region
  role     = "roles/run.invoker"
  member   = "allUsers"
}
