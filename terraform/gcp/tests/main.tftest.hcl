# Runs against a mock provider: no Google Cloud project is touched. The registry module
# (network) is replaced by its outputs; everything this root declares itself is evaluated.
# `command = apply` so that computed attributes are (mock-)known when asserted.

# The network module (terraform-google-modules/network 12.0.0) and the CMEK service identity
# use google-beta: without its mock, terraform test would configure the real provider.
mock_provider "google-beta" {
  mock_resource "google_project_service_identity" {
    defaults = { email = "service-123456789012@gcp-sa-artifactregistry.iam.gserviceaccount.com" }
  }
}

mock_provider "google" {
  mock_data "google_storage_project_service_account" {
    defaults = { email_address = "service-123456789012@gs-project-accounts.iam.gserviceaccount.com" }
  }
  mock_data "google_project" {
    defaults = { number = "123456789012" }
  }
  mock_resource "google_service_account" {
    defaults = {
      email  = "bucketport-signer@acme-files.iam.gserviceaccount.com"
      name   = "projects/acme-files/serviceAccounts/bucketport-signer@acme-files.iam.gserviceaccount.com"
      member = "serviceAccount:bucketport-signer@acme-files.iam.gserviceaccount.com"
    }
  }
  mock_resource "google_iam_workload_identity_pool" {
    defaults = { name = "projects/123456789012/locations/global/workloadIdentityPools/bucketport-github" }
  }
  mock_resource "google_artifact_registry_repository" {
    defaults = { name = "bucketport" }
  }
}

override_module {
  target = module.vpc
  outputs = {
    network_name       = "bucketport"
    network_self_link  = "https://www.googleapis.com/compute/v1/projects/acme-files/global/networks/bucketport"
    subnets_self_links = ["https://www.googleapis.com/compute/v1/projects/acme-files/regions/europe-west1/subnetworks/bucketport-nodes"]
  }
}

variables {
  project_id              = "acme-files"
  region                  = "europe-west1"
  bucket_location         = "europe-west1"
  master_authorized_cidrs = ["203.0.113.0/24"]
  github_repository       = "acme/bucketport"
  image_tag               = "1.0.0"
}

run "bucket_is_private_and_versioned" {
  command = apply

  assert {
    condition     = google_storage_bucket.objects.public_access_prevention == "enforced"
    error_message = "Public access prevention must be enforced."
  }

  assert {
    condition     = google_storage_bucket.objects.uniform_bucket_level_access
    error_message = "Uniform bucket-level access must be on."
  }

  assert {
    condition     = one(google_storage_bucket.objects.versioning).enabled
    error_message = "Versioning must be on."
  }

  assert {
    condition     = one(google_storage_bucket.objects.soft_delete_policy).retention_duration_seconds == 7 * 86400
    error_message = "Soft delete keeps deleted objects for 7 days by default."
  }

  assert {
    condition     = google_storage_bucket.objects.force_destroy == false
    error_message = "The bucket must not be force-destroyable by default."
  }
}

run "workload_is_bound_by_principal" {
  command = apply

  assert {
    condition     = output.workload_principal == "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-files.svc.id.goog/subject/ns/bucketport/sa/bucketport"
    error_message = "The bucket must be bound to the chart's KSA through its principal:// identifier."
  }

  assert {
    condition     = yamldecode(output.helm_values).config.gcsSignerEmail == output.signer_email && yamldecode(output.helm_values).config.storageUrl == "gs://bucketport-acme-files"
    error_message = "helm_values must carry the signer and the storage URL."
  }

  assert {
    condition     = output.release_inputs.namespace == "bucketport" && output.release_inputs.service_account_name == "bucketport"
    error_message = "The release stage must get the bound namespace and service account."
  }
}

run "principal_follows_namespace_variables" {
  command = apply

  variables {
    namespace            = "files"
    service_account_name = "api"
  }

  assert {
    condition     = endswith(output.workload_principal, "/subject/ns/files/sa/api")
    error_message = "namespace and service_account_name must reach the principal:// member."
  }
}

run "cluster_defaults" {
  command = apply

  assert {
    condition     = google_container_cluster.this.enable_autopilot == true
    error_message = "Autopilot is the default."
  }

  assert {
    condition     = google_container_cluster.this.deletion_protection == true
    error_message = "Deletion protection is on by default."
  }

  assert {
    condition     = one(google_container_cluster.this.workload_identity_config).workload_pool == "acme-files.svc.id.goog"
    error_message = "Workload Identity must use the project's pool."
  }

  assert {
    condition     = length(google_container_node_pool.default) == 0
    error_message = "Autopilot has no managed node pool."
  }

  assert {
    condition     = one(google_artifact_registry_repository.app.docker_config).immutable_tags
    error_message = "Image tags must be immutable."
  }
}

