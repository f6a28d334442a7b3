"""`make diagram` and `make cost` on the real inventories (templated by Ansible, no AWS call)."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET

import pytest

from tests.support.aws import BIN, ROOT


def run(*cmd):
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.parametrize("env", ["local", "prod"])
def test_diagram_renders_the_environment_from_its_inventory(env, tmp_path):
    out = tmp_path / f"architecture-{env}.svg"
    proc = run(str(BIN / "python"), "-m", "tools.diagram", "--env", env, "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    svg = out.read_text()
    ET.fromstring(svg)
    cidr = {"local": "10.20", "prod": "10.40"}[env]
    for label in (f"VPC {cidr}.0.0/16", f"public subnet {cidr}.0.0/24", f"private app subnet {cidr}.11.0/24",
                  f"private DB subnet {cidr}.21.0/24", "Availability zone ap-northeast-1c",
                  "Application Load Balancer", "AWS WAF web ACL", "Route 53", "ACM certificate",
                  "frontend service", "backend service", "Aurora writer", "Aurora reader",
                  "VPC interface endpoints", "ecr.api", "Amazon ECR", "SSM Parameter Store",
                  f"solo-saving-{env}", "TCP 5432 (DB SG from backend)"):
        assert label in svg, label


def test_make_cost_for_prod():
    proc = run("make", "--no-print-directory", "cost", "ENV=prod")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = proc.stdout
    assert "Monthly cost estimate - prod" in text
    for item in ("Fargate frontend", "Fargate backend", "Aurora Serverless v2", "Application Load Balancer",
                 "VPC interface endpoints", "VPC flow logs", "ALB access logs (S3)", "AWS WAF", "Route 53",
                 "CloudWatch Logs", "ECR",
                 "total (endpoints design)", "NAT gateways", "total (NAT design)"):
        assert item in text, item
    # prod's inventory: backend 2-6 tasks, Aurora up to 8 ACU.
    assert "2-6 tasks" in text and "0.5-8.0 ACU" in text


def test_unknown_environment_is_named():
    proc = run(str(BIN / "python"), "-m", "tools.cost", "--env", "nowhere")
    assert proc.returncode == 1
    assert "no inventory for ENV=nowhere: choose one of dev, local, prod" in proc.stderr
