# The one place that knows the shape of the chart's values (helm/bucketport/values.yaml).
# Null inputs are dropped so the chart's own defaults apply; keys a cloud does not use are
# left out entirely (a null in a values file would delete the chart's default instead).
locals {
  config = { for k, v in {
    storageUrl     = var.storage_url
    s3Region       = var.s3_region
    gcsSignerEmail = var.gcs_signer_email
  } : k => v if v != null }

  # Optional sections, each present only when its input is set.
  ingress = [for class in(var.ingress_class_name == null ? [] : [var.ingress_class_name]) : {
    ingress = {
      enabled     = true
      className   = class
      annotations = var.ingress_annotations
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

  values = merge(concat([local.base], local.ingress, local.autoscaling)...)
}
