variable "release_name" {
  description = "Helm release name."
  type        = string
  default     = "bucketport"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,51}[a-z0-9])?$", var.release_name))
    error_message = "release_name must be a DNS-1123 label of at most 53 characters."
  }
}

variable "namespace" {
  description = "Namespace to install into (must match the namespace the cloud identity is bound to)."
  type        = string
  default     = "bucketport"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a DNS-1123 label."
  }
}

variable "create_namespace" {
  description = "Let Helm create the namespace (needs cluster-wide rights); the release roots create it themselves and pass false."
  type        = bool
  default     = true
}

variable "chart" {
  description = "Chart reference: a local path (default: this repository's chart) or a chart name in chart_repository."
  type        = string
}

variable "chart_repository" {
  description = "Chart repository URL (https:// or oci://); null when chart is a local path."
  type        = string
  default     = null

  validation {
    condition     = var.chart_repository == null || can(regex("^(https|oci)://", var.chart_repository))
    error_message = "chart_repository must be an https:// or oci:// URL."
  }
}

variable "chart_version" {
  description = "Chart version; null for a local chart."
  type        = string
  default     = null
}

variable "timeout_seconds" {
  description = "Seconds to wait for the release to become ready."
  type        = number
  default     = 600

  validation {
    condition     = var.timeout_seconds >= 60 && var.timeout_seconds <= 3600
    error_message = "timeout_seconds must be between 60 and 3600."
  }
}

variable "service_account_name" {
  description = "Kubernetes service account the chart creates (the one the cloud identity trusts)."
  type        = string
  default     = "bucketport"
}

variable "service_account_annotations" {
  description = "Annotations for the service account (e.g. eks.amazonaws.com/role-arn when using IRSA)."
  type        = map(string)
  default     = {}
}

variable "image_repository" {
  description = "Container image repository without tag."
  type        = string
}

variable "image_tag" {
  description = "Image tag to deploy: the tag CI pushed to image_repository."
  type        = string
}

variable "storage_url" {
  description = "BUCKETPORT_STORAGE_URL: s3://BUCKET or gs://BUCKET."
  type        = string
}

variable "s3_region" {
  description = "AWS region of the S3 bucket; null on GCP."
  type        = string
  default     = null
}

variable "gcs_signer_email" {
  description = "Signer service account for GCS V4 URLs; null on AWS."
  type        = string
  default     = null
}

variable "ingress_class_name" {
  description = "IngressClass for the chart's Ingress (turns the Ingress on); null leaves ingress to the values files."
  type        = string
  default     = null
}

variable "ingress_annotations" {
  description = "Annotations of the Ingress when ingress_class_name is set."
  type        = map(string)
  default     = {}
}

variable "gke_ingress_hosts" {
  description = "Host names for a GKE Ingress with a Google-managed certificate, HTTPS redirect and long backend timeout (modules/chart-values); empty: none."
  type        = list(string)
  default     = []
}

variable "autoscaling" {
  description = "The chart's autoscaling.enabled; null leaves it to the values files."
  type        = bool
  default     = null
}

variable "extra_values" {
  description = "Further values files (YAML strings), applied before the cloud wiring (which wins)."
  type        = list(string)
  default     = []
}

variable "set_values" {
  description = "Single chart values by dotted path, applied last (helm --set)."
  type        = map(string)
  default     = {}
}
