locals {
  github_oidc_url = "token.actions.githubusercontent.com"

  github_oidc_provider_arn = (
    var.create_github_oidc_provider
    ? aws_iam_openid_connect_provider.github[0].arn
    : "arn:${local.partition}:iam::${local.account_id}:oidc-provider/${local.github_oidc_url}"
  )

  # "repo:OWNER/REPO:ref:refs/heads/main" and the like: this repository's refs only. IAM can
  # match only the sub claim of a GitHub token, so pinning the numeric repository and owner IDs
  # (which a re-registered name cannot take over) needs the repository's sub claim customized
  # to include them (README: "Pinning IDs"); the subjects then carry them.
  github_ids = (
    var.github_repository_id == null ? "" :
    ":repository_owner_id:${var.github_repository_owner_id}:repository_id:${var.github_repository_id}"
  )
  github_subjects = [for ref in var.github_ref_patterns : "repo:${var.github_repository}${local.github_ids}:ref:${ref}"]
}

# One per account: set create_github_oidc_provider = false when it already exists.
resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_github_oidc_provider ? 1 : 0

  url            = "https://${local.github_oidc_url}"
  client_id_list = ["sts.amazonaws.com"]
}

data "aws_iam_policy_document" "github_assume" {
  statement {
    sid     = "GitHubActionsOIDC"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_url}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "${local.github_oidc_url}:sub"
      values   = local.github_subjects
    }
  }
}

resource "aws_iam_role" "github" {
  name = "${var.name}-github-actions"

  lifecycle {
    precondition {
      condition     = (var.github_repository_id == null) == (var.github_repository_owner_id == null)
      error_message = "Set github_repository_id and github_repository_owner_id together (or neither)."
    }
  }

  description          = "GitHub Actions in ${var.github_repository}: push to ECR, deploy to EKS"
  assume_role_policy   = data.aws_iam_policy_document.github_assume.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "github" {
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "EcrPushThisRepository"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:DescribeImages",
      "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = [aws_ecr_repository.app.arn]
  }

  # Kubernetes rights come from the namespace-scoped EKS access entry (eks.tf).
  statement {
    sid       = "DescribeThisCluster"
    actions   = ["eks:DescribeCluster"]
    resources = [module.eks.cluster_arn]
  }
}

resource "aws_iam_role_policy" "github" {
  name   = "push-and-deploy"
  role   = aws_iam_role.github.id
  policy = data.aws_iam_policy_document.github.json
}
