variable "service_account_name" {
  description = "Kubernetes service account the chart creates; cloud identity is bound to it."
  type        = string
  default     = "bucketport"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.service_account_name))
    error_message = "service_account_name must be a DNS-1123 label."
  }
}

variable "service_account_annotations" {
  description = "Annotations for the service account (empty with EKS Pod Identity and GKE direct Workload Identity binding)."
  type        = map(string)
  default     = {}
}

variable "image_repository" {
  description = "Container image repository without tag, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/bucketport."
  type        = string

  validation {
    condition     = length(var.image_repository) > 0 && !strcontains(var.image_repository, "@")
    error_message = "image_repository must be a repository reference without tag or digest."
  }
}

variable "image_tag" {
  description = "Image tag to deploy; null keeps the chart's appVersion."
  type        = string
  default     = null

  validation {
    condition     = var.image_tag == null || can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag must be a valid OCI tag."
  }
}

variable "storage_url" {
  description = "Object store URL for BUCKETPORT_STORAGE_URL: s3://BUCKET[/prefix] or gs://BUCKET[/prefix]."
  type        = string

  validation {
    condition     = can(regex("^(s3|gs)://[a-z0-9][a-z0-9._-]{1,220}[a-z0-9](/.*)?$", var.storage_url))
    error_message = "storage_url must look like s3://BUCKET[/prefix] or gs://BUCKET[/prefix]."
  }
}

variable "s3_region" {
  description = "AWS region of the S3 bucket (config.s3Region); null on GCP."
  type        = string
  default     = null
}

variable "gcs_signer_email" {
  description = "Service account that signs GCS V4 URLs through IAM signBlob (config.gcsSignerEmail); null on AWS."
  type        = string
  default     = null

  validation {
    condition     = var.gcs_signer_email == null || can(regex("^[a-z0-9-]+@[a-z0-9-]+\\.iam\\.gserviceaccount\\.com$", var.gcs_signer_email))
    error_message = "gcs_signer_email must be a service account e-mail address."
  }
}
