# The first six come from the first stage:
#   terraform -chdir=terraform/aws output -json release_inputs > terraform/aws/release/stage1.auto.tfvars.json

variable "region" {
  description = "AWS region of the cluster and bucket (first stage output)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "cluster_name" {
  description = "EKS cluster to install into (first stage output)."
  type        = string

  validation {
    condition     = can(regex("^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$", var.cluster_name))
    error_message = "cluster_name must be a valid EKS cluster name."
  }
}

variable "namespace" {
  description = "Namespace of the release; must be the one the pod identity association names (first stage output)."
  type        = string
  default     = "bucketport"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a DNS-1123 label."
  }
}

variable "service_account_name" {
  description = "Service account the chart creates; must be the one the association names (first stage output)."
  type        = string
  default     = "bucketport"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", var.service_account_name))
    error_message = "service_account_name must be a DNS-1123 subdomain."
  }
}

variable "image_repository" {
  description = "ECR repository URL (first stage output)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/.+$", var.image_repository))
    error_message = "image_repository must be an ECR repository URL."
  }
}

variable "storage_url" {
  description = "s3:// URL of the bucket (first stage output)."
  type        = string

  validation {
    condition     = startswith(var.storage_url, "s3://")
    error_message = "storage_url must be an s3:// URL."
  }
}

variable "image_tag" {
  description = "Image tag to deploy (the ECR repository has immutable tags); null keeps the chart's appVersion."
  type        = string
  default     = null

  validation {
    condition     = var.image_tag == null || var.image_tag != "latest"
    error_message = "Deploy an immutable version tag, not latest."
  }
}

variable "release_name" {
  description = "Helm release name."
  type        = string
  default     = "bucketport"
}

variable "chart" {
  description = "Chart path or name; the default is this repository's chart."
  type        = string
  default     = "../../../helm/bucketport"
}

variable "chart_repository" {
  description = "Chart repository (https:// or oci://) when chart is a name, e.g. the published OCI chart."
  type        = string
  default     = null
}

variable "chart_version" {
  description = "Chart version when installing from chart_repository."
  type        = string
  default     = null
}

variable "extra_values" {
  description = "Further values files (YAML strings), applied before the cloud wiring (which wins), e.g. file(\"../../../deploy/values-eks.yaml\")."
  type        = list(string)
  default     = []
}
