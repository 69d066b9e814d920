# The one place that knows the shape of the chart's values (helm/bucketport/values.yaml).
# Null inputs are dropped so the chart's own defaults apply.
locals {
  config = { for k, v in {
    storageUrl     = var.storage_url
    s3Region       = var.s3_region
    gcsSignerEmail = var.gcs_signer_email
  } : k => v if v != null }

  image = { for k, v in {
    repository = var.image_repository
    tag        = var.image_tag
  } : k => v if v != null }

  values = {
    serviceAccount = {
      name        = var.service_account_name
      annotations = var.service_account_annotations
    }
    image  = local.image
    config = local.config
  }
}
