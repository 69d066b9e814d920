# The one place that knows the shape of the chart's values (helm/bucketport/values.yaml).
# Null inputs are dropped so the chart's own defaults apply; keys a cloud does not use are
# left out entirely (a null in a values file would delete the chart's default instead).
locals {
  gke_ingress = length(var.gke_ingress_hosts) > 0

  config = { for k, v in {
    storageUrl     = var.storage_url
    s3Region       = var.s3_region
    gcsSignerEmail = var.gcs_signer_email
    # Above the Google load balancer's 600 s keep-alive, so the balancer closes idle
    # connections first; otherwise it reuses one the server just closed and answers 502.
    keepAliveSeconds = local.gke_ingress ? 620 : null
  } : k => v if v != null }

  # Optional sections, each present only when its input is set.
  ingress = [for class in(var.ingress_class_name == null ? [] : [var.ingress_class_name]) : {
    ingress = {
      enabled     = true
      className   = class
      annotations = var.ingress_annotations
    }
  }]

  # GKE Ingress (external Application Load Balancer): a Google-managed certificate for the
  # hosts, HTTP redirected to HTTPS, and a BackendConfig whose timeout lets long transfers finish.
  gke = [for hosts in(local.gke_ingress ? [var.gke_ingress_hosts] : []) : {
    ingress = {
      enabled     = true
      annotations = { "kubernetes.io/ingress.class" = "gce" } # GKE reads this, not className
      hosts       = hosts
    }
    gke = {
      managedCertificate    = true
      httpsRedirect         = true
      backendPolicy         = true
      backendTimeoutSeconds = var.gke_backend_timeout_seconds
    }
  }]

  autoscaling = [for enabled in(var.autoscaling == null ? [] : [var.autoscaling]) : {
    autoscaling = { enabled = enabled }
  }]

  base = {
    serviceAccount = {
      name        = var.service_account_name
      annotations = var.service_account_annotations
    }
    image = {
      repository = var.image_repository
      tag        = var.image_tag
    }
    config = local.config
  }

  values = merge(concat([local.base], local.ingress, local.gke, local.autoscaling)...)
}
