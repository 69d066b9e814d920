# One fixed layout with room for four zones, whatever az_count is, so that no count can make
# two subnets overlap (tests/terraform/test_network.py evaluates these expressions for 2-4
# zones). For a /16: four private /20s fill 10.0.0.0/18 (netnums 0-3 of newbits 4); the public
# /24s follow at 10.0.64.0 (netnums 64-67 of newbits 8), the intra /24s at 10.0.68.0 (68-71).
locals {
  private_subnets = [for i, _ in local.azs : cidrsubnet(var.vpc_cidr, 4, i)]
  public_subnets  = [for i, _ in local.azs : cidrsubnet(var.vpc_cidr, 8, i + 64)]
  # Intra subnets (no route out) hold the control plane ENIs of a cluster with managed node
  # groups. Auto Mode puts its nodes in the cluster's own subnets, so it gets none (eks.tf).
  intra_subnets = var.auto_mode ? [] : [for i, _ in local.azs : cidrsubnet(var.vpc_cidr, 8, i + 68)]
}

module "vpc" {
  #checkov:skip=CKV_TF_1:Registry modules are pinned by version like the maintainers document; the registry serves immutable releases.
  source  = "terraform-aws-modules/vpc/aws"
  version = "6.6.0"

  name = var.name
  cidr = var.vpc_cidr
  azs  = local.azs

  # Private subnets (egress through NAT) for nodes and pods, public ones for load balancers.
  private_subnets = local.private_subnets
  public_subnets  = local.public_subnets
  intra_subnets   = local.intra_subnets

  enable_nat_gateway = true
  single_nat_gateway = var.single_nat_gateway

  public_subnet_tags = {
    "kubernetes.io/role/elb" = 1
  }

  private_subnet_tags = {
    "kubernetes.io/role/internal-elb" = 1
  }
}
