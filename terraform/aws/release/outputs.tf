output "release" {
  description = "Name, namespace, chart version and status of the Helm release."
  value       = module.release.release
}

output "values_yaml" {
  description = "The cloud wiring values given to the chart (modules/chart-values)."
  value       = module.release.values_yaml
}

output "ingress_class_name" {
  description = "The IngressClass this stage made for the chart's Ingress (null: none)."
  value       = one(kubernetes_ingress_class_v1.alb[*].metadata[0].name)
}
