locals {
  # CEL on the token's repository and ref claims: this repository and only the allowed refs (a
  # trailing * is a prefix match), the refs the AWS role trusts. The ref claim rather than sub,
  # so the condition holds whether or not the repository customizes its sub claim (terraform/aws
  # needs that to pin IDs).
  github_ref_conditions = [
    for ref in var.github_ref_patterns :
    endswith(ref, "*") ? "assertion.ref.startsWith('${trimsuffix(ref, "*")}')" : "assertion.ref == '${ref}'"
  ]
  # Names can be re-registered by someone else after a rename or deletion; the numeric IDs
  # cannot, so they are pinned too when given (GitHub: security hardening with OIDC).
  github_id_conditions = concat(
    var.github_repository_id == null ? [] : ["assertion.repository_id == '${var.github_repository_id}'"],
    var.github_repository_owner_id == null ? [] : ["assertion.repository_owner_id == '${var.github_repository_owner_id}'"],
  )
  github_condition = join(" && ", concat(
    ["assertion.repository == '${var.github_repository}'"],
    local.github_id_conditions,
    ["(${join(" || ", local.github_ref_conditions)})"],
  ))

  github_principal_set = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}/attribute.repository/${var.github_repository}"
}

resource "google_iam_workload_identity_pool" "github" {
  project                   = var.project_id
  workload_identity_pool_id = "${var.name}-github"
  display_name              = "GitHub Actions"
  description               = "GitHub Actions workflows of ${var.github_repository}"

  depends_on = [google_project_service.this]
}

resource "google_iam_workload_identity_pool_provider" "github" {
  #checkov:skip=CKV_GCP_125:The sub-claim condition is built from var.github_repository, which has no default for checkov to evaluate; tests/terraform and tests/main.tftest.hcl assert it.
  project                            = var.project_id
  workload_identity_pool_id          = google_iam_workload_identity_pool.github.workload_identity_pool_id
  workload_identity_pool_provider_id = "github-actions"
  display_name                       = "GitHub Actions OIDC"

  attribute_mapping = {
    "google.subject"       = "assertion.sub"
    "attribute.repository" = "assertion.repository"
    "attribute.ref"        = "assertion.ref"
  }

  # Tokens from any other repository are rejected at the token exchange.
  attribute_condition = local.github_condition

  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
  }
}

# The workflows act as this service account (google-github-actions/auth with
# service_account = github_variables.GCP_SERVICE_ACCOUNT); only this repository's tokens that
# pass the provider's condition may impersonate it.
resource "google_service_account" "github" {
  project      = var.project_id
  account_id   = "${var.name}-github"
  display_name = "GitHub Actions of ${var.github_repository}"
  description  = "Pushes images to ${var.name} and deploys; has no keys."

  depends_on = [google_project_service.this]
}

resource "google_service_account_iam_member" "github_workload_identity_user" {
  service_account_id = google_service_account.github.name
  role               = "roles/iam.workloadIdentityUser"
  member             = local.github_principal_set
}

resource "google_artifact_registry_repository_iam_member" "github" {
  project    = var.project_id
  location   = google_artifact_registry_repository.app.location
  repository = google_artifact_registry_repository.app.name
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.github.member
}

# GKE IAM roles apply to every cluster in the project: keep the cluster in its own project.
resource "google_project_iam_member" "github_deploy" {
  count = var.github_deploy_role == null ? 0 : 1

  project = var.project_id
  role    = var.github_deploy_role
  member  = google_service_account.github.member
}
