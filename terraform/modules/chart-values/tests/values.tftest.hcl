run "aws_values" {
  command = plan

  variables {
    image_repository = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/bucketport"
    image_tag        = "1.2.3"
    storage_url      = "s3://acme-bucketport"
    s3_region        = "eu-west-1"
  }

  assert {
    condition     = toset(keys(output.values.config)) == toset(["storageUrl", "s3Region"]) && output.values.config.storageUrl == "s3://acme-bucketport" && output.values.config.s3Region == "eu-west-1"
    error_message = "null config keys must be dropped and the others kept."
  }

  assert {
    condition     = output.values.serviceAccount.name == "bucketport" && output.values.image.tag == "1.2.3"
    error_message = "service account name and image tag must reach the values."
  }
}

run "gcp_values_without_tag" {
  command = plan

  variables {
    image_repository = "europe-west1-docker.pkg.dev/acme/bucketport/bucketport"
    storage_url      = "gs://acme-bucketport"
    gcs_signer_email = "bucketport-signer@acme.iam.gserviceaccount.com"
  }

  assert {
    condition     = !contains(keys(output.values.image), "tag")
    error_message = "image.tag must be omitted when image_tag is null."
  }

  assert {
    condition     = output.values.config.gcsSignerEmail == "bucketport-signer@acme.iam.gserviceaccount.com"
    error_message = "gcsSignerEmail must be passed."
  }
}

run "rejects_bad_storage_url" {
  command = plan

  variables {
    image_repository = "example.com/bucketport"
    storage_url      = "file:///tmp/x"
  }

  expect_failures = [var.storage_url]
}
