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
  description = "Annotations for the service account: eks.amazonaws.com/role-arn with IRSA; empty with EKS Pod Identity and GKE's direct Workload Identity binding."
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
  description = "Image tag to deploy (image.tag): the tag CI pushed to image_repository, e.g. 1.0.0."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && var.image_tag != "latest"
    error_message = "image_tag must be a valid OCI tag, and an immutable version rather than latest."
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

variable "ingress_class_name" {
  description = "IngressClass the chart's Ingress uses (ingress.enabled and ingress.className); null leaves the chart's ingress settings alone."
  type        = string
  default     = null

  validation {
    condition     = var.ingress_class_name == null || can(regex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", var.ingress_class_name))
    error_message = "ingress_class_name must be a DNS-1123 subdomain or null."
  }
}

variable "ingress_annotations" {
  description = "Annotations of the Ingress (with ingress_class_name), e.g. the ALB listener settings."
  type        = map(string)
  default     = {}
}

variable "gke_ingress_hosts" {
  description = "Host names for a GKE Ingress (external Application Load Balancer) with a Google-managed certificate for them, HTTP redirected to HTTPS, a BackendConfig (backend timeout, health check on /readyz) and config.keepAliveSeconds 620 (above the balancer's 600 s). Empty: no GKE wiring. Not with ingress_class_name."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for host in var.gke_ingress_hosts : can(regex("^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\.)+[a-z][-a-z0-9]{0,61}[a-z0-9]$", host))])
    error_message = "gke_ingress_hosts must be fully qualified DNS names (a managed certificate takes no wildcard or IP)."
  }
}

variable "gke_backend_timeout_seconds" {
  description = "With gke_ingress_hosts: how long the load balancer lets one request run (gke.backendTimeoutSeconds); its own default of 30 s cuts multi-GiB transfers."
  type        = number
  default     = 3600

  validation {
    condition     = var.gke_backend_timeout_seconds >= 30 && var.gke_backend_timeout_seconds <= 86400
    error_message = "gke_backend_timeout_seconds must be between 30 and 86400."
  }
}

variable "autoscaling" {
  description = "autoscaling.enabled of the chart (an HPA needs a metrics API in the cluster); null leaves the chart's default."
  type        = bool
  default     = null
}
