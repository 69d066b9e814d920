# The provider re-validates policy JSON at plan: the mock must return a real policy document.
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  cluster_name    = "bucketport"
  cluster_arn     = "arn:aws:eks:eu-west-1:123456789012:cluster/bucketport"
  namespace       = "files"
  service_account = "api"
  role_name       = "bucketport-pod"
  bucket_arn      = "arn:aws:s3:::acme-bucketport"
  region          = "eu-west-1"
}

run "trust_is_pod_identity_for_one_service_account" {
  command = plan

  assert {
    condition     = toset(data.aws_iam_policy_document.assume.statement[0].actions) == toset(["sts:AssumeRole", "sts:TagSession"])
    error_message = "The trust must allow exactly sts:AssumeRole and sts:TagSession."
  }

  assert {
    condition     = one(data.aws_iam_policy_document.assume.statement[0].principals).identifiers == toset(["pods.eks.amazonaws.com"])
    error_message = "Only pods.eks.amazonaws.com may assume the role."
  }

  assert {
    condition = toset([
      for c in data.aws_iam_policy_document.assume.statement[0].condition : "${c.variable}=${join(",", c.values)}"
      ]) == toset([
      "aws:SourceAccount=123456789012",
      "aws:RequestTag/eks-cluster-arn=arn:aws:eks:eu-west-1:123456789012:cluster/bucketport",
      "aws:RequestTag/kubernetes-namespace=files",
      "aws:RequestTag/kubernetes-service-account=api",
    ])
    error_message = "The trust must be limited to this account, cluster, namespace and service account."
  }

  assert {
    condition     = aws_eks_pod_identity_association.this[0].namespace == "files" && aws_eks_pod_identity_association.this[0].service_account == "api"
    error_message = "The association must bind the given namespace and service account."
  }
}

run "policy_touches_only_this_bucket" {
  command = plan

  assert {
    condition = toset(flatten([
      for s in data.aws_iam_policy_document.bucket.statement : s.resources
    ])) == toset(["arn:aws:s3:::acme-bucketport", "arn:aws:s3:::acme-bucketport/*"])
    error_message = "The role may only reach the bucket and its objects."
  }

  assert {
    condition     = length(data.aws_iam_policy_document.bucket.statement) == 2
    error_message = "Without a KMS key there is no KMS statement."
  }
}

run "kms_statement_when_key_given" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  assert {
    condition     = length(data.aws_iam_policy_document.bucket.statement) == 3
    error_message = "A KMS key adds the KMS statement."
  }
}

run "irsa_trusts_the_cluster_oidc_provider_for_one_service_account" {
  command = plan

  variables {
    mode              = "irsa"
    oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
    oidc_provider     = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  }

  assert {
    condition     = toset(data.aws_iam_policy_document.assume.statement[0].actions) == toset(["sts:AssumeRoleWithWebIdentity"])
    error_message = "IRSA assumes the role with a web identity only."
  }

  assert {
    condition = toset([
      for c in data.aws_iam_policy_document.assume.statement[0].condition : "${c.variable}=${join(",", c.values)}"
      ]) == toset([
      "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:sub=system:serviceaccount:files:api",
      "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:aud=sts.amazonaws.com",
    ])
    error_message = "The IRSA trust must name exactly the chart's service account and the STS audience."
  }

  assert {
    condition     = length(aws_eks_pod_identity_association.this) == 0
    error_message = "IRSA makes no Pod Identity association."
  }

  assert {
    condition     = join(",", keys(output.service_account_annotations)) == "eks.amazonaws.com/role-arn"
    error_message = "IRSA needs the role-arn annotation on the service account."
  }

  assert {
    condition     = length(data.aws_iam_policy_document.bucket.statement) == 2
    error_message = "IRSA gets the same bucket policy."
  }
}

run "irsa_needs_the_oidc_provider" {
  command = plan

  variables {
    mode = "irsa"
  }

  expect_failures = [aws_iam_role.this]
}
