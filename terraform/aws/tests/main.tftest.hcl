# Runs against mock providers: no AWS account is touched. The registry modules (vpc, eks)
# are replaced by their outputs; everything this root declares itself is evaluated.
# `command = apply` so that computed attributes are (mock-)known when asserted.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_availability_zones" {
    defaults = { names = ["eu-west-1a", "eu-west-1b", "eu-west-1c"] }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = {
      id  = "bucketport-123456789012-eu-west-1"
      arn = "arn:aws:s3:::bucketport-123456789012-eu-west-1"
    }
  }
  mock_resource "aws_ecr_repository" {
    defaults = {
      arn            = "arn:aws:ecr:eu-west-1:123456789012:repository/bucketport"
      repository_url = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/bucketport"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
  mock_resource "aws_iam_openid_connect_provider" {
    defaults = { arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
  }
}

override_module {
  target = module.vpc
  outputs = {
    vpc_id          = "vpc-0123456789abcdef0"
    private_subnets = ["subnet-a", "subnet-b", "subnet-c"]
    public_subnets  = ["subnet-d", "subnet-e", "subnet-f"]
    intra_subnets   = ["subnet-g", "subnet-h", "subnet-i"]
  }
}

override_module {
  target = module.eks
  outputs = {
    cluster_name      = "bucketport"
    cluster_arn       = "arn:aws:eks:eu-west-1:123456789012:cluster/bucketport"
    cluster_endpoint  = "https://EXAMPLE.gr7.eu-west-1.eks.amazonaws.com"
    oidc_provider     = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
    oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  }
}

variables {
  region                       = "eu-west-1"
  endpoint_public_access_cidrs = ["203.0.113.0/24"]
  github_repository            = "acme/bucketport"
  image_tag                    = "1.0.0"
}

run "bucket_is_private_and_hardened" {
  command = apply

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.objects.block_public_acls,
      aws_s3_bucket_public_access_block.objects.block_public_policy,
      aws_s3_bucket_public_access_block.objects.ignore_public_acls,
      aws_s3_bucket_public_access_block.objects.restrict_public_buckets,
    ])
    error_message = "Every S3 public access block must be on."
  }

  assert {
    condition     = one(aws_s3_bucket_ownership_controls.objects.rule).object_ownership == "BucketOwnerEnforced"
    error_message = "Object ownership must be enforced (ACLs disabled)."
  }

  assert {
    condition     = one(aws_s3_bucket_versioning.objects.versioning_configuration).status == "Enabled"
    error_message = "Versioning must be enabled."
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.objects.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "Without a KMS key the bucket uses SSE-S3."
  }

  assert {
    condition     = contains([for r in aws_s3_bucket_lifecycle_configuration.objects.rule : r.id if length(r.abort_incomplete_multipart_upload) == 1], "abort-incomplete-multipart-uploads")
    error_message = "A lifecycle rule must abort incomplete multipart uploads."
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.bucket.statement :
      s.effect == "Deny" && anytrue([for c in s.condition : c.variable == "aws:SecureTransport" && contains(c.values, "false")])
    ])
    error_message = "The bucket policy must deny requests without TLS."
  }

  assert {
    condition     = aws_s3_bucket.objects.force_destroy == false
    error_message = "The bucket must not be force-destroyable by default."
  }
}

run "registry_is_immutable_and_scanned" {
  command = apply

  assert {
    condition     = aws_ecr_repository.app.image_tag_mutability == "IMMUTABLE"
    error_message = "ECR tags must be immutable."
  }

  assert {
    condition     = one(aws_ecr_repository.app.image_scanning_configuration).scan_on_push
    error_message = "ECR must scan on push."
  }

  assert {
    condition     = length(jsondecode(aws_ecr_lifecycle_policy.app.policy).rules) == 2
    error_message = "ECR needs its lifecycle policy."
  }
}