run "standard_cluster_option" {
  command = apply

  variables {
    autopilot           = false
    deletion_protection = false
  }

  assert {
    condition     = length(google_container_node_pool.default) == 1
    error_message = "autopilot = false makes a Standard cluster with one node pool."
  }

  assert {
    condition     = one(one(google_container_node_pool.default[0].node_config).workload_metadata_config).mode == "GKE_METADATA"
    error_message = "Standard nodes must use the GKE metadata server."
  }
}

run "github_provider_is_limited_to_the_repository" {
  command = apply

  assert {
    condition     = google_iam_workload_identity_pool_provider.github.attribute_condition == "assertion.repository == 'acme/bucketport' && (assertion.ref == 'refs/heads/main' || assertion.ref.startsWith('refs/tags/v'))"
    error_message = "The pool provider must accept only this repository's allowed refs."
  }

  assert {
    condition     = google_service_account_iam_member.github_workload_identity_user.member == "principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/bucketport-github/attribute.repository/acme/bucketport"
    error_message = "Only this repository's workflows may act as the GitHub service account."
  }

  assert {
    condition     = google_artifact_registry_repository_iam_member.github.member == google_service_account.github.member
    error_message = "Registry write access goes to the GitHub service account."
  }

  assert {
    condition = output.github_variables == {
      GCP_WORKLOAD_IDENTITY_PROVIDER = google_iam_workload_identity_pool_provider.github.name
      GCP_SERVICE_ACCOUNT            = google_service_account.github.email
      GAR_REPOSITORY                 = "europe-west1-docker.pkg.dev/acme-files/bucketport/bucketport"
    }
    error_message = "github_variables must give the release workflow the provider, the account and the image path."
  }

  assert {
    condition     = yamldecode(output.helm_values).image.repository == output.github_variables.GAR_REPOSITORY && yamldecode(output.helm_values).image.tag == "1.0.0"
    error_message = "helm_values deploys image_tag from the repository CI pushes to."
  }

  assert {
    condition     = google_artifact_registry_repository_iam_member.github.role == "roles/artifactregistry.writer"
    error_message = "Workflows push with artifactregistry.writer."
  }
}

run "rejects_bad_soft_delete" {
  command = plan

  variables {
    soft_delete_retention_days = 3
  }

  expect_failures = [var.soft_delete_retention_days]
}

run "rejects_an_empty_api_allow_list" {
  command = plan

  variables {
    master_authorized_cidrs = []
  }

  expect_failures = [var.master_authorized_cidrs]
}

run "push_only_without_deploy_role" {
  command = apply

  variables {
    github_deploy_role = null
  }

  assert {
    condition     = length(google_project_iam_member.github_deploy) == 0
    error_message = "github_deploy_role = null grants no GKE role."
  }
}

run "github_trust_pins_repository_and_owner_ids" {
  command = apply

  variables {
    github_repository_id       = "123456"
    github_repository_owner_id = "7890"
  }

  assert {
    condition     = google_iam_workload_identity_pool_provider.github.attribute_condition == "assertion.repository == 'acme/bucketport' && assertion.repository_id == '123456' && assertion.repository_owner_id == '7890' && (assertion.ref == 'refs/heads/main' || assertion.ref.startsWith('refs/tags/v'))"
    error_message = "With the IDs given, the provider must check them too."
  }
}

run "cmek_grants_the_service_agents_first" {
  command = apply

  variables {
    kms_key_name = "projects/acme-kms/locations/europe-west1/keyRings/ring/cryptoKeys/key"
  }

  assert {
    condition = toset([for g in google_kms_crypto_key_iam_member.service_agents : g.member]) == toset([
      "serviceAccount:service-123456789012@gs-project-accounts.iam.gserviceaccount.com",
      "serviceAccount:service-123456789012@gcp-sa-artifactregistry.iam.gserviceaccount.com",
    ])
    error_message = "The Storage and Artifact Registry service agents must be able to use the key."
  }

  assert {
    condition     = alltrue([for g in google_kms_crypto_key_iam_member.service_agents : g.role == "roles/cloudkms.cryptoKeyEncrypterDecrypter"])
    error_message = "The agents encrypt and decrypt, nothing more."
  }
}

run "no_cmek_no_grants" {
  command = apply

  assert {
    condition     = length(google_kms_crypto_key_iam_member.service_agents) == 0
    error_message = "Without a key nothing is granted."
  }
}

run "ingress_hosts_reach_helm_values_and_the_release_stage" {
  command = apply

  variables {
    ingress_hosts = ["files.example.com"]
  }

  assert {
    condition     = join(",", yamldecode(output.helm_values).ingress.hosts) == "files.example.com" && yamldecode(output.helm_values).gke.managedCertificate
    error_message = "helm_values must carry the GKE Ingress for ingress_hosts."
  }

  assert {
    condition     = join(",", output.release_inputs.ingress_hosts) == "files.example.com"
    error_message = "The release stage must get the same hosts."
  }
}
