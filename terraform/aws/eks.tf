locals {
  # Auto Mode runs CoreDNS, kube-proxy, the VPC CNI and the Pod Identity agent itself;
  # a cluster with managed node groups needs them as add-ons.
  node_group_addons = {
    coredns                = {}
    kube-proxy             = {}
    vpc-cni                = { before_compute = true }
    eks-pod-identity-agent = { before_compute = true }
  }

  node_groups = {
    default = {
      ami_type       = "AL2023_x86_64_STANDARD"
      instance_types = var.node_instance_types
      min_size       = var.node_min_size
      max_size       = var.node_max_size
      desired_size   = var.node_min_size
    }
  }

  github_access_entry = {
    github-deploy = {
      principal_arn = aws_iam_role.github.arn
      policy_associations = {
        # Namespace-scoped admin: helm manages everything in the namespace, nothing outside.
        namespace = {
          policy_arn = "arn:${local.partition}:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"
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
  version = "~> 21.0"

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

  # Pod Identity replaces IRSA; turn this on only for the chart's IRSA option.
  enable_irsa = var.enable_irsa

  enable_cluster_creator_admin_permissions = var.enable_cluster_creator_admin_permissions
  access_entries                           = merge(local.admin_access_entries, local.github_access_entry)

  enabled_log_types = ["api", "audit", "authenticator"]

  compute_config = var.auto_mode ? {
    enabled    = true
    node_pools = ["general-purpose", "system"]
  } : null

  addons                  = { for k, v in local.node_group_addons : k => v if !var.auto_mode }
  eks_managed_node_groups = { for k, v in local.node_groups : k => v if !var.auto_mode }
}
