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
  command = apply

  assert {
    condition     = google_storage_bucket_iam_member.workload.member == "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-files.svc.id.goog/subject/ns/files/sa/api"
    error_message = "The bucket must be bound to the principal:// identifier of the KSA."
  }

  assert {
    condition     = google_storage_bucket_iam_member.workload.role == google_project_iam_custom_role.objects.name
    error_message = "The workload gets the custom object role."
  }

  assert {
    condition     = toset(google_project_iam_custom_role.objects.permissions) == toset(["storage.objects.create", "storage.objects.delete", "storage.objects.get", "storage.objects.list", "storage.objects.update"])
    error_message = "The object role holds exactly what the GCS adapter calls."
  }

  assert {
    condition     = google_storage_bucket_iam_member.signer.role == google_project_iam_custom_role.signed_urls.name && toset(google_project_iam_custom_role.signed_urls.permissions) == toset(["storage.objects.create", "storage.objects.delete", "storage.objects.get"])
    error_message = "The signer may do what its signed GET and PUT URLs do, and no listing."
  }

  assert {
    condition     = google_service_account_iam_member.signer_sign_blob.role == google_project_iam_custom_role.sign_blob.name && google_service_account_iam_member.signer_sign_blob.member == output.principal
    error_message = "The KSA principal may sign as the signer."
  }

  assert {
    condition     = google_project_iam_custom_role.sign_blob.permissions == toset(["iam.serviceAccounts.signBlob"])
    error_message = "Signing grants signBlob and nothing else."
  }
}

run "rejects_a_bad_role_prefix" {
  command = plan

  variables {
    role_id_prefix = "bucket-port"
  }

  expect_failures = [var.role_id_prefix]
}
