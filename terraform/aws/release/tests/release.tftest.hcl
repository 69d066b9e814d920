# Mock providers: no cluster is contacted and nothing is installed.

mock_provider "aws" {
  mock_data "aws_eks_cluster" {
    defaults = {
      endpoint              = "https://EXAMPLE.gr7.eu-west-1.eks.amazonaws.com"
      certificate_authority = [{ data = "Y2VydA==" }]
    }
  }
}

mock_provider "helm" {}

variables {
  region           = "eu-west-1"
  cluster_name     = "bucketport"
  image_repository = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/bucketport"
  storage_url      = "s3://bucketport-123456789012-eu-west-1"
  image_tag        = "1.0.0"
}

run "release_gets_the_cloud_wiring" {
  command = apply

  assert {
    condition     = output.release.namespace == "bucketport" && output.release.name == "bucketport"
    error_message = "The release goes into the namespace the pod identity association names."
  }

  assert {
    condition = (
      yamldecode(output.values_yaml).config.storageUrl == "s3://bucketport-123456789012-eu-west-1" &&
      yamldecode(output.values_yaml).config.s3Region == "eu-west-1" &&
      yamldecode(output.values_yaml).serviceAccount.name == "bucketport" &&
      yamldecode(output.values_yaml).image.repository == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/bucketport" &&
      yamldecode(output.values_yaml).image.tag == "1.0.0"
    )
    error_message = "The chart must get storage URL, region, service account and image."
  }

  assert {
    condition     = length(yamldecode(output.values_yaml).serviceAccount.annotations) == 0
    error_message = "Pod Identity needs no service account annotation."
  }
}

run "rejects_latest" {
  command = plan

  variables {
    image_tag = "latest"
  }

  expect_failures = [var.image_tag]
}
