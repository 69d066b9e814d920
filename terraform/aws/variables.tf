variable "name" {
  description = "Name of the cluster, and prefix of every resource this root creates."
  type        = string
  default     = "bucketport"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 characters: lowercase letters, digits and hyphens."
  }
}

variable "region" {
  description = "AWS region for every resource."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "tags" {
  description = "Tags added to every resource (through the provider's default_tags)."
  type        = map(string)
  default     = {}
}

# --- network --------------------------------------------------------------------------

variable "vpc_cidr" {
  description = "CIDR of the VPC (/16 or larger): its first quarter holds four private /20 subnets (for a /16), then public and intra /24 subnets."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && try(tonumber(split("/", var.vpc_cidr)[1]) <= 16, false)
    error_message = "vpc_cidr must be an IPv4 CIDR of /16 or larger."
  }
}

variable "az_count" {
  description = "Number of availability zones to spread subnets over (2-4); null takes three, or two where the region has only two. A count the region cannot meet fails at plan."
  type        = number
  default     = null

  validation {
    condition     = var.az_count == null || try(var.az_count >= 2 && var.az_count <= 4 && floor(var.az_count) == var.az_count, false)
    error_message = "az_count must be 2, 3, 4 or null (EKS needs at least two zones; the subnet layout has room for four)."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones (cheaper) instead of one per zone (zone-redundant egress)."
  type        = bool
  default     = true
}

# --- cluster --------------------------------------------------------------------------

variable "kubernetes_version" {
  description = "Kubernetes minor version of the EKS control plane."
  type        = string
  default     = "1.35"

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must look like 1.35."
  }
}

variable "auto_mode" {
  description = "EKS Auto Mode (AWS runs nodes, CNI, CoreDNS and the Pod Identity agent). false: a managed node group plus those add-ons."
  type        = bool
  default     = true
}

variable "node_instance_types" {
  description = "Instance types of the managed node group (auto_mode = false only)."
  type        = list(string)
  default     = ["m7i.large", "m6i.large"]

  validation {
    condition     = length(var.node_instance_types) > 0
    error_message = "node_instance_types needs at least one type."
  }
}

variable "node_min_size" {
  description = "Minimum (and initial) size of the managed node group (auto_mode = false only)."
  type        = number
  default     = 2

  validation {
    condition     = var.node_min_size >= 1
    error_message = "node_min_size must be at least 1."
  }
}

variable "node_max_size" {
  description = "Maximum size of the managed node group (auto_mode = false only)."
  type        = number
  default     = 5

  validation {
    condition     = var.node_max_size >= 1 && var.node_max_size <= 100
    error_message = "node_max_size must be between 1 and 100."
  }
}

variable "endpoint_public_access" {
  description = "Expose the Kubernetes API endpoint publicly (restricted to endpoint_public_access_cidrs)."
  type        = bool
  default     = true
}

variable "endpoint_public_access_cidrs" {
  description = "CIDRs allowed to reach the public API endpoint, e.g. your office or VPN egress. No default on purpose."
  type        = list(string)

  validation {
    condition     = length(var.endpoint_public_access_cidrs) > 0 && alltrue([for c in var.endpoint_public_access_cidrs : can(cidrhost(c, 0))])
    error_message = "endpoint_public_access_cidrs must be a non-empty list of IPv4 CIDRs."
  }
}

variable "enable_cluster_creator_admin_permissions" {
  description = "Give the identity running terraform apply cluster admin through an access entry."
  type        = bool
  default     = true
}

variable "cluster_admin_arns" {
  description = "IAM role or user ARNs that get cluster admin through access entries (not the identity running apply: enable_cluster_creator_admin_permissions covers it)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.cluster_admin_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/", a))])
    error_message = "cluster_admin_arns must be IAM role or user ARNs."
  }
}

variable "autoscaling" {
  description = "Install the metrics-server add-on (the HorizontalPodAutoscaler reads it) and turn the chart's autoscaling on in helm_values and the release stage."
  type        = bool
  default     = true
}

