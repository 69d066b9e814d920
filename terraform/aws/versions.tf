terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.28"
    }
  }

  # Remote state (recommended). Create the bucket once, then uncomment and run
  # `terraform init -migrate-state`. use_lockfile needs Terraform >= 1.10 (no DynamoDB table).
  # backend "s3" {
  #   bucket       = "acme-terraform-state"
  #   key          = "bucketport/aws/terraform.tfstate"
  #   region       = "eu-west-1"
  #   encrypt      = true
  #   use_lockfile = true
  # }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}
