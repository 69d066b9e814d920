data "aws_eks_cluster" "this" {
  name = var.cluster_name
}

module "release" {
  source = "../../modules/bucketport-release"

  release_name     = var.release_name
  namespace        = var.namespace
  chart            = var.chart
  chart_repository = var.chart_repository
  chart_version    = var.chart_version

  # Pod Identity needs no service account annotation: the association names the
  # namespace and service account.
  service_account_name = var.service_account_name
  image_repository     = var.image_repository
  image_tag            = var.image_tag
  storage_url          = var.storage_url
  s3_region            = var.region
  extra_values         = var.extra_values
}
