module "pod_identity" {
  source = "../modules/aws-pod-identity"

  cluster_name    = module.eks.cluster_name
  cluster_arn     = module.eks.cluster_arn
  namespace       = var.namespace
  service_account = var.service_account_name
  role_name       = "${var.name}-pod"
  bucket_arn      = aws_s3_bucket.objects.arn
  kms_key_arn     = var.kms_key_arn
  region          = var.region
}

module "chart_values" {
  source = "../modules/chart-values"

  service_account_name = var.service_account_name
  image_repository     = aws_ecr_repository.app.repository_url
  image_tag            = var.image_tag
  storage_url          = "s3://${aws_s3_bucket.objects.id}"
  s3_region            = var.region
}
