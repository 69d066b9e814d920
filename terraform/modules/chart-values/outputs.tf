output "values" {
  description = "Chart values as an object: serviceAccount {name, annotations}, image {repository, tag}, config {storageUrl, s3Region | gcsSignerEmail}, and when set ingress {enabled, className, annotations} and autoscaling {enabled}."
  value       = local.values
}

output "yaml" {
  description = "The same values as YAML, for `helm install -f` or helm_release.values."
  value       = yamlencode(local.values)
}
