output "role_arn" {
  description = "ARN of the role the pods assume."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the role the pods assume."
  value       = aws_iam_role.this.name
}

output "association" {
  description = "The pod identity association: cluster, namespace, service account and id."
  value = {
    id              = aws_eks_pod_identity_association.this.association_id
    cluster_name    = aws_eks_pod_identity_association.this.cluster_name
    namespace       = aws_eks_pod_identity_association.this.namespace
    service_account = aws_eks_pod_identity_association.this.service_account
  }
}
