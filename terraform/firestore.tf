# The Firestore database. Its rules and composite indexes are deployed by
# `firebase deploy --only firestore` (firestore.rules, firestore.indexes.json): a ruleset release
# in Terraform would be recreated on every change.
resource "google_firestore_database" "main" {
  name                              = "(default)"
  location_id                       = var.firestore_location
  type                              = "FIRESTORE_NATIVE"
  point_in_time_recovery_enablement = var.firestore_point_in_time_recovery ? "POINT_IN_TIME_RECOVERY_ENABLED" : "POINT_IN_TIME_RECOVERY_DISABLED"
  delete_protection_state           = var.deletion_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  deletion_policy                   = "ABANDON" # `terraform destroy` never deletes traders' records
  depends_on                        = [google_project_service.enabled]
}

locals {
  # TTL policies: collection group → the timestamp field the Firestore adapters write (the test
  # reads the adapters). The adapters set the expiry; the policy only lets Firestore delete the
  # document after it (within about a day):
  # - messages, message_heads: the message's date + 35 days (follow-ups act on 30 days);
  # - intents: the last claim or finish + 10 days (≥ Pub/Sub's 7-day retention + retries);
  # - auth_nonces, ratelimits: login nonces and login-attempt windows, minutes.
  ttl_fields = {
    messages      = "expire_at"
    message_heads = "expire_at"
    intents       = "expire_at"
    auth_nonces   = "expires"
    ratelimits    = "expires"
  }
}

resource "google_firestore_field" "ttl" {
  for_each   = local.ttl_fields
  database   = google_firestore_database.main.name
  collection = each.key
  field      = each.value

  ttl_config {}

  # An expiry only grows and nothing queries it: no single-field index (avoids a write hotspot).
  index_config {}
}
