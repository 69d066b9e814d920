output "cluster_name" {
  description = "Name of the GKE cluster."
  value       = google_container_cluster.this.name
}

output "cluster_location" {
  description = "Region of the GKE cluster."
  value       = google_container_cluster.this.location
}

output "kubeconfig_command" {
  description = "Command that writes a kubeconfig entry for the cluster."
  value       = "gcloud container clusters get-credentials ${google_container_cluster.this.name} --region ${var.region} --project ${var.project_id}"
}

output "bucket_name" {
  description = "Name of the GCS bucket."
  value       = google_storage_bucket.objects.name
}

output "storage_url" {
  description = "BUCKETPORT_STORAGE_URL for the service."
  value       = "gs://${google_storage_bucket.objects.name}"
}

output "image_repository" {
  description = "Artifact Registry image path (image.repository)."
  value       = local.image_repository
}

output "workload_principal" {
  description = "principal:// identifier of the chart's Kubernetes service account."
  value       = module.workload_identity.principal
}

output "signer_email" {
  description = "Service account that signs V4 URLs (config.gcsSignerEmail)."
  value       = module.workload_identity.signer_email
}

output "github_workload_identity_provider" {
  description = "workload_identity_provider for google-github-actions/auth."
  value       = google_iam_workload_identity_pool_provider.github.name
}

output "helm_values" {
  description = "Chart values (YAML) from modules/chart-values: serviceAccount (name, no annotations: the bucket is bound to the Kubernetes service account itself), image (the Artifact Registry path and image_tag), config (storageUrl, gcsSignerEmail) and, with ingress_hosts, the GKE Ingress (ingress, gke, config.keepAliveSeconds)."
  value       = module.chart_values.yaml
}

output "github_variables" {
  description = "GitHub Actions repository variables for the release workflow: `gh variable set NAME --body VALUE` for each."
  value = {
    GCP_WORKLOAD_IDENTITY_PROVIDER = google_iam_workload_identity_pool_provider.github.name
    GCP_SERVICE_ACCOUNT            = google_service_account.github.email
    GAR_REPOSITORY                 = local.image_repository
  }
}

output "release_inputs" {
  description = "Inputs of the release stage: `terraform output -json release_inputs > release/stage1.auto.tfvars.json`."
  value = {
    project_id           = var.project_id
    location             = google_container_cluster.this.location
    cluster_name         = google_container_cluster.this.name
    namespace            = var.namespace
    service_account_name = var.service_account_name
    image_repository     = local.image_repository
    storage_url          = "gs://${google_storage_bucket.objects.name}"
    gcs_signer_email     = module.workload_identity.signer_email
    ingress_hosts        = var.ingress_hosts
  }
}
