"""stack_audit: reports every broken rule, fails on violations, never writes."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError
from ansible_collections.solo_saving.infra.plugins.modules import stack_audit
from tests.support.modules import ModuleFail
from tests.unit.plugins.module_utils.test_audit_rules import EXPECTED, good

ARGS = {
    "name_prefix": "p-e", "db_cluster_identifier": "p-e-db", "parameter_path": "/p/e",
    "load_balancer_name": "p-e-alb", "ecs_cluster": "p-e", "services": {"frontend": "p-e-frontend",
                                                                         "backend": "p-e-backend"},
    "sns_topic_name": "p-e-alarms", "alarm_prefix": "p-e-", "expected": EXPECTED,
}


@pytest.fixture
def snap(monkeypatch):
    state = {"snap": good()}
    monkeypatch.setattr(stack_audit, "snapshot", lambda module: copy.deepcopy(state["snap"]))
    return state


def test_good_stack_passes_and_changes_nothing(run_module, snap):
    result = run_module(stack_audit, ARGS, check_mode=True)
    assert result["changed"] is False
    assert result["violations"] == []
    assert all(r["passed"] for r in result["results"])


def test_violations_fail_naming_rule_and_resource(run_module, snap):
    snap["snap"]["nat_gateways"].append({"id": "nat-9", "state": "available"})
    snap["snap"]["security_groups"]["db"]["ingress"].append(("tcp", 5432, 5432, "cidr", "0.0.0.0/0"))
    with pytest.raises(ModuleFail) as failure:
        run_module(stack_audit, ARGS)
    msg = failure.value.result["msg"]
    assert msg.startswith("2 rule(s) of the spec do not hold: ")
    assert "no-nat-gateway: nat-9: NAT gateway nat-9 exists (available)" in msg
    assert "db-only-from-backend: p-e-db: p-e-db admits tcp/5432 from 0.0.0.0/0" in msg


def test_report_only_mode(run_module, snap):
    snap["snap"]["nat_gateways"].append({"id": "nat-9", "state": "available"})
    result = run_module(stack_audit, {**ARGS, "fail_on_violation": False, "rules": ["no-nat-gateway"]})
    assert [r["rule"] for r in result["results"]] == ["no-nat-gateway"]
    assert result["violations"] == ["no-nat-gateway: nat-9: NAT gateway nat-9 exists (available); the spec has none "
                                    "- tasks reach AWS through VPC endpoints"]


def test_unknown_rule_is_refused(run_module, snap):
    with pytest.raises(ModuleFail, match=r"rules: unknown rule\(s\) \['no-such-rule'\]"):
        run_module(stack_audit, {**ARGS, "rules": ["no-such-rule"]})


def test_aws_error(run_module, monkeypatch):
    def boom(module):
        raise SoloAwsError("Failed to describe VPCs", RuntimeError("denied"))

    monkeypatch.setattr(stack_audit, "snapshot", boom)
    with pytest.raises(ModuleFail, match="Failed to describe VPCs"):
        run_module(stack_audit, ARGS)
