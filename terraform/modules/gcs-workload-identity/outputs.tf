output "principal" {
  description = "The principal:// identifier of the Kubernetes service account."
  value       = local.principal
}

output "signer_email" {
  description = "E-mail of the signer service account (chart value config.gcsSignerEmail)."
  value       = google_service_account.signer.email
}

output "bucket_member" {
  description = "Member bound on the bucket for the workload."
  value       = google_storage_bucket_iam_member.workload.member
}

output "object_role" {
  description = "The custom role granted on the bucket to the workload."
  value       = google_project_iam_custom_role.objects.name
}
