output "values" {
  description = "Chart values as an object: serviceAccount {name, annotations}, image {repository, tag}, config {storageUrl, s3Region | gcsSignerEmail, keepAliveSeconds with a GKE Ingress}, and when set ingress {enabled, className, annotations} (ingress_class_name), ingress {enabled, annotations, hosts} and gke {managedCertificate, httpsRedirect, backendPolicy, backendTimeoutSeconds} (gke_ingress_hosts), autoscaling {enabled}."
  value       = local.values

  precondition {
    condition     = var.ingress_class_name == null || length(var.gke_ingress_hosts) == 0
    error_message = "Set ingress_class_name (an IngressClass, e.g. EKS) or gke_ingress_hosts (GKE Ingress), not both."
  }
}

output "yaml" {
  description = "The same values as YAML, for `helm install -f` or helm_release.values."
  value       = yamlencode(local.values)
}
