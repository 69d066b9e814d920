# Nodes run as a dedicated service account with the minimal node role, not as the
# Compute Engine default service account (which has Editor on the project).
resource "google_service_account" "nodes" {
  project      = var.project_id
  account_id   = "${var.name}-nodes"
  display_name = "${var.name} GKE nodes"

  depends_on = [google_project_service.this]
}

resource "google_project_iam_member" "nodes" {
  project = var.project_id
  role    = "roles/container.defaultNodeServiceAccount"
  member  = google_service_account.nodes.member
}

resource "google_container_cluster" "this" {
  #checkov:skip=CKV_GCP_66:Binary Authorization needs an attestation pipeline; enable it once images are signed and attested.
  #checkov:skip=CKV_GCP_65:RBAC through Google Groups needs a Workspace/Cloud Identity domain; access is granted with IAM.
  #checkov:skip=CKV_GCP_61:Intranode visibility adds flow-log cost; VPC flow logs are on for the node subnet.
  #checkov:skip=CKV_GCP_21:Labels are set from local.labels (merged with var.labels), which checkov cannot evaluate.
  #checkov:skip=CKV_GCP_12:Autopilot enforces network policy through Dataplane V2; Standard clusters get it through datapath_provider = ADVANCED_DATAPATH.
  #checkov:skip=CKV_GCP_69:Autopilot always uses the GKE metadata server; Standard node pools set GKE_METADATA.
  name        = var.name
  project     = var.project_id
  location    = var.region
  description = "bucketport cluster"

  deletion_protection = var.deletion_protection

  enable_autopilot = var.autopilot ? true : null

  # Standard mode: drop the default pool and run google_container_node_pool.default instead.
  remove_default_node_pool = var.autopilot ? null : true
  initial_node_count       = var.autopilot ? null : 1
  enable_shielded_nodes    = var.autopilot ? null : true
  datapath_provider        = var.autopilot ? null : "ADVANCED_DATAPATH"

  network         = module.vpc.network_self_link
  subnetwork      = module.vpc.subnets_self_links[0]
  networking_mode = "VPC_NATIVE"

  ip_allocation_policy {
    cluster_secondary_range_name  = "pods"
    services_secondary_range_name = "services"
  }

  release_channel {
    channel = var.release_channel
  }

  workload_identity_config {
    workload_pool = "${var.project_id}.svc.id.goog"
  }

  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = false
  }

  master_authorized_networks_config {
    dynamic "cidr_blocks" {
      for_each = var.master_authorized_cidrs

      content {
        cidr_block   = cidr_blocks.value
        display_name = "authorized-${cidr_blocks.key}"
      }
    }
  }

  master_auth {
    client_certificate_config {
      issue_client_certificate = false
    }
  }

  dynamic "cluster_autoscaling" {
    for_each = var.autopilot ? [1] : []

    content {
      auto_provisioning_defaults {
        service_account = google_service_account.nodes.email
        oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
      }
    }
  }

  resource_labels = local.labels

  depends_on = [google_project_service.this, google_project_iam_member.nodes]
}

resource "google_container_node_pool" "default" {
  count = var.autopilot ? 0 : 1

  name     = "default"
  project  = var.project_id
  location = var.region
  cluster  = google_container_cluster.this.name

  autoscaling {
    min_node_count = var.node_min_count
    max_node_count = var.node_max_count
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  node_config {
    machine_type    = var.node_machine_type
    image_type      = "COS_CONTAINERD"
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    labels          = local.labels

    metadata = {
      disable-legacy-endpoints = "true"
    }

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
  }
}
