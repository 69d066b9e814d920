locals {
  subnet_name = "${var.name}-nodes"
}

module "vpc" {
  #checkov:skip=CKV_TF_1:Registry modules are pinned by version like the maintainers document; the registry serves immutable releases.
  source  = "terraform-google-modules/network/google"
  version = "12.0.0"

  project_id   = var.project_id
  network_name = var.name
  routing_mode = "REGIONAL"

  subnets = [
    {
      subnet_name           = local.subnet_name
      subnet_ip             = var.subnet_cidr
      subnet_region         = var.region
      subnet_private_access = "true" # nodes reach Google APIs (GCS, Artifact Registry) without NAT
      subnet_flow_logs      = "true"
    },
  ]

  secondary_ranges = {
    (local.subnet_name) = [
      { range_name = "pods", ip_cidr_range = var.pods_cidr },
      { range_name = "services", ip_cidr_range = var.services_cidr },
    ]
  }

  depends_on = [google_project_service.this]
}

# Private nodes have no public IPs; Cloud NAT gives them egress to the internet.
resource "google_compute_router" "nat" {
  name    = "${var.name}-nat"
  project = var.project_id
  region  = var.region
  network = module.vpc.network_self_link
}

resource "google_compute_router_nat" "nat" {
  name                               = "${var.name}-nat"
  project                            = var.project_id
  region                             = var.region
  router                             = google_compute_router.nat.name
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "ALL_SUBNETWORKS_ALL_IP_RANGES"

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}
