locals {
  # Workload Identity Federation for GKE: the Kubernetes service account itself is the
  # principal; no Google service account is impersonated for bucket access.
  principal = "principal://iam.googleapis.com/projects/${var.project_number}/locations/global/workloadIdentityPools/${var.project_id}.svc.id.goog/subject/ns/${var.namespace}/sa/${var.service_account}"

  # Exactly what the service's GCS adapter (service/storage/gcs.py) needs, no predefined role
  # (roles/storage.objectUser also updates and restores objects, manages folders and XML
  # multipart uploads). tests/terraform/test_least_privilege.py derives the same set from the
  # adapter's code:
  #   get_blob, media download                     -> storage.objects.get
  #   list_blobs (listing, readiness)              -> storage.objects.list
  #   upload_from_string, resumable initiate       -> storage.objects.create, and
  #                                                   storage.objects.delete to replace a key
  #   blob.delete                                  -> storage.objects.delete
  #   blob.patch (SHA-256 metadata after upload)   -> storage.objects.update
  object_permissions = [
    "storage.objects.create",
    "storage.objects.delete",
    "storage.objects.get",
    "storage.objects.list",
    "storage.objects.update",
  ]

  # A V4 signed URL acts with the signer's rights: GET reads, PUT creates or replaces.
  signed_url_permissions = [
    "storage.objects.create",
    "storage.objects.delete",
    "storage.objects.get",
  ]
}

resource "google_project_iam_custom_role" "objects" {
  project     = var.project_id
  role_id     = "${var.role_id_prefix}Objects"
  title       = "bucketport object access"
  description = "Read, write, list, delete objects and update their metadata: what the bucketport service calls."
  permissions = local.object_permissions
}

resource "google_project_iam_custom_role" "signed_urls" {
  project     = var.project_id
  role_id     = "${var.role_id_prefix}SignedUrls"
  title       = "bucketport signed URLs"
  description = "What a signed GET or PUT URL does: read, create or replace objects."
  permissions = local.signed_url_permissions
}

# Only signBlob (V4 signed URLs without a key file); roles/iam.serviceAccountTokenCreator
# would also mint access and ID tokens and sign JWTs as the signer.
resource "google_project_iam_custom_role" "sign_blob" {
  project     = var.project_id
  role_id     = "${var.role_id_prefix}SignBlob"
  title       = "bucketport URL signing"
  description = "Sign bytes as a service account (iam.serviceAccounts.signBlob) and nothing else."
  permissions = ["iam.serviceAccounts.signBlob"]
}

resource "google_storage_bucket_iam_member" "workload" {
  bucket = var.bucket_name
  role   = google_project_iam_custom_role.objects.name
  member = local.principal
}

# V4 signed URLs need a service account to sign through IAM signBlob (no key file).
resource "google_service_account" "signer" {
  project      = var.project_id
  account_id   = var.signer_account_id
  display_name = "bucketport URL signer"
  description  = "Signs V4 URLs for ${var.namespace}/${var.service_account}; has no keys."
}

resource "google_service_account_iam_member" "signer_sign_blob" {
  service_account_id = google_service_account.signer.name
  role               = google_project_iam_custom_role.sign_blob.name
  member             = local.principal
}

# A signed URL acts with the signer's permissions, so the signer may do on this bucket what
# those URLs do, and no more.
resource "google_storage_bucket_iam_member" "signer" {
  bucket = var.bucket_name
  role   = google_project_iam_custom_role.signed_urls.name
  member = google_service_account.signer.member
}
