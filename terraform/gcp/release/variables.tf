# The first eight come from the first stage:
#   terraform -chdir=terraform/gcp output -json release_inputs > terraform/gcp/release/stage1.auto.tfvars.json

variable "project_id" {
  description = "Project of the cluster (first stage output)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid Google Cloud project ID."
  }
}

variable "location" {
  description = "Region of the cluster (first stage output)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+(-[a-z])?$", var.location))
    error_message = "location must be a region or zone name."
  }
}

variable "cluster_name" {
  description = "GKE cluster to install into (first stage output)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$", var.cluster_name))
    error_message = "cluster_name must be a valid GKE cluster name."
  }
}

variable "namespace" {
  description = "Namespace of the release; must be the one in the bucket's principal:// binding (first stage output)."
  type        = string
  default     = "bucketport"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a DNS-1123 label."
  }
}

variable "service_account_name" {
  description = "Service account the chart creates; must be the one in the principal:// binding (first stage output)."
  type        = string
  default     = "bucketport"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", var.service_account_name))
    error_message = "service_account_name must be a DNS-1123 subdomain."
  }
}

variable "image_repository" {
  description = "Artifact Registry image path (first stage output)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9-]+-docker\\.pkg\\.dev/[^/]+/[^/]+/.+$", var.image_repository))
    error_message = "image_repository must be an Artifact Registry Docker path."
  }
}

variable "storage_url" {
  description = "gs:// URL of the bucket (first stage output)."
  type        = string

  validation {
    condition     = startswith(var.storage_url, "gs://")
    error_message = "storage_url must be a gs:// URL."
  }
}

variable "gcs_signer_email" {
  description = "Signer service account for V4 URLs (first stage output)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9-]+@[a-z0-9-]+\\.iam\\.gserviceaccount\\.com$", var.gcs_signer_email))
    error_message = "gcs_signer_email must be a service account e-mail address."
  }
}

variable "image_tag" {
  description = "Image tag to deploy: the tag CI pushed to the Artifact Registry repository (its tags are immutable)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && var.image_tag != "latest"
    error_message = "image_tag must be a valid OCI tag, and an immutable version rather than latest."
  }
}

variable "ingress_hosts" {
  description = "Host names of the GKE Ingress (from the first stage): a Google-managed certificate, HTTP redirected to HTTPS, a one-hour backend timeout and the matching keep-alive. Empty: no Ingress wiring."
  type        = list(string)
  default     = []
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
  description = "Further values files (YAML strings), applied before the cloud wiring (which wins), e.g. file(\"../../../deploy/values-gke.yaml\")."
  type        = list(string)
  default     = []
}
