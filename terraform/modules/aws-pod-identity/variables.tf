variable "mode" {
  description = "How pods assume the role: pod_identity (an EKS Pod Identity association) or irsa (the cluster's IAM OIDC provider and a projected service account token)."
  type        = string
  default     = "pod_identity"

  validation {
    condition     = contains(["pod_identity", "irsa"], var.mode)
    error_message = "mode must be pod_identity or irsa."
  }
}

variable "oidc_provider_arn" {
  description = "ARN of the cluster's IAM OIDC provider (mode = irsa)."
  type        = string
  default     = null
}

variable "oidc_provider" {
  description = "The cluster's OIDC issuer without https:// (mode = irsa), the prefix of the trust's :sub and :aud condition keys."
  type        = string
  default     = null

  validation {
    condition     = var.oidc_provider == null || !startswith(coalesce(var.oidc_provider, "-"), "https://")
    error_message = "oidc_provider is the issuer without https://."
  }
}

variable "cluster_name" {
  description = "Name of the EKS cluster the association is made in."
  type        = string

  validation {
    condition     = can(regex("^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$", var.cluster_name))
    error_message = "cluster_name must be a valid EKS cluster name."
  }
}

variable "cluster_arn" {
  description = "ARN of that cluster; the role trusts Pod Identity sessions tagged with it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:eks:[a-z0-9-]+:[0-9]{12}:cluster/[0-9A-Za-z][A-Za-z0-9_-]*$", var.cluster_arn))
    error_message = "cluster_arn must be an EKS cluster ARN."
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

variable "role_name" {
  description = "Name of the IAM role to create."
  type        = string

  validation {
    condition     = can(regex("^[\\w+=,.@-]{1,64}$", var.role_name))
    error_message = "role_name must be a valid IAM role name (at most 64 characters)."
  }
}

variable "bucket_arn" {
  description = "ARN of the only S3 bucket the role may use."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_arn))
    error_message = "bucket_arn must be an S3 bucket ARN (no object path)."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the bucket; null when the bucket uses SSE-S3."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN or null."
  }
}

variable "region" {
  description = "AWS region of the bucket (scopes KMS use to S3 in that region)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "permissions_boundary_arn" {
  description = "Optional permissions boundary for the role."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
