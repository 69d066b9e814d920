data "aws_eks_cluster" "this" {
  name = var.cluster_name
}

# The namespace is made here, not by Helm: creating a namespace is a cluster-wide right, which
# the GitHub deploy role (edit in this namespace only) does not have. The first apply of this
# stage therefore runs as a cluster admin (the identity that applied the first stage); after
# that the deploy role can apply it too.
resource "kubernetes_namespace_v1" "this" {
  metadata {
    name = var.namespace
    labels = {
      # The chart runs under the restricted Pod Security Standard: refuse anything less here.
      "pod-security.kubernetes.io/enforce" = "restricted"
      "pod-security.kubernetes.io/audit"   = "restricted"
      "pod-security.kubernetes.io/warn"    = "restricted"
    }
  }
}

# EKS Auto Mode runs the ALB controller but ships no IngressClass (EKS user guide:
# auto-configure-alb): this is the class the chart's Ingress names.
resource "kubernetes_manifest" "ingress_class_params" {
  count = var.ingress_class_name == null ? 0 : 1

  manifest = {
    apiVersion = "eks.amazonaws.com/v1"
    kind       = "IngressClassParams"
    metadata   = { name = var.ingress_class_name }
    spec = merge(
      {
        scheme = "internet-facing"
        # Only this release's namespace may use the internet-facing class.
        namespaceSelector = { matchLabels = { "kubernetes.io/metadata.name" = var.namespace } }
      },
      var.certificate_arn == null ? {} : { certificateARNs = [var.certificate_arn] },
    )
  }
}

resource "kubernetes_ingress_class_v1" "alb" {
  count = var.ingress_class_name == null ? 0 : 1

  metadata {
    name = var.ingress_class_name
  }

  spec {
    controller = "eks.amazonaws.com/alb"
    parameters {
      api_group = "eks.amazonaws.com"
      kind      = "IngressClassParams"
      name      = kubernetes_manifest.ingress_class_params[0].manifest.metadata.name
    }
  }
}

# The GitHub deploy role's group may read (never change) the cluster-scoped objects above, so
# `terraform plan` and `apply` of this stage work from CI once an admin has made them.
resource "kubernetes_cluster_role_v1" "deployer_read" {
  count = var.deployer_group == null ? 0 : 1

  metadata {
    name = "${var.release_name}-deployer-read"
  }

  rule {
    api_groups     = [""]
    resources      = ["namespaces"]
    resource_names = [var.namespace]
    verbs          = ["get"]
  }

  dynamic "rule" {
    for_each = var.ingress_class_name == null ? [] : [var.ingress_class_name]

    content {
      api_groups     = ["networking.k8s.io"]
      resources      = ["ingressclasses"]
      resource_names = [rule.value]
      verbs          = ["get"]
    }
  }

  dynamic "rule" {
    for_each = var.ingress_class_name == null ? [] : [var.ingress_class_name]

    content {
      api_groups     = ["eks.amazonaws.com"]
      resources      = ["ingressclassparams"]
      resource_names = [rule.value]
      verbs          = ["get"]
    }
  }

  rule {
    api_groups     = ["rbac.authorization.k8s.io"]
    resources      = ["clusterroles", "clusterrolebindings"]
    resource_names = ["${var.release_name}-deployer-read"]
    verbs          = ["get"]
  }
}

resource "kubernetes_cluster_role_binding_v1" "deployer_read" {
  count = var.deployer_group == null ? 0 : 1

  metadata {
    name = "${var.release_name}-deployer-read"
  }

  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = kubernetes_cluster_role_v1.deployer_read[0].metadata[0].name
  }

  subject {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Group"
    name      = var.deployer_group
  }
}

module "release" {
  source = "../../modules/bucketport-release"

  release_name     = var.release_name
  namespace        = kubernetes_namespace_v1.this.metadata[0].name
  create_namespace = false
  chart            = var.chart
  chart_repository = var.chart_repository
  chart_version    = var.chart_version

  # Pod Identity needs no service account annotation (the association names the namespace
  # and service account); IRSA needs the role ARN on it.
  service_account_name        = var.service_account_name
  service_account_annotations = var.service_account_annotations
  image_repository            = var.image_repository
  image_tag                   = var.image_tag
  storage_url                 = var.storage_url
  s3_region                   = var.region
  ingress_class_name          = one(kubernetes_ingress_class_v1.alb[*].metadata[0].name)
  ingress_annotations         = var.ingress_annotations
  autoscaling                 = var.autoscaling
  extra_values                = var.extra_values
}
