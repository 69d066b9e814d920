output "values_yaml" {
  description = "The cloud wiring values passed to the chart."
  value       = module.values.yaml
}

output "release" {
  description = "Name, namespace, chart version and status of the release."
  value = {
    name      = helm_release.this.name
    namespace = helm_release.this.namespace
    version   = helm_release.this.version
    status    = helm_release.this.status
  }
}
