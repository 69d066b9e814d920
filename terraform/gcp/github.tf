locals {
  # CEL on the token's sub claim ("repo:OWNER/REPO:ref:REF"), the same subjects the AWS
  # role trusts: this repository and only the allowed refs (a trailing * is a prefix match).
  github_subjects = [for ref in var.github_ref_patterns : "repo:${var.github_repository}:ref:${ref}"]
  github_sub_conditions = [
    for s in local.github_subjects :
    endswith(s, "*") ? "assertion.sub.startsWith('${trimsuffix(s, "*")}')" : "assertion.sub == '${s}'"
  ]
  github_condition = "assertion.repository == '${var.github_repository}' && (${join(" || ", local.github_sub_conditions)})"

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

resource "google_artifact_registry_repository_iam_member" "github" {
  project    = var.project_id
  location   = google_artifact_registry_repository.app.location
  repository = google_artifact_registry_repository.app.name
  role       = "roles/artifactregistry.writer"
  member     = local.github_principal_set
}

# GKE IAM roles apply to every cluster in the project: keep the cluster in its own project.
resource "google_project_iam_member" "github_deploy" {
  count = var.github_deploy_role == null ? 0 : 1

  project = var.project_id
  role    = var.github_deploy_role
  member  = local.github_principal_set
}
