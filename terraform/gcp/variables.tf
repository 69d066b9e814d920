variable "project_id" {
  description = "Google Cloud project for every resource (ideally one dedicated to this cluster)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid Google Cloud project ID."
  }
}

variable "region" {
  description = "Region of the cluster (regional), subnet, registry and NAT."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a region name such as europe-west1."
  }
}

variable "name" {
  description = "Name of the cluster, and prefix of every resource this root creates."
  type        = string
  default     = "bucketport"

  validation {
    # The GitHub pool id "NAME-github" must fit 32 characters, the signer account id 30.
    condition     = can(regex("^[a-z][a-z0-9-]{1,21}[a-z0-9]$", var.name))
    error_message = "name must be 3-23 characters: lowercase letters, digits and hyphens."
  }
}

variable "labels" {
  description = "Labels added to every resource that supports them (provider default_labels)."
  type        = map(string)
  default     = {}
}

# --- network --------------------------------------------------------------------------

variable "subnet_cidr" {
  description = "Primary range of the node subnet."
  type        = string
  default     = "10.10.0.0/20"

  validation {
    condition     = can(cidrhost(var.subnet_cidr, 0))
    error_message = "subnet_cidr must be an IPv4 CIDR."
  }
}

variable "pods_cidr" {
  description = "Secondary range for pods."
  type        = string
  default     = "10.64.0.0/14"

  validation {
    condition     = can(cidrhost(var.pods_cidr, 0))
    error_message = "pods_cidr must be an IPv4 CIDR."
  }
}

variable "services_cidr" {
  description = "Secondary range for services."
  type        = string
  default     = "10.68.0.0/20"

  validation {
    condition     = can(cidrhost(var.services_cidr, 0))
    error_message = "services_cidr must be an IPv4 CIDR."
  }
}

# --- cluster --------------------------------------------------------------------------

variable "autopilot" {
  description = "GKE Autopilot (Google runs the nodes). false: a Standard cluster with one autoscaled node pool."
  type        = bool
  default     = true
}

variable "release_channel" {
  description = "GKE release channel; it picks and upgrades the Kubernetes version."
  type        = string
  default     = "REGULAR"

  validation {
    condition     = contains(["RAPID", "REGULAR", "STABLE"], var.release_channel)
    error_message = "release_channel must be RAPID, REGULAR or STABLE."
  }
}

variable "deletion_protection" {
  description = "Refuse terraform destroy of the cluster. Set false and apply before destroying."
  type        = bool
  default     = true
}

variable "master_authorized_cidrs" {
  description = "CIDRs allowed to reach the Kubernetes API, e.g. your office or VPN egress. No default on purpose."
  type        = list(string)

  validation {
    condition     = length(var.master_authorized_cidrs) > 0 && alltrue([for c in var.master_authorized_cidrs : can(cidrhost(c, 0))])
    error_message = "master_authorized_cidrs must be a non-empty list of IPv4 CIDRs."
  }
}

variable "node_machine_type" {
  description = "Machine type of the Standard node pool (autopilot = false only)."
  type        = string
  default     = "e2-standard-2"
}

variable "node_min_count" {
  description = "Minimum nodes per zone of the Standard node pool (autopilot = false only)."
  type        = number
  default     = 1

  validation {
    condition     = var.node_min_count >= 0
    error_message = "node_min_count must not be negative."
  }
}

variable "node_max_count" {
  description = "Maximum nodes per zone of the Standard node pool (autopilot = false only)."
  type        = number
  default     = 3

  validation {
    condition     = var.node_max_count >= 1 && var.node_max_count <= 100
    error_message = "node_max_count must be between 1 and 100."
  }
}

# --- workload identity ----------------------------------------------------------------

variable "namespace" {
  description = "Kubernetes namespace the chart is installed in (shared with the release stage)."
  type        = string
  default     = "bucketport"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a DNS-1123 label."
  }
}

variable "service_account_name" {
  description = "Kubernetes service account of the chart (serviceAccount.name), bound to the bucket and the signer."
  type        = string
  default     = "bucketport"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", var.service_account_name))
    error_message = "service_account_name must be a DNS-1123 subdomain."
  }
}

# --- bucket ---------------------------------------------------------------------------

variable "bucket_name" {
  description = "Name of the GCS bucket (globally unique); null derives NAME-PROJECT_ID."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid bucket name without dots."
  }
}

