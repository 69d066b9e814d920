mock_provider "helm" {}

variables {
  chart            = "../../../helm/bucketport"
  image_repository = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/bucketport"
  image_tag        = "1.0.0"
  storage_url      = "s3://acme-bucketport"
  s3_region        = "eu-west-1"
  extra_values     = ["config:\n  storageUrl: s3://placeholder\nreplicaCount: 3\n"]
  set_values       = { "podDisruptionBudget.enabled" = "true" }
}

run "cloud_wiring_wins_over_environment_files" {
  command = plan

  assert {
    condition     = helm_release.this.values[length(helm_release.this.values) - 1] == output.values_yaml
    error_message = "The cloud wiring must be the last values file."
  }

  assert {
    condition     = helm_release.this.values[0] == var.extra_values[0]
    error_message = "Environment files come first."
  }
}

run "safe_release_defaults" {
  command = plan

  assert {
    condition     = helm_release.this.atomic && helm_release.this.wait && helm_release.this.namespace == "bucketport"
    error_message = "Releases are atomic, wait for readiness and go to the bucketport namespace."
  }

  assert {
    condition     = one(helm_release.this.set).name == "podDisruptionBudget.enabled"
    error_message = "set_values become helm_release.set entries."
  }
}
