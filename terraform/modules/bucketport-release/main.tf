module "values" {
  source = "../chart-values"

  service_account_name        = var.service_account_name
  service_account_annotations = var.service_account_annotations
  image_repository            = var.image_repository
  image_tag                   = var.image_tag
  storage_url                 = var.storage_url
  s3_region                   = var.s3_region
  gcs_signer_email            = var.gcs_signer_email
  ingress_class_name          = var.ingress_class_name
  ingress_annotations         = var.ingress_annotations
  gke_ingress_hosts           = var.gke_ingress_hosts
  autoscaling                 = var.autoscaling
}

resource "helm_release" "this" {
  name             = var.release_name
  namespace        = var.namespace
  create_namespace = var.create_namespace
  repository       = var.chart_repository
  chart            = var.chart
  version          = var.chart_version

  # Roll back a failed upgrade instead of leaving a half-applied release.
  atomic          = true
  cleanup_on_fail = true
  wait            = true
  timeout         = var.timeout_seconds
  max_history     = 10

  # The cloud wiring comes last so that nothing in extra_values (deploy/values-*.yaml, the
  # tokens) can point the release at another bucket, image or identity.
  values = concat(var.extra_values, [module.values.yaml])

  set = [for k, v in var.set_values : { name = k, value = v }]
}
