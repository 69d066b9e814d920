mock_provider "google" {
  mock_resource "google_service_account" {
    defaults = {
      email  = "bucketport-signer@acme-files.iam.gserviceaccount.com"
      name   = "projects/acme-files/serviceAccounts/bucketport-signer@acme-files.iam.gserviceaccount.com"
      member = "serviceAccount:bucketport-signer@acme-files.iam.gserviceaccount.com"
    }
  }
}

variables {
  project_id      = "acme-files"
  project_number  = "123456789012"
  namespace       = "files"
  service_account = "api"
  bucket_name     = "acme-files-objects"
}

run "direct_principal_binding" {
  command = plan

  assert {
    condition     = google_storage_bucket_iam_member.workload.member == "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-files.svc.id.goog/subject/ns/files/sa/api"
    error_message = "The bucket must be bound to the principal:// identifier of the KSA."
  }

  assert {
    condition     = google_storage_bucket_iam_member.workload.role == "roles/storage.objectUser"
    error_message = "The workload gets object access only."
  }

  assert {
    condition     = google_service_account_iam_member.signer_token_creator.role == "roles/iam.serviceAccountTokenCreator" && google_service_account_iam_member.signer_token_creator.member == output.principal
    error_message = "The KSA principal must be token creator on the signer."
  }
}

run "rejects_admin_role" {
  command = plan

  variables {
    bucket_role = "roles/storage.admin"
  }

  expect_failures = [var.bucket_role]
}
