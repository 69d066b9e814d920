# Mock providers: no cluster is contacted and nothing is installed.

mock_provider "google" {
  mock_data "google_container_cluster" {
    defaults = {
      endpoint    = "203.0.113.10"
      master_auth = [{ cluster_ca_certificate = "Y2VydA==" }]
    }
  }
}

mock_provider "helm" {}

variables {
  project_id       = "acme-files"
  location         = "europe-west1"
  cluster_name     = "bucketport"
  image_repository = "europe-west1-docker.pkg.dev/acme-files/bucketport/bucketport"
  storage_url      = "gs://bucketport-acme-files"
  gcs_signer_email = "bucketport-signer@acme-files.iam.gserviceaccount.com"
  image_tag        = "1.0.0"
}

run "release_gets_the_cloud_wiring" {
  command = apply

  assert {
    condition     = output.release.namespace == "bucketport" && output.release.name == "bucketport"
    error_message = "The release goes into the namespace of the principal:// binding."
  }

  assert {
    condition = (
      yamldecode(output.values_yaml).config.storageUrl == "gs://bucketport-acme-files" &&
      yamldecode(output.values_yaml).config.gcsSignerEmail == "bucketport-signer@acme-files.iam.gserviceaccount.com" &&
      yamldecode(output.values_yaml).serviceAccount.name == "bucketport" &&
      yamldecode(output.values_yaml).image.repository == "europe-west1-docker.pkg.dev/acme-files/bucketport/bucketport" &&
      yamldecode(output.values_yaml).image.tag == "1.0.0"
    )
    error_message = "The chart must get storage URL, signer, service account and image."
  }

  assert {
    condition     = !contains(keys(yamldecode(output.values_yaml).config), "s3Region")
    error_message = "No S3 settings on GCP."
  }
}

run "custom_namespace" {
  command = apply

  variables {
    namespace            = "files"
    service_account_name = "api"
  }

  assert {
    condition     = output.release.namespace == "files" && yamldecode(output.values_yaml).serviceAccount.name == "api"
    error_message = "namespace and service account must reach the release."
  }
}

run "ingress_hosts_make_the_gke_way_in" {
  command = apply

  variables {
    ingress_hosts = ["files.example.com"]
  }

  assert {
    condition = (
      join(",", yamldecode(output.values_yaml).ingress.hosts) == "files.example.com" &&
      yamldecode(output.values_yaml).gke.managedCertificate &&
      yamldecode(output.values_yaml).config.keepAliveSeconds == 620
    )
    error_message = "ingress_hosts must reach the chart as a GKE Ingress with a managed certificate and the long keep-alive."
  }
}

run "requires_an_image_tag" {
  command = plan

  variables {
    image_tag = "latest"
  }

  expect_failures = [var.image_tag]
}
