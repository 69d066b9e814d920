# CMEK (kms_key_name): Cloud Storage and Artifact Registry encrypt with the key as their
# service agents, which must hold cryptoKeyEncrypterDecrypter on it before the bucket and the
# repository are created. The agents are made here (an agent may not exist yet in a fresh
# project); the grant is on the key, which may live in another project.
locals {
  cmek = var.kms_key_name == null ? toset([]) : toset(["storage", "artifactregistry"])
}

data "google_storage_project_service_account" "this" {
  count = var.kms_key_name == null ? 0 : 1

  project    = var.project_id
  depends_on = [google_project_service.this]
}

resource "google_project_service_identity" "artifactregistry" {
  count    = var.kms_key_name == null ? 0 : 1
  provider = google-beta

  project    = var.project_id
  service    = "artifactregistry.googleapis.com"
  depends_on = [google_project_service.this]
}

resource "google_kms_crypto_key_iam_member" "service_agents" {
  for_each = local.cmek

  crypto_key_id = var.kms_key_name
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = "serviceAccount:${each.key == "storage" ? data.google_storage_project_service_account.this[0].email_address : google_project_service_identity.artifactregistry[0].email}"
}
