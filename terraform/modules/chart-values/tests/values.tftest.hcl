run "aws_values" {
  command = plan

  variables {
    image_repository   = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/bucketport"
    image_tag          = "1.2.3"
    storage_url        = "s3://acme-bucketport"
    s3_region          = "eu-west-1"
    ingress_class_name = "alb"
    autoscaling        = true
  }

  assert {
    condition     = toset(keys(output.values.config)) == toset(["storageUrl", "s3Region"]) && output.values.config.storageUrl == "s3://acme-bucketport" && output.values.config.s3Region == "eu-west-1"
    error_message = "null config keys must be dropped and the others kept."
  }

  assert {
    condition     = output.values.serviceAccount.name == "bucketport" && output.values.image.tag == "1.2.3"
    error_message = "service account name and image tag must reach the values."
  }

  assert {
    condition     = output.values.image.repository == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/bucketport"
    error_message = "The image comes from the Terraform-made registry."
  }

  assert {
    condition     = output.values.ingress.enabled && output.values.ingress.className == "alb"
    error_message = "The Ingress must use the IngressClass Terraform makes."
  }

  assert {
    condition     = output.values.autoscaling.enabled
    error_message = "autoscaling must reach the values."
  }

  assert {
    condition     = yamldecode(output.yaml).image.tag == "1.2.3"
    error_message = "The YAML output carries the same values."
  }
}

run "gcp_values" {
  command = plan

  variables {
    image_repository = "europe-west1-docker.pkg.dev/acme/bucketport/bucketport"
    image_tag        = "1.2.3"
    storage_url      = "gs://acme-bucketport"
    gcs_signer_email = "bucketport-signer@acme.iam.gserviceaccount.com"
  }

  assert {
    condition     = output.values.config.gcsSignerEmail == "bucketport-signer@acme.iam.gserviceaccount.com"
    error_message = "gcsSignerEmail must be passed."
  }

  assert {
    condition     = !contains(keys(output.values), "ingress") && !contains(keys(output.values), "autoscaling")
    error_message = "Sections without an input are left out (a null would delete the chart's defaults)."
  }
}

run "requires_an_image_tag" {
  command = plan

  variables {
    image_repository = "example.com/bucketport"
    storage_url      = "s3://acme-bucketport"
    image_tag        = "latest"
  }

  expect_failures = [var.image_tag]
}

run "rejects_bad_storage_url" {
  command = plan

  variables {
    image_repository = "example.com/bucketport"
    image_tag        = "1.0.0"
    storage_url      = "file:///tmp/x"
  }

  expect_failures = [var.storage_url]
}

run "gke_ingress_values" {
  command = plan

  variables {
    image_repository  = "europe-west1-docker.pkg.dev/acme/bucketport/bucketport"
    image_tag         = "1.2.3"
    storage_url       = "gs://acme-bucketport"
    gcs_signer_email  = "bucketport-signer@acme.iam.gserviceaccount.com"
    gke_ingress_hosts = ["files.example.com"]
  }

  assert {
    condition     = output.values.ingress.enabled && join(",", output.values.ingress.hosts) == "files.example.com" && output.values.ingress.annotations["kubernetes.io/ingress.class"] == "gce"
    error_message = "The GKE Ingress must be on, for the hosts, with the gce class annotation."
  }

  assert {
    condition     = output.values.gke.managedCertificate && output.values.gke.httpsRedirect && output.values.gke.backendPolicy && output.values.gke.backendTimeoutSeconds == 3600
    error_message = "The GKE Ingress gets a managed certificate, the HTTPS redirect and a one-hour backend timeout."
  }

  assert {
    condition     = output.values.config.keepAliveSeconds > 600
    error_message = "The server's keep-alive must outlast the Google load balancer's 600 s."
  }
}

run "one_way_in" {
  command = plan

  variables {
    image_repository   = "example.com/bucketport"
    image_tag          = "1.0.0"
    storage_url        = "gs://acme-bucketport"
    ingress_class_name = "alb"
    gke_ingress_hosts  = ["files.example.com"]
  }

  expect_failures = [output.values]
}

run "gke_hosts_are_dns_names" {
  command = plan

  variables {
    image_repository  = "example.com/bucketport"
    image_tag         = "1.0.0"
    storage_url       = "gs://acme-bucketport"
    gke_ingress_hosts = ["*.example.com"]
  }

  expect_failures = [var.gke_ingress_hosts]
}
