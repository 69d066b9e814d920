data "google_project" "this" {
  project_id = var.project_id

  # Read after the APIs are on: a fresh project may not have Resource Manager enabled yet.
  depends_on = [google_project_service.this]
}

locals {
  labels = merge(var.labels, {
    "app-kubernetes-io-part-of" = var.name
    "managed-by"                = "terraform"
  })

  bucket_name = coalesce(var.bucket_name, "${var.name}-${var.project_id}")

  apis = toset([
    "artifactregistry.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "compute.googleapis.com",
    "container.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com", # signBlob for keyless V4 signed URLs
    "storage.googleapis.com",
    "sts.googleapis.com", # Workload Identity Federation token exchange
  ])
}

resource "google_project_service" "this" {
  for_each = local.apis

  project = var.project_id
  service = each.value

  # Other workloads in the project may rely on these APIs.
  disable_on_destroy = false
}
