"""terraform/aws network seams: the subnet layout for every allowed zone count, and where EKS
Auto Mode puts its nodes (issue 10, items 3 and 4).

The expressions are read from the .tf files and evaluated (tests/terraform/hclexpr.py), so a
change to the layout is checked as written, not as a copy kept here.
"""

from __future__ import annotations

import ipaddress
from itertools import combinations
from typing import Any

import pytest

from tests.terraform.hclexpr import cidrsubnet, evaluate
from tests.terraform.tfconfig import TERRAFORM, Config, expression, load, unquote


@pytest.fixture(scope="module")
def aws() -> Config:
    return load(TERRAFORM / "aws")


ZONE_COUNTS = [2, 3, 4]
TIERS = ("private", "public", "intra")


def _allowed_zone_counts(aws: Config) -> list[int]:
    """2-4, as long as az_count's validation says so."""
    condition = expression(aws.variables["az_count"]["validation"][0]["condition"]) or ""
    assert "var.az_count >= 2" in condition, condition
    assert "var.az_count <= 4" in condition, condition
    return ZONE_COUNTS


def _subnets(aws: Config, vpc_cidr: str, zones: int, auto_mode: bool) -> dict[str, list[str]]:
    env: dict[str, Any] = {
        "var.vpc_cidr": vpc_cidr,
        "var.auto_mode": auto_mode,
        "local.azs": [f"zone-{i}" for i in range(zones)],
    }
    vpc = aws.modules["vpc"]
    return {tier: evaluate(_resolve(aws, vpc[f"{tier}_subnets"]), env) for tier in TIERS}


def _resolve(aws: Config, value: str) -> str:
    """The expression a module argument stands for (a `local.NAME` is looked up)."""
    ref = expression(value) or ""
    if ref.startswith("local.") and ref.removeprefix("local.") in aws.locals:
        return str(aws.locals[ref.removeprefix("local.")])
    return value


def test_cidrsubnet_matches_terraform_examples() -> None:
    # The examples of Terraform's cidrsubnet documentation.
    assert cidrsubnet("172.16.0.0/12", 4, 2) == "172.18.0.0/16"
    assert cidrsubnet("10.1.2.0/24", 4, 15) == "10.1.2.240/28"
    with pytest.raises(ValueError, match="does not fit"):
        cidrsubnet("10.0.0.0/16", 4, 16)


@pytest.mark.parametrize("vpc_cidr", ["default", "10.0.0.0/8", "172.16.0.0/16"])
@pytest.mark.parametrize("auto_mode", [True, False])
def test_subnets_never_overlap_and_stay_in_the_vpc(
    aws: Config, vpc_cidr: str, auto_mode: bool
) -> None:
    cidr = unquote(aws.variables["vpc_cidr"]["default"]) if vpc_cidr == "default" else vpc_cidr
    vpc = ipaddress.IPv4Network(cidr)
    for zones in _allowed_zone_counts(aws):
        layout = _subnets(aws, cidr, zones, auto_mode)
        assert len(layout["private"]) == len(layout["public"]) == zones
        every = [ipaddress.IPv4Network(s) for subnets in layout.values() for s in subnets]
        for subnet in every:
            assert subnet.subnet_of(vpc), f"{zones} zones: {subnet} is outside {vpc}"
        for a, b in combinations(every, 2):
            assert not a.overlaps(b), f"{zones} zones, {cidr}: {a} overlaps {b}"


def test_too_few_zones_fail_at_plan_with_the_reason(aws: Config) -> None:
    zones = aws.data[("aws_availability_zones", "available")]
    (lifecycle,) = zones["lifecycle"]
    (check,) = lifecycle["postcondition"]
    condition = expression(check["condition"]) or ""
    assert "length(self.names)" in condition
    assert "var.az_count" in condition
    message = unquote(check["error_message"])
    assert "az_count" in message
    assert "${length(self.names)}" in message
    # The zones used are sliced only after that check, from the same data source.
    assert "data.aws_availability_zones.available.names" in aws.locals["azs"]
    assert "local.az_count" in aws.locals["azs"]


def _cluster_subnets(aws: Config, auto_mode: bool) -> list[str]:
    """The subnets the EKS cluster gets: terraform-aws-eks v21.19.0 main.tf passes
    coalescelist(var.control_plane_subnet_ids, var.subnet_ids) to vpc_config, and Auto Mode's
    built-in node pools run in the cluster's subnets."""
    eks = aws.modules["eks"]
    env = {
        "var.auto_mode": auto_mode,
        "module.vpc.private_subnets": ["private"],
        "module.vpc.intra_subnets": ["intra"],
        "module.vpc.public_subnets": ["public"],
    }
    control_plane: list[str] = evaluate(eks.get("control_plane_subnet_ids", "${[]}"), env)
    nodes: list[str] = evaluate(eks["subnet_ids"], env)
    return control_plane or nodes


def test_auto_mode_nodes_run_in_the_private_subnets(aws: Config) -> None:
    assert "var.auto_mode ?" in (expression(aws.modules["eks"]["compute_config"]) or "")
    assert _cluster_subnets(aws, auto_mode=True) == ["private"]
    vpc = aws.modules["vpc"]
    # The private subnets are the ones with a NAT route.
    assert "cidrsubnet(var.vpc_cidr" in _resolve(aws, vpc["private_subnets"])
    assert vpc["enable_nat_gateway"] is True


def test_managed_node_groups_keep_the_control_plane_in_intra_subnets(aws: Config) -> None:
    assert _cluster_subnets(aws, auto_mode=False) == ["intra"]
    # Node groups default to subnet_ids: the private ones.
    assert expression(aws.modules["eks"]["subnet_ids"]) == "module.vpc.private_subnets"
