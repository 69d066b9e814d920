module "pod_identity" {
  source = "../modules/aws-pod-identity"

  mode              = var.workload_identity
  oidc_provider_arn = module.eks.oidc_provider_arn
  oidc_provider     = module.eks.oidc_provider

  cluster_name    = module.eks.cluster_name
  cluster_arn     = module.eks.cluster_arn
  namespace       = var.namespace
  service_account = var.service_account_name
  role_name       = "${var.name}-pod"
  bucket_arn      = aws_s3_bucket.objects.arn
  kms_key_arn     = var.kms_key_arn
  region          = var.region
}

locals {
  # The IngressClass exists only where Auto Mode runs the ALB controller (the release stage
  # makes it); the listener follows the certificate.
  ingress_class_name = var.auto_mode ? var.ingress_class_name : null
  ingress_annotations = local.ingress_class_name == null ? {} : {
    "alb.ingress.kubernetes.io/target-type"      = "ip"
    "alb.ingress.kubernetes.io/healthcheck-path" = "/readyz"
    "alb.ingress.kubernetes.io/listen-ports"     = var.certificate_arn == null ? "[{\"HTTP\": 80}]" : "[{\"HTTPS\": 443}]"
  }
}

module "chart_values" {
  source = "../modules/chart-values"

  service_account_name        = var.service_account_name
  service_account_annotations = module.pod_identity.service_account_annotations
  image_repository            = aws_ecr_repository.app.repository_url
  image_tag                   = var.image_tag
  storage_url                 = "s3://${aws_s3_bucket.objects.id}"
  s3_region                   = var.region
  ingress_class_name          = local.ingress_class_name
  ingress_annotations         = local.ingress_annotations
  autoscaling                 = var.autoscaling
}
