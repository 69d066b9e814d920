data "aws_caller_identity" "current" {}

# mode = "pod_identity": trust only EKS Pod Identity, only from this account, and only for this cluster (by ARN, which
# names account and region too, not by a name any other cluster may share), namespace and
# service account: EKS Pod Identity sets these session tags when it assumes the role
# (EKS user guide: pod-id-role, pod-id-abac).
data "aws_iam_policy_document" "assume" {
  dynamic "statement" {
    for_each = var.mode == "pod_identity" ? [1] : []

    content {
      sid     = "EksPodIdentity"
      actions = ["sts:AssumeRole", "sts:TagSession"]

      principals {
        type        = "Service"
        identifiers = ["pods.eks.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [data.aws_caller_identity.current.account_id]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:RequestTag/eks-cluster-arn"
        values   = [var.cluster_arn]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:RequestTag/kubernetes-namespace"
        values   = [var.namespace]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:RequestTag/kubernetes-service-account"
        values   = [var.service_account]
      }
    }
  }

  # IRSA: the cluster's OIDC provider vouches for the service account's projected token
  # (EKS user guide: associate-service-account-role).
  dynamic "statement" {
    for_each = var.mode == "irsa" ? [1] : []

    content {
      sid     = "IrsaServiceAccount"
      actions = ["sts:AssumeRoleWithWebIdentity"]

      principals {
        type        = "Federated"
        identifiers = [var.oidc_provider_arn]
      }

      condition {
        test     = "StringEquals"
        variable = "${var.oidc_provider}:sub"
        values   = ["system:serviceaccount:${var.namespace}:${var.service_account}"]
      }

      condition {
        test     = "StringEquals"
        variable = "${var.oidc_provider}:aud"
        values   = ["sts.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = var.role_name
  description          = "EKS Pod Identity role for ${var.namespace}/${var.service_account} on ${var.cluster_name}"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary_arn
  max_session_duration = 3600
  tags                 = var.tags

  lifecycle {
    precondition {
      condition     = var.mode != "irsa" || (var.oidc_provider_arn != null && var.oidc_provider != null)
      error_message = "mode = \"irsa\" needs oidc_provider_arn and oidc_provider (the cluster's IAM OIDC provider)."
    }
  }
}

# Exactly what the service's S3 adapter (service/storage/s3.py) calls, on this bucket only;
# tests/terraform/test_least_privilege.py derives the same set from the adapter's code:
#   list_objects_v2, head_bucket (readiness)                 -> s3:ListBucket
#   get_object, head_object, presigned GET                   -> s3:GetObject
#   put_object, create_multipart_upload, upload_part,
#   complete_multipart_upload, presigned PUT                 -> s3:PutObject
#   delete_object                                            -> s3:DeleteObject
#   abort_multipart_upload                                   -> s3:AbortMultipartUpload
data "aws_iam_policy_document" "bucket" {
  statement {
    sid       = "ListBucket"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arn]
  }

  statement {
    sid = "ReadWriteObjects"
    actions = [
      "s3:AbortMultipartUpload",
      "s3:DeleteObject",
      "s3:GetObject",
      "s3:PutObject",
    ]
    resources = ["${var.bucket_arn}/*"]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "UseBucketKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${var.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "bucket" {
  name   = "bucket-access"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.bucket.json
}

resource "aws_eks_pod_identity_association" "this" {
  count = var.mode == "pod_identity" ? 1 : 0

  cluster_name    = var.cluster_name
  namespace       = var.namespace
  service_account = var.service_account
  role_arn        = aws_iam_role.this.arn
  tags            = var.tags
}
