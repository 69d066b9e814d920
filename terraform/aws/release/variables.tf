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
  description = "Image tag to deploy: the tag CI pushed to the ECR repository (its tags are immutable)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && var.image_tag != "latest"
    error_message = "image_tag must be a valid OCI tag, and an immutable version rather than latest."
  }
}

variable "service_account_annotations" {
  description = "Annotations of the chart's service account: the IRSA role ARN, or none with Pod Identity (first stage output)."
  type        = map(string)
  default     = {}
}

variable "ingress_class_name" {
  description = "IngressClass (controller eks.amazonaws.com/alb) and IngressClassParams this stage makes, used by the chart's Ingress; null makes none (first stage output)."
  type        = string
  default     = null

  validation {
    condition     = var.ingress_class_name == null || can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.ingress_class_name))
    error_message = "ingress_class_name must be a DNS-1123 label or null."
  }
}

variable "ingress_annotations" {
  description = "Annotations of the chart's Ingress (first stage output)."
  type        = map(string)
  default     = {}
}

variable "certificate_arn" {
  description = "ACM certificate of the ALB's HTTPS listener, set in the IngressClassParams; null: HTTP only (first stage output)."
  type        = string
  default     = null
}

variable "autoscaling" {
  description = "The chart's autoscaling.enabled; the first stage installs metrics-server when true (first stage output)."
  type        = bool
  default     = null
}

variable "deployer_group" {
  description = "Kubernetes group of the GitHub deploy role (first stage output); it may read the cluster-scoped objects this stage makes, so CI can plan and apply it."
  type        = string
  default     = null
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
