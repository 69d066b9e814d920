resource "google_storage_bucket" "objects" {
  #checkov:skip=CKV_GCP_62:Access logs need a second bucket; use Cloud Audit Logs (Data Access) for an audit trail.
  name          = local.bucket_name
  project       = var.project_id
  location      = var.bucket_location
  storage_class = "STANDARD"
  force_destroy = var.bucket_force_destroy

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  versioning {
    enabled = true
  }

  soft_delete_policy {
    retention_duration_seconds = var.soft_delete_retention_days * 86400
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.noncurrent_version_expiration_days
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      age = var.abort_multipart_after_days
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  dynamic "encryption" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]

    content {
      default_kms_key_name = encryption.value
    }
  }

  # With CMEK the service agent must hold the key first.
  depends_on = [google_project_service.this, google_kms_crypto_key_iam_member.service_agents]
}
