# Mock providers: no cluster is contacted and nothing is installed.

mock_provider "aws" {
  mock_data "aws_eks_cluster" {
    defaults = {
      endpoint              = "https://EXAMPLE.gr7.eu-west-1.eks.amazonaws.com"
      certificate_authority = [{ data = "Y2VydA==" }]
    }
  }
}

mock_provider "helm" {}

# kubernetes_manifest's `object` is dynamically typed: mocks cannot invent a value for it.
mock_provider "kubernetes" {
  mock_resource "kubernetes_manifest" {
    defaults = {
      object = { apiVersion = "eks.amazonaws.com/v1", kind = "IngressClassParams" }
    }
  }
}

# What `terraform output -json release_inputs` of the first stage gives with its defaults.
variables {
  region              = "eu-west-1"
  cluster_name        = "bucketport"
  image_repository    = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/bucketport"
  storage_url         = "s3://bucketport-123456789012-eu-west-1"
  image_tag           = "1.0.0"
  ingress_class_name  = "alb"
  ingress_annotations = { "alb.ingress.kubernetes.io/target-type" = "ip" }
  autoscaling         = true
  deployer_group      = "bucketport-deployers"
}

run "release_gets_the_cloud_wiring" {
  command = apply

  assert {
    condition     = output.release.namespace == "bucketport" && output.release.name == "bucketport"
    error_message = "The release goes into the namespace the pod identity association names."
  }

  assert {
    condition = (
      yamldecode(output.values_yaml).config.storageUrl == "s3://bucketport-123456789012-eu-west-1" &&
      yamldecode(output.values_yaml).config.s3Region == "eu-west-1" &&
      yamldecode(output.values_yaml).serviceAccount.name == "bucketport" &&
      yamldecode(output.values_yaml).image.repository == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/bucketport" &&
      yamldecode(output.values_yaml).image.tag == "1.0.0"
    )
    error_message = "The chart must get storage URL, region, service account and image."
  }

  assert {
    condition     = length(yamldecode(output.values_yaml).serviceAccount.annotations) == 0
    error_message = "Pod Identity needs no service account annotation."
  }

  assert {
    condition     = yamldecode(output.values_yaml).autoscaling.enabled
    error_message = "autoscaling reaches the chart (the first stage installed metrics-server)."
  }
}

run "namespace_is_made_here_not_by_helm" {
  command = apply

  assert {
    condition     = kubernetes_namespace_v1.this.metadata[0].name == "bucketport" && kubernetes_namespace_v1.this.metadata[0].labels["pod-security.kubernetes.io/enforce"] == "restricted"
    error_message = "The stage creates the namespace (restricted Pod Security)."
  }

  assert {
    condition     = kubernetes_cluster_role_binding_v1.deployer_read[0].subject[0].name == "bucketport-deployers"
    error_message = "The GitHub deploy role's group may read the cluster-scoped objects of this stage."
  }

  assert {
    condition     = alltrue([for r in kubernetes_cluster_role_v1.deployer_read[0].rule : join(",", r.verbs) == "get" && length(r.resource_names) > 0])
    error_message = "The deployers' cluster role only reads named objects."
  }
}

run "ingress_uses_the_auto_mode_class" {
  command = apply

  assert {
    condition     = kubernetes_ingress_class_v1.alb[0].spec[0].controller == "eks.amazonaws.com/alb"
    error_message = "The IngressClass must name EKS Auto Mode's ALB controller."
  }

  assert {
    condition     = kubernetes_manifest.ingress_class_params[0].manifest.apiVersion == "eks.amazonaws.com/v1" && kubernetes_manifest.ingress_class_params[0].manifest.spec.scheme == "internet-facing"
    error_message = "The IngressClassParams are Auto Mode's (eks.amazonaws.com/v1), internet-facing."
  }

  assert {
    condition     = yamldecode(output.values_yaml).ingress.enabled && yamldecode(output.values_yaml).ingress.className == output.ingress_class_name
    error_message = "The chart's Ingress must use the IngressClass this stage made."
  }
}

run "certificate_goes_to_the_class_params" {
  command = apply

  variables {
    certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/abcd"
  }

  assert {
    condition     = join(",", kubernetes_manifest.ingress_class_params[0].manifest.spec.certificateARNs) == "arn:aws:acm:eu-west-1:123456789012:certificate/abcd"
    error_message = "The ACM certificate must reach the IngressClassParams."
  }
}

run "irsa_annotation_reaches_the_chart" {
  command = apply

  variables {
    service_account_annotations = { "eks.amazonaws.com/role-arn" = "arn:aws:iam::123456789012:role/bucketport-pod" }
  }

  assert {
    condition     = yamldecode(output.values_yaml).serviceAccount.annotations["eks.amazonaws.com/role-arn"] == "arn:aws:iam::123456789012:role/bucketport-pod"
    error_message = "With IRSA the service account carries the role ARN."
  }
}

run "requires_an_image_tag" {
  command = plan

  variables {
    image_tag = "latest"
  }

  expect_failures = [var.image_tag]
}