run "pod_identity_binds_the_chart_service_account" {
  command = apply

  assert {
    condition     = output.pod_identity_association.namespace == "bucketport" && output.pod_identity_association.service_account == "bucketport"
    error_message = "The pod identity association must bind bucketport/bucketport."
  }

  assert {
    condition     = output.pod_identity_association.cluster_name == "bucketport"
    error_message = "The association must be made in this cluster."
  }

  assert {
    condition     = yamldecode(output.helm_values).config.storageUrl == "s3://bucketport-123456789012-eu-west-1" && yamldecode(output.helm_values).config.s3Region == "eu-west-1"
    error_message = "helm_values must carry the storage URL and region."
  }

  assert {
    condition     = yamldecode(output.helm_values).serviceAccount.name == "bucketport"
    error_message = "helm_values must name the bound service account."
  }
}

run "pod_identity_follows_namespace_variables" {
  command = apply

  variables {
    namespace            = "files"
    service_account_name = "api"
  }

  assert {
    condition     = output.pod_identity_association.namespace == "files" && output.pod_identity_association.service_account == "api"
    error_message = "namespace and service_account_name must reach the association."
  }

  assert {
    condition     = output.release_inputs.namespace == "files" && output.release_inputs.service_account_name == "api"
    error_message = "The release stage must get the same namespace and service account."
  }
}

run "github_oidc_is_limited_to_the_repository" {
  command = apply

  assert {
    condition = toset(one([
      for c in data.aws_iam_policy_document.github_assume.statement[0].condition : c.values
      if c.variable == "token.actions.githubusercontent.com:sub"
    ])) == toset(["repo:acme/bucketport:ref:refs/heads/main", "repo:acme/bucketport:ref:refs/tags/v*"])
    error_message = "The GitHub role must trust only this repository's refs."
  }

  assert {
    condition = toset(one([
      for c in data.aws_iam_policy_document.github_assume.statement[0].condition : c.values
      if c.variable == "token.actions.githubusercontent.com:aud"
    ])) == toset(["sts.amazonaws.com"])
    error_message = "The GitHub role must require the sts.amazonaws.com audience."
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 1
    error_message = "The OIDC provider is created by default."
  }
}

run "github_trust_pins_ids_in_the_customized_sub" {
  command = apply

  variables {
    github_repository_id       = "123456"
    github_repository_owner_id = "7890"
  }

  assert {
    condition = toset(one([
      for c in data.aws_iam_policy_document.github_assume.statement[0].condition : c.values
      if c.variable == "token.actions.githubusercontent.com:sub"
      ])) == toset([
      "repo:acme/bucketport:repository_owner_id:7890:repository_id:123456:ref:refs/heads/main",
      "repo:acme/bucketport:repository_owner_id:7890:repository_id:123456:ref:refs/tags/v*",
    ])
    error_message = "With the IDs the role must trust only subjects that carry them."
  }
}

run "github_ids_come_in_pairs" {
  command = plan

  variables {
    github_repository_id = "123456"
  }

  expect_failures = [aws_iam_role.github]
}

run "existing_github_oidc_provider" {
  command = apply

  variables {
    create_github_oidc_provider = false
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0
    error_message = "No OIDC provider is created when one exists."
  }
}

run "kms_key_switches_to_sse_kms" {
  command = apply

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.objects.rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms"
    error_message = "A KMS key switches the bucket to SSE-KMS."
  }
}

run "rejects_open_ref_patterns" {
  command = plan

  variables {
    github_ref_patterns = ["*"]
  }

  expect_failures = [var.github_ref_patterns]
}

run "rejects_a_small_or_malformed_vpc_cidr" {
  command = plan

  variables {
    vpc_cidr = "10.0.0.0/24"
  }

  expect_failures = [var.vpc_cidr]
}

run "rejects_an_empty_api_allow_list" {
  command = plan

  variables {
    endpoint_public_access_cidrs = []
  }

  expect_failures = [var.endpoint_public_access_cidrs]
}

run "auto_mode_nodes_get_the_private_subnets" {
  command = apply

  # Auto Mode runs its nodes in the cluster's subnets: no intra subnets may take their place.
  assert {
    condition     = length(local.intra_subnets) == 0
    error_message = "With Auto Mode the cluster must get only the private (NAT) subnets."
  }

  assert {
    condition     = join(",", local.private_subnets) == "10.0.0.0/20,10.0.16.0/20,10.0.32.0/20"
    error_message = "Nodes run in the private /20 subnets."
  }
}

