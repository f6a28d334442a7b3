"""The architecture diagram drawn from a view of the inventory (pure rendering)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tools.diagram import render

VIEW = {
    "stack_environment": "prod", "stack_name_prefix": "solo-saving-prod", "stack_region": "ap-northeast-1",
    "network_vpc_cidr": "10.40.0.0/16", "network_azs": ["ap-northeast-1a", "ap-northeast-1c"],
    "network_subnet_cidrs": {"public": ["10.40.0.0/24", "10.40.1.0/24"], "app": ["10.40.10.0/24", "10.40.11.0/24"],
                             "db": ["10.40.20.0/24", "10.40.21.0/24"]},
    "network_frontend_port": 3000, "network_backend_port": 8000, "network_db_port": 5432,
    "endpoints_interface": [{"service": s} for s in ("ecr.api", "ecr.dkr", "logs", "ssm")],
    "endpoints_gateway": [{"service": "s3"}],
    "edge_domain": "example.com", "edge_app_host": "app", "edge_waf_rules": [{"managed": "X"}],
    "services_frontend_cpu": 256, "services_frontend_memory": 512, "services_frontend_min_capacity": 2,
    "services_frontend_max_capacity": 6, "services_backend_cpu": 512, "services_backend_memory": 1024,
    "services_backend_min_capacity": 2, "services_backend_max_capacity": 6,
    "database_min_capacity": 0.5, "database_max_capacity": 8, "database_reader_count": 1,
    "database_engine_version": "16.6",
}

# What each role contributes to the picture.
ROLE_LABELS = {
    "network": ["VPC 10.40.0.0/16", "Availability zone ap-northeast-1a", "Availability zone ap-northeast-1c",
                "public subnet 10.40.0.0/24", "private app subnet 10.40.11.0/24", "private DB subnet 10.40.21.0/24"],
    "endpoints": ["VPC interface endpoints", "ecr.api, ecr.dkr, logs, ssm", "S3 gateway endpoint"],
    "secrets": ["SSM Parameter Store"],
    "registry": ["Amazon ECR"],
    "database": ["Aurora writer", "Aurora reader", "0.5-8 ACU"],
    "edge": ["Application Load Balancer", "AWS WAF web ACL", "Route 53", "ACM certificate", "app.example.com"],
    "services": ["frontend service (Next.js)", "backend service (FastAPI)", "2-6 tasks", "ECS cluster",
                 "CloudWatch alarms -&gt; SNS"],
    "security groups": ["HTTPS 443 from 0.0.0.0/0 (ALB SG)", "TCP 3000 (frontend SG)",
                        "TCP 8000 (backend SG from frontend)", "TCP 5432 (DB SG from backend)", "HTTPS 443"],
}


def test_the_svg_is_well_formed():
    root = ET.fromstring(render(VIEW))
    assert root.tag.endswith("svg")


@pytest.mark.parametrize("role", ROLE_LABELS)
def test_every_roles_resources_appear(role):
    svg = render(VIEW)
    missing = [label for label in ROLE_LABELS[role] if label not in svg]
    assert not missing, missing


def test_three_zones_and_two_readers_are_drawn():
    view = dict(VIEW, network_azs=["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"], database_reader_count=2,
                network_subnet_cidrs={t: [*c, c[-1].replace(".1.", ".2.")]
                                      for t, c in VIEW["network_subnet_cidrs"].items()})
    svg = render(view)
    assert "Availability zone ap-northeast-1d" in svg
    assert "Aurora reader 1" in svg and "Aurora reader 2" in svg


def test_text_is_escaped():
    svg = render(dict(VIEW, edge_domain="a<b>.com"))
    assert "a<b>" not in svg and "a&lt;b&gt;.com" in svg
