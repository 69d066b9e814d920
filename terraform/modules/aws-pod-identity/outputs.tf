output "role_arn" {
  description = "ARN of the role the pods assume."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the role the pods assume."
  value       = aws_iam_role.this.name
}

output "association" {
  description = "The pod identity association (cluster, namespace, service account, id); null with mode = irsa."
  value = one([for a in aws_eks_pod_identity_association.this : {
    id              = a.association_id
    cluster_name    = a.cluster_name
    namespace       = a.namespace
    service_account = a.service_account
  }])
}

output "service_account_annotations" {
  description = "Annotations the chart's service account needs: eks.amazonaws.com/role-arn with mode = irsa, none with Pod Identity."
  value       = var.mode == "irsa" ? { "eks.amazonaws.com/role-arn" = aws_iam_role.this.arn } : {}
}
