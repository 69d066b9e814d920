locals {
  # Auto Mode runs CoreDNS, kube-proxy, the VPC CNI and the Pod Identity agent itself;
  # a cluster with managed node groups needs them as add-ons.
  node_group_addons = {
    coredns                = {}
    kube-proxy             = {}
    vpc-cni                = { before_compute = true }
    eks-pod-identity-agent = { before_compute = true }
  }

  # The HorizontalPodAutoscaler reads the metrics API, which neither mode installs.
  autoscaling_addons = var.autoscaling ? { metrics-server = {} } : {}

  node_groups = {
    default = {
      ami_type       = "AL2023_x86_64_STANDARD"
      instance_types = var.node_instance_types
      min_size       = var.node_min_size
      max_size       = var.node_max_size
      desired_size   = var.node_min_size
    }
  }

  # Kubernetes group of the GitHub deploy role: the release stage binds it to read (never
  # change) the cluster-scoped objects it manages, so the role can run that stage's plans.
  github_deployer_group = "${var.name}-deployers"

  github_access_entry = {
    github-deploy = {
      principal_arn     = aws_iam_role.github.arn
      kubernetes_groups = [local.github_deployer_group]
      policy_associations = {
        # Namespace-scoped edit: helm manages the release's objects in the namespace, but may
        # not change RBAC there or touch anything outside it.
        namespace = {
          policy_arn = "arn:${local.partition}:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
          access_scope = {
            type       = "namespace"
            namespaces = [var.namespace]
          }
        }
      }
    }
  }

  admin_access_entries = {
    for i, arn in var.cluster_admin_arns : "admin-${i}" => {
      principal_arn = arn
      policy_associations = {
        cluster = {
          policy_arn   = "arn:${local.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
          access_scope = { type = "cluster" }
        }
      }
    }
  }
}

module "eks" {
  #checkov:skip=CKV_TF_1:Registry modules are pinned by version like the maintainers document; the registry serves immutable releases.
  source  = "terraform-aws-modules/eks/aws"
  version = "21.19.0"

  name               = var.name
  kubernetes_version = var.kubernetes_version

  endpoint_public_access       = var.endpoint_public_access
  endpoint_public_access_cidrs = var.endpoint_public_access_cidrs
  endpoint_private_access      = true

  vpc_id     = module.vpc.vpc_id
  subnet_ids = module.vpc.private_subnets
  # The module gives the cluster coalescelist(control_plane_subnet_ids, subnet_ids), and Auto
  # Mode runs its nodes in the cluster's subnets: with Auto Mode they must be the private
  # subnets (NAT egress for image pulls, S3, Pod Identity), as in upstream's Auto Mode example.
  control_plane_subnet_ids = var.auto_mode ? [] : module.vpc.intra_subnets

  # The cluster's IAM OIDC provider, for workload_identity = "irsa" only.
  enable_irsa = var.workload_identity == "irsa"

  enable_cluster_creator_admin_permissions = var.enable_cluster_creator_admin_permissions
  access_entries                           = merge(local.admin_access_entries, local.github_access_entry)

  enabled_log_types = ["api", "audit", "authenticator"]

  compute_config = var.auto_mode ? {
    enabled    = true
    node_pools = ["general-purpose", "system"]
  } : null

  addons = merge(
    { for k, v in local.node_group_addons : k => v if !var.auto_mode },
    local.autoscaling_addons,
  )
  eks_managed_node_groups = { for k, v in local.node_groups : k => v if !var.auto_mode }
}
