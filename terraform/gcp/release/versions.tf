terraform {
  required_version = ">= 1.10"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 7.0"
    }
    helm = {
      source  = "hashicorp/helm"
      version = "~> 3.1"
    }
  }

  # Keep this stage's state apart from the first stage's (different prefix).
  # backend "gcs" {
  #   bucket = "acme-terraform-state"
  #   prefix = "bucketport/gcp-release"
  # }
}

provider "google" {
  project = var.project_id
}

# The cluster exists already (first stage). The access token is the caller's own
# short-lived OAuth token (gcloud ADC or google-github-actions/auth): nothing stored.
provider "helm" {
  kubernetes = {
    host                   = "https://${data.google_container_cluster.this.endpoint}"
    token                  = data.google_client_config.current.access_token
    cluster_ca_certificate = base64decode(data.google_container_cluster.this.master_auth[0].cluster_ca_certificate)
  }
}
