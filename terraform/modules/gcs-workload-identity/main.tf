locals {
  # Workload Identity Federation for GKE: the Kubernetes service account itself is the
  # principal; no Google service account is impersonated for bucket access.
  principal = "principal://iam.googleapis.com/projects/${var.project_number}/locations/global/workloadIdentityPools/${var.project_id}.svc.id.goog/subject/ns/${var.namespace}/sa/${var.service_account}"
}

resource "google_storage_bucket_iam_member" "workload" {
  bucket = var.bucket_name
  role   = var.bucket_role
  member = local.principal
}

# V4 signed URLs need a service account to sign through IAM signBlob (no key file).
resource "google_service_account" "signer" {
  project      = var.project_id
  account_id   = var.signer_account_id
  display_name = "bucketport URL signer"
  description  = "Signs V4 URLs for ${var.namespace}/${var.service_account}; has no keys."
}

resource "google_service_account_iam_member" "signer_token_creator" {
  service_account_id = google_service_account.signer.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.principal
}

# A signed URL acts with the signer's permissions, so the signer needs object access too.
resource "google_storage_bucket_iam_member" "signer" {
  bucket = var.bucket_name
  role   = var.bucket_role
  member = google_service_account.signer.member
}
