output "release" {
  description = "Name, namespace, chart version and status of the Helm release."
  value       = module.release.release
}

output "values_yaml" {
  description = "The cloud wiring values given to the chart."
  value       = module.release.values_yaml
}