run "managed_node_groups_keep_intra_subnets" {
  command = apply

  variables {
    auto_mode = false
  }

  assert {
    condition     = join(",", local.intra_subnets) == "10.0.68.0/24,10.0.69.0/24,10.0.70.0/24"
    error_message = "Without Auto Mode the control plane ENIs get intra subnets."
  }
}

run "four_zones_do_not_overlap" {
  command = apply

  variables {
    az_count  = 4
    auto_mode = false
  }

  override_data {
    target = data.aws_availability_zones.available
    values = { names = ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"] }
  }

  assert {
    condition = (
      join(",", local.private_subnets) == "10.0.0.0/20,10.0.16.0/20,10.0.32.0/20,10.0.48.0/20" &&
      join(",", local.public_subnets) == "10.0.64.0/24,10.0.65.0/24,10.0.66.0/24,10.0.67.0/24" &&
      join(",", local.intra_subnets) == "10.0.68.0/24,10.0.69.0/24,10.0.70.0/24,10.0.71.0/24"
    )
    error_message = "Four zones: private /20s in 10.0.0.0/18, public and intra /24s after them."
  }
}

run "two_zone_region_takes_two_by_default" {
  command = apply

  override_data {
    target = data.aws_availability_zones.available
    values = { names = ["us-west-1a", "us-west-1c"] }
  }

  assert {
    condition     = join(",", local.azs) == "us-west-1a,us-west-1c"
    error_message = "Without az_count a two-zone region uses its two zones."
  }
}

run "too_few_zones_fail_at_plan" {
  command = plan

  variables {
    az_count = 3
  }

  override_data {
    target = data.aws_availability_zones.available
    values = { names = ["us-west-1a", "us-west-1c"] }
  }

  expect_failures = [data.aws_availability_zones.available]
}

run "rejects_five_zones" {
  command = plan

  variables {
    az_count = 5
  }

  expect_failures = [var.az_count]
}

run "one_image_path_and_the_github_variables" {
  command = apply

  assert {
    condition     = yamldecode(output.helm_values).image.repository == aws_ecr_repository.app.repository_url && yamldecode(output.helm_values).image.tag == "1.0.0"
    error_message = "helm_values must deploy image_tag from the ECR repository this root made."
  }

  assert {
    condition = output.github_variables == {
      AWS_REGION     = "eu-west-1"
      AWS_ROLE_ARN   = aws_iam_role.github.arn
      ECR_REPOSITORY = aws_ecr_repository.app.repository_url
    }
    error_message = "github_variables must give the release workflow the region, the push role and the repository."
  }
}

run "auto_mode_ingress_and_autoscaling_reach_the_chart" {
  command = apply

  assert {
    condition     = yamldecode(output.helm_values).ingress.className == "alb" && yamldecode(output.helm_values).ingress.enabled
    error_message = "helm_values must point the Ingress at the IngressClass the release stage makes."
  }

  assert {
    condition     = output.release_inputs.ingress_class_name == yamldecode(output.helm_values).ingress.className
    error_message = "The release stage must make the class helm_values names."
  }

  assert {
    condition     = contains(keys(local.autoscaling_addons), "metrics-server") && yamldecode(output.helm_values).autoscaling.enabled
    error_message = "Autoscaling installs metrics-server and turns the chart's HPA on."
  }
}

run "github_role_edits_only_its_namespace" {
  command = apply

  assert {
    condition     = endswith(local.github_access_entry["github-deploy"].policy_associations.namespace.policy_arn, "/AmazonEKSEditPolicy")
    error_message = "The GitHub deploy role gets edit, not admin."
  }

  assert {
    condition     = join(",", local.github_access_entry["github-deploy"].policy_associations.namespace.access_scope.namespaces) == "bucketport"
    error_message = "Only in the chart's namespace."
  }
}

run "irsa_option" {
  command = apply

  variables {
    workload_identity = "irsa"
  }

  assert {
    condition     = yamldecode(output.helm_values).serviceAccount.annotations["eks.amazonaws.com/role-arn"] == output.pod_role_arn
    error_message = "With IRSA, helm_values annotates the service account with the pod role."
  }

  assert {
    condition     = output.pod_identity_association == null
    error_message = "With IRSA there is no Pod Identity association."
  }
}

run "rejects_latest" {
  command = plan

  variables {
    image_tag = "latest"
  }

  expect_failures = [var.image_tag]
}
