output "values" {
  description = "Chart values as an object (serviceAccount, image, config)."
  value       = local.values
}

output "yaml" {
  description = "Chart values as YAML, for `helm install -f` or helm_release.values."
  value       = yamlencode(local.values)
}