variable "bucket_location" {
  description = "Location of the bucket: a region (same as the cluster is cheapest) or a multi/dual-region."
  type        = string

  validation {
    condition     = length(var.bucket_location) > 1
    error_message = "bucket_location must be set."
  }
}

variable "bucket_force_destroy" {
  description = "Let terraform destroy delete a bucket that still holds objects. Keep false outside throwaway environments."
  type        = bool
  default     = false
}

variable "soft_delete_retention_days" {
  description = "Days deleted objects stay restorable (0 disables soft delete; otherwise 7-90)."
  type        = number
  default     = 7

  validation {
    condition     = var.soft_delete_retention_days == 0 || (var.soft_delete_retention_days >= 7 && var.soft_delete_retention_days <= 90)
    error_message = "soft_delete_retention_days must be 0 or between 7 and 90."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days a replaced or deleted object version is kept (the undo window)."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "abort_multipart_after_days" {
  description = "Days after which incomplete XML API multipart uploads are aborted."
  type        = number
  default     = 1

  validation {
    condition     = var.abort_multipart_after_days >= 1
    error_message = "abort_multipart_after_days must be at least 1."
  }
}

variable "kms_key_name" {
  description = "Cloud KMS key for the bucket and the registry (CMEK); null uses Google-managed encryption."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_name == null || can(regex("^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$", var.kms_key_name))
    error_message = "kms_key_name must be projects/P/locations/L/keyRings/R/cryptoKeys/K or null."
  }
}

# --- registry -------------------------------------------------------------------------

variable "registry_untagged_expiry_days" {
  description = "Days after which untagged images are deleted."
  type        = number
  default     = 7

  validation {
    condition     = var.registry_untagged_expiry_days >= 1
    error_message = "registry_untagged_expiry_days must be at least 1."
  }
}

variable "image_tag" {
  description = "Image tag helm_values deploys: the tag CI pushed to the Artifact Registry repository (e.g. 1.0.0). Changing it changes only outputs."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && var.image_tag != "latest"
    error_message = "image_tag must be a valid OCI tag, and an immutable version rather than latest."
  }
}

variable "ingress_hosts" {
  description = "Host names the service is reached at (DNS A records to the Ingress address). Set: helm_values and the release stage make a GKE Ingress for them with a Google-managed certificate, HTTP redirected to HTTPS, a one-hour backend timeout and the matching keep-alive. Empty: no Ingress wiring."
  type        = list(string)
  default     = []
}

# --- GitHub Actions -------------------------------------------------------------------

variable "github_repository" {
  description = "GitHub repository (OWNER/REPO) whose workflows may push images and deploy."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must be OWNER/REPO."
  }
}

variable "github_repository_id" {
  description = "Numeric ID of that repository (`gh api repos/OWNER/REPO --jq .id`); pins the trust to it, so a new repository under a reused name is not trusted. null: names only."
  type        = string
  default     = null

  validation {
    condition     = var.github_repository_id == null || can(regex("^[0-9]+$", var.github_repository_id))
    error_message = "github_repository_id must be digits."
  }
}

variable "github_repository_owner_id" {
  description = "Numeric ID of the repository's owner (`gh api repos/OWNER/REPO --jq .owner.id`); pins the trust to it. null: names only."
  type        = string
  default     = null

  validation {
    condition     = var.github_repository_owner_id == null || can(regex("^[0-9]+$", var.github_repository_owner_id))
    error_message = "github_repository_owner_id must be digits."
  }
}

variable "github_ref_patterns" {
  description = "Git refs of that repository accepted by the pool provider; a trailing * matches a prefix."
  type        = list(string)
  default     = ["refs/heads/main", "refs/tags/v*"]

  validation {
    condition     = length(var.github_ref_patterns) > 0 && alltrue([for r in var.github_ref_patterns : can(regex("^refs/(heads|tags)/[A-Za-z0-9._/-]+\\*?$", r))])
    error_message = "github_ref_patterns must be refs/heads/... or refs/tags/... with at most a trailing *."
  }
}

variable "github_deploy_role" {
  description = "Project role that lets the workflows deploy to GKE; null grants none (push only)."
  type        = string
  default     = "roles/container.developer"

  validation {
    condition     = var.github_deploy_role == null || try(contains(["roles/container.developer", "roles/container.clusterViewer"], var.github_deploy_role), false)
    error_message = "github_deploy_role must be roles/container.developer, roles/container.clusterViewer or null."
  }
}
