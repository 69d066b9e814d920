data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:Only the first az_count zones (name order) are used; a zone AWS adds later sorts after them.
  # Local Zones and Wavelength Zones cannot host EKS control plane subnets.
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }

  lifecycle {
    # Fail at plan with the reason, not later with an index error from slice().
    postcondition {
      condition     = length(self.names) >= coalesce(var.az_count, 2)
      error_message = "Region ${var.region} has ${length(self.names)} availability zones (${join(", ", self.names)}) but az_count = ${coalesce(var.az_count, 2)} needs that many: set az_count to at most ${length(self.names)}."
    }
  }
}

locals {
  az_count   = coalesce(var.az_count, min(3, length(data.aws_availability_zones.available.names)))
  azs        = slice(data.aws_availability_zones.available.names, 0, local.az_count)
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  bucket_name = coalesce(var.bucket_name, "${var.name}-${local.account_id}-${var.region}")

  tags = merge(var.tags, {
    "app.kubernetes.io/part-of" = var.name
    ManagedBy                   = "terraform"
  })
}
