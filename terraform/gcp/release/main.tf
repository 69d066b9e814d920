data "google_client_config" "current" {}

data "google_container_cluster" "this" {
  project  = var.project_id
  location = var.location
  name     = var.cluster_name
}

module "release" {
  source = "../../modules/bucketport-release"

  release_name     = var.release_name
  namespace        = var.namespace
  chart            = var.chart
  chart_repository = var.chart_repository
  chart_version    = var.chart_version

  # The bucket and signer are bound to the Kubernetes service account itself
  # (principal://), so it needs no iam.gke.io/gcp-service-account annotation.
  service_account_name = var.service_account_name
  image_repository     = var.image_repository
  image_tag            = var.image_tag
  storage_url          = var.storage_url
  gcs_signer_email     = var.gcs_signer_email
  gke_ingress_hosts    = var.ingress_hosts
  extra_values         = var.extra_values
}
