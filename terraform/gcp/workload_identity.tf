module "workload_identity" {
  source = "../modules/gcs-workload-identity"

  project_id        = var.project_id
  project_number    = data.google_project.this.number
  namespace         = var.namespace
  service_account   = var.service_account_name
  bucket_name       = google_storage_bucket.objects.name
  signer_account_id = "${var.name}-signer"
  role_id_prefix    = replace(var.name, "-", "_")

  # The workload pool exists once the cluster does.
  depends_on = [google_container_cluster.this, google_project_service.this]
}

module "chart_values" {
  source = "../modules/chart-values"

  service_account_name = var.service_account_name
  image_repository     = local.image_repository
  image_tag            = var.image_tag
  storage_url          = "gs://${google_storage_bucket.objects.name}"
  gcs_signer_email     = module.workload_identity.signer_email
  gke_ingress_hosts    = var.ingress_hosts
}
