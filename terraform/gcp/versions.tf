terraform {
  required_version = ">= 1.10"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 7.0"
    }
    # The network module uses it too; service identities (CMEK grants) are beta-only.
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "~> 7.0"
    }
  }

  # Remote state (recommended). Create the bucket once (versioning on), then uncomment and
  # run `terraform init -migrate-state`. The GCS backend locks natively.
  # backend "gcs" {
  #   bucket = "acme-terraform-state"
  #   prefix = "bucketport/gcp"
  # }
}

provider "google" {
  project = var.project_id
  region  = var.region

  default_labels = local.labels
}

provider "google-beta" {
  project = var.project_id
  region  = var.region

  default_labels = local.labels
}
