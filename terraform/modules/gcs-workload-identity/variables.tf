variable "project_id" {
  description = "Project that hosts the GKE cluster (its workload pool is PROJECT_ID.svc.id.goog)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid Google Cloud project ID."
  }
}

variable "project_number" {
  description = "Number of that project (used in the principal:// identifier)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{6,20}$", var.project_number))
    error_message = "project_number must be digits only."
  }
}

variable "namespace" {
  description = "Kubernetes namespace of the workload's service account."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a DNS-1123 label."
  }
}

variable "service_account" {
  description = "Kubernetes service account the pods run as."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", var.service_account))
    error_message = "service_account must be a DNS-1123 subdomain."
  }
}

variable "bucket_name" {
  description = "The only bucket the workload (and its signer) may use."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid bucket name."
  }
}

variable "role_id_prefix" {
  description = "Prefix of the two custom project roles' IDs (PREFIXObjects, PREFIXSignedUrls, PREFIXSignBlob). A deleted custom role keeps its ID for 7 days (then 37 days until purged): pick another prefix to recreate sooner."
  type        = string
  default     = "bucketport"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.]{3,50}$", var.role_id_prefix))
    error_message = "role_id_prefix must be 3-50 letters, digits, underscores or dots."
  }
}

variable "signer_account_id" {
  description = "account_id of the signer service account."
  type        = string
  default     = "bucketport-signer"

  validation {
    condition     = can(regex("^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$", var.signer_account_id))
    error_message = "signer_account_id must be 6-30 characters: lowercase letters, digits and hyphens."
  }
}