variable "ingress_class_name" {
  description = "Name of the IngressClass (controller eks.amazonaws.com/alb) and IngressClassParams the release stage makes with Auto Mode; helm_values points the chart's Ingress at it. null: no Ingress wiring (auto_mode = false needs its own ingress controller)."
  type        = string
  default     = "alb"

  validation {
    condition     = var.ingress_class_name == null || can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.ingress_class_name))
    error_message = "ingress_class_name must be a DNS-1123 label or null."
  }
}

variable "certificate_arn" {
  description = "ACM certificate for the ALB's HTTPS listener (IngressClassParams certificateARNs); null serves plain HTTP on port 80."
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN or null."
  }
}

# --- workload identity ----------------------------------------------------------------

variable "workload_identity" {
  description = "How pods get the bucket role: pod_identity (EKS Pod Identity association) or irsa (the cluster's OIDC provider; helm_values then annotates the service account with the role ARN)."
  type        = string
  default     = "pod_identity"

  validation {
    condition     = contains(["pod_identity", "irsa"], var.workload_identity)
    error_message = "workload_identity must be pod_identity or irsa."
  }
}

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
  description = "Kubernetes service account of the chart (serviceAccount.name), bound to the pod identity role."
  type        = string
  default     = "bucketport"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", var.service_account_name))
    error_message = "service_account_name must be a DNS-1123 subdomain."
  }
}

# --- bucket ---------------------------------------------------------------------------

variable "bucket_name" {
  description = "Name of the S3 bucket; null derives NAME-ACCOUNT-REGION."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for the bucket and the ECR repository; null uses SSE-S3 and the AWS managed ECR key."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN or null."
  }
}

variable "bucket_force_destroy" {
  description = "Let terraform destroy delete a bucket that still holds objects. Keep false outside throwaway environments."
  type        = bool
  default     = false
}

variable "abort_multipart_after_days" {
  description = "Days after which incomplete multipart uploads are aborted."
  type        = number
  default     = 1

  validation {
    condition     = var.abort_multipart_after_days >= 1
    error_message = "abort_multipart_after_days must be at least 1."
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

# --- registry -------------------------------------------------------------------------

variable "ecr_untagged_expiry_days" {
  description = "Days after which untagged images expire."
  type        = number
  default     = 7

  validation {
    condition     = var.ecr_untagged_expiry_days >= 1
    error_message = "ecr_untagged_expiry_days must be at least 1."
  }
}

variable "ecr_keep_images" {
  description = "Number of newest images kept; older ones expire."
  type        = number
  default     = 100

  validation {
    condition     = var.ecr_keep_images >= 1
    error_message = "ecr_keep_images must be at least 1."
  }
}

variable "image_tag" {
  description = "Image tag helm_values deploys: the tag CI pushed to the ECR repository (e.g. 1.0.0). Changing it changes only outputs."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && var.image_tag != "latest"
    error_message = "image_tag must be a valid OCI tag, and an immutable version rather than latest."
  }
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
  description = "Numeric ID of that repository (`gh api repos/OWNER/REPO --jq .id`), with github_repository_owner_id: the role then trusts only tokens whose customized sub claim carries both IDs (README: Pinning IDs). null: names only."
  type        = string
  default     = null

  validation {
    condition     = var.github_repository_id == null || can(regex("^[0-9]+$", var.github_repository_id))
    error_message = "github_repository_id must be digits."
  }
}

variable "github_repository_owner_id" {
  description = "Numeric ID of the repository's owner (`gh api repos/OWNER/REPO --jq .owner.id`); set together with github_repository_id."
  type        = string
  default     = null

  validation {
    condition     = var.github_repository_owner_id == null || can(regex("^[0-9]+$", var.github_repository_owner_id))
    error_message = "github_repository_owner_id must be digits."
  }
}

variable "github_ref_patterns" {
  description = "Git refs of that repository allowed to assume the role; a trailing * matches a prefix."
  type        = list(string)
  default     = ["refs/heads/main", "refs/tags/v*"]

  validation {
    condition     = length(var.github_ref_patterns) > 0 && alltrue([for r in var.github_ref_patterns : can(regex("^refs/(heads|tags)/[A-Za-z0-9._/-]+\\*?$", r))])
    error_message = "github_ref_patterns must be refs/heads/... or refs/tags/... with at most a trailing *."
  }
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub OIDC provider; false when it already exists (one per account)."
  type        = bool
  default     = true
}
