output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "Endpoint of the Kubernetes API."
  value       = module.eks.cluster_endpoint
}

output "kubeconfig_command" {
  description = "Command that writes a kubeconfig entry for the cluster."
  value       = "aws eks update-kubeconfig --region ${var.region} --name ${module.eks.cluster_name}"
}

output "bucket_name" {
  description = "Name of the S3 bucket."
  value       = aws_s3_bucket.objects.id
}

output "storage_url" {
  description = "BUCKETPORT_STORAGE_URL for the service."
  value       = "s3://${aws_s3_bucket.objects.id}"
}

output "ecr_repository_url" {
  description = "ECR repository URL (image.repository)."
  value       = aws_ecr_repository.app.repository_url
}

output "pod_role_arn" {
  description = "IAM role the chart's pods get (through EKS Pod Identity, or IRSA with workload_identity = irsa)."
  value       = module.pod_identity.role_arn
}

output "pod_identity_association" {
  description = "Cluster, namespace and service account of the pod identity association; null with IRSA."
  value       = module.pod_identity.association
}

output "github_actions_role_arn" {
  description = "Role for aws-actions/configure-aws-credentials (role-to-assume) in GitHub Actions (also github_variables.AWS_ROLE_ARN)."
  value       = aws_iam_role.github.arn
}

output "helm_values" {
  description = "Chart values (YAML) from modules/chart-values: serviceAccount (name; the IRSA role-arn annotation with workload_identity = irsa), image (the ECR repository and image_tag), config (storageUrl, s3Region), ingress (enabled, className of the Auto Mode IngressClass, ALB annotations) and autoscaling."
  value       = module.chart_values.yaml
}

output "github_variables" {
  description = "GitHub Actions repository variables for the release workflow: `gh variable set NAME --body VALUE` for each."
  value = {
    AWS_REGION     = var.region
    AWS_ROLE_ARN   = aws_iam_role.github.arn
    ECR_REPOSITORY = aws_ecr_repository.app.repository_url
  }
}

output "release_inputs" {
  description = "Inputs of the release stage: `terraform output -json release_inputs > release/stage1.auto.tfvars.json`."
  value = {
    region               = var.region
    cluster_name         = module.eks.cluster_name
    namespace            = var.namespace
    service_account_name = var.service_account_name
    image_repository     = aws_ecr_repository.app.repository_url
    storage_url          = "s3://${aws_s3_bucket.objects.id}"
    # Service account annotations (IRSA's role ARN), Ingress and autoscaling wiring, and what
    # the release stage makes cluster-wide: the IngressClass and the deployers' read access.
    service_account_annotations = module.pod_identity.service_account_annotations
    ingress_class_name          = local.ingress_class_name
    ingress_annotations         = local.ingress_annotations
    certificate_arn             = var.certificate_arn
    autoscaling                 = var.autoscaling
    deployer_group              = local.github_deployer_group
  }
}
