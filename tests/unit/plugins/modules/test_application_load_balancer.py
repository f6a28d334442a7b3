"""application_load_balancer: LB + target group + listeners in one call; check mode, drift, error paths."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils import elbv2
from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError
from ansible_collections.solo_saving.infra.plugins.modules import application_load_balancer as alb
from tests.support.edge_fakes import FakeElbv2, install
from tests.support.modules import ModuleFail

CERT = "arn:aws:acm:ap-northeast-1:123456789012:certificate/1"
ARGS = {
    "name": "t-dev-alb",
    "subnets": ["subnet-a", "subnet-c"],
    "security_groups": ["sg-alb"],
    "attributes": {"deletion_protection.enabled": False, "routing.http.drop_invalid_header_fields.enabled": True,
                   "idle_timeout.timeout_seconds": 60},
    "target_group": {"name": "t-dev-tg-frontend", "vpc_id": "vpc-1", "port": 3000,
                     "health_check": {"path": "/api/health"},
                     "attributes": {"deregistration_delay.timeout_seconds": 30}},
    "https_listener": {"certificate_arn": CERT},
    "tags": {"Project": "t"},
}


@pytest.fixture
def fake(monkeypatch):
    return install(monkeypatch, FakeElbv2(), elbv2)


def args(**changes):
    data = copy.deepcopy(ARGS)
    data.update(changes)
    return data


def test_check_mode_on_empty_account_plans_everything_and_writes_nothing(run_module, fake):
    result = run_module(alb, ARGS, check_mode=True, diff=True)
    assert fake.writes == []
    assert result["load_balancer_arn"] == "planned:alb:t-dev-alb"
    assert result["dns_name"] == "planned:alb-dns:t-dev-alb"
    assert result["target_group_arn"] == "planned:target-group:t-dev-tg-frontend"
    assert result["https_listener_arn"] == "planned:listener:t-dev-alb:443"
    assert result["actions"] == [
        "create internet-facing application load balancer t-dev-alb",
        "create target group t-dev-tg-frontend (HTTP:3000, ip targets)",
        "set the attributes of load balancer t-dev-alb: deletion_protection.enabled=false, "
        "idle_timeout.timeout_seconds=60, routing.http.drop_invalid_header_fields.enabled=true",
        "set the attributes of target group t-dev-tg-frontend: deregistration_delay.timeout_seconds=30",
        "create the HTTP listener :80 of t-dev-alb",
        "create the HTTPS listener :443 of t-dev-alb",
    ]
    assert result["diff"]["after"]["listeners"] == {
        "443": "HTTPS: forward to planned:target-group:t-dev-tg-frontend (policy ELBSecurityPolicy-TLS13-1-2-2021-06, "
               f"certificate {CERT})",
        "80": "HTTP: redirect HTTP_301 to HTTPS:443"}


def test_converge_then_nothing_to_do(run_module, fake):
    planned = run_module(alb, ARGS, check_mode=True)
    first = run_module(alb, ARGS)
    assert first["actions"] == planned["actions"]
    https = fake.listeners[first["https_listener_arn"]]
    assert https["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https["DefaultActions"] == [{"Type": "forward", "TargetGroupArn": first["target_group_arn"]}]
    http = fake.listeners[first["http_listener_arn"]]
    assert http["DefaultActions"][0]["RedirectConfig"]["StatusCode"] == "HTTP_301"
    assert fake.tgs[first["target_group_arn"]]["HealthCheckPath"] == "/api/health"
    assert fake.tgs[first["target_group_arn"]]["TargetType"] == "ip"
    assert fake.tags[first["load_balancer_arn"]] == {"Project": "t", "Name": "t-dev-alb"}
    writes = list(fake.writes)
    second = run_module(alb, ARGS)
    check = run_module(alb, ARGS, check_mode=True, diff=True)
    assert second["changed"] is False and check["changed"] is False
    assert check["diff"]["before"] == check["diff"]["after"]
    assert fake.writes == writes


def test_drift_is_corrected(run_module, fake):
    first = run_module(alb, ARGS)
    lb, tg = first["load_balancer_arn"], first["target_group_arn"]
    fake.lb_attrs[lb]["routing.http.drop_invalid_header_fields.enabled"] = "false"
    fake.tg_attrs[tg]["deregistration_delay.timeout_seconds"] = "300"
    fake.tgs[tg]["HealthCheckPath"] = "/"
    fake.lbs[lb]["SecurityGroups"] = ["sg-other"]
    fake.listeners[first["https_listener_arn"]]["SslPolicy"] = "ELBSecurityPolicy-2016-08"
    fake.tags[lb].pop("Project")
    result = run_module(alb, ARGS)
    assert result["actions"] == [
        "set the security groups of load balancer t-dev-alb to sg-alb",
        "change the health check of target group t-dev-tg-frontend: HealthCheckPath",
        "update the tags of load balancer t-dev-alb: Project",
        "set the attributes of load balancer t-dev-alb: routing.http.drop_invalid_header_fields.enabled=true",
        "set the attributes of target group t-dev-tg-frontend: deregistration_delay.timeout_seconds=30",
        "change the HTTPS listener :443 of t-dev-alb to HTTPS: forward to "
        f"{tg} (policy ELBSecurityPolicy-TLS13-1-2-2021-06, certificate {CERT})",
    ]
    assert run_module(alb, ARGS)["changed"] is False


def test_only_the_frontend_is_reachable(run_module, fake):
    """Extra listeners and listener rules (say, a path to the backend) are removed."""
    first = run_module(alb, ARGS)
    lb = first["load_balancer_arn"]
    extra = fake.create_listener(None, lb, {"Port": 8000, "Protocol": "HTTP", "DefaultActions": [
        {"Type": "forward", "TargetGroupArn": "arn:backend"}]}, {})
    fake.rules[first["https_listener_arn"]].append({"RuleArn": "rule-backend", "IsDefault": False, "Priority": "10"})
    # The redirect listener was turned into a forward by hand.
    fake.listeners[first["http_listener_arn"]]["DefaultActions"] = [
        {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": "arn:backend", "Weight": 1}]}}]
    result = run_module(alb, ARGS)
    assert result["actions"] == [
        "change the HTTP listener :80 of t-dev-alb to HTTP: redirect HTTP_301 to HTTPS:443",
        "delete rule 10 of the HTTPS listener :443 of t-dev-alb (only the default action is wanted)",
        "delete the HTTP listener :8000 of t-dev-alb",
    ]
    assert extra["ListenerArn"] not in fake.listeners
    assert run_module(alb, ARGS)["changed"] is False


def test_new_certificate_moves_the_listener(run_module, fake):
    run_module(alb, ARGS)
    other = "arn:aws:acm:ap-northeast-1:123456789012:certificate/2"
    result = run_module(alb, args(https_listener={"certificate_arn": other}))
    assert result["actions"] == [f"change the HTTPS listener :443 of t-dev-alb to HTTPS: forward to "
                                 f"{result['target_group_arn']} (policy ELBSecurityPolicy-TLS13-1-2-2021-06, "
                                 f"certificate {other})"]


def test_without_redirect_the_http_listener_goes(run_module, fake):
    run_module(alb, ARGS)
    result = run_module(alb, args(http_redirect=False))
    assert result["actions"] == ["delete the HTTP listener :80 of t-dev-alb"]
    assert result["http_listener_arn"] == ""


def test_moved_subnets_are_set(run_module, fake):
    run_module(alb, ARGS)
    result = run_module(alb, args(subnets=["subnet-a", "subnet-d"]))
    assert result["actions"] == ["move load balancer t-dev-alb to subnets subnet-a, subnet-d"]


def test_target_group_fixed_properties_are_refused(run_module, fake):
    run_module(alb, ARGS)
    changed = args()
    changed["target_group"]["port"] = 8080
    with pytest.raises(ModuleFail,
                       match=r"target group t-dev-tg-frontend cannot change in place \(Port 3000 -> 8080\)"):
        run_module(alb, changed)


def test_scheme_change_is_refused(run_module, fake):
    run_module(alb, ARGS)
    with pytest.raises(ModuleFail, match="load balancer t-dev-alb is internet-facing, the inventory asks for internal"):
        run_module(alb, args(scheme="internal"))


def test_network_load_balancer_of_the_same_name_is_refused(run_module, fake):
    run_module(alb, ARGS)
    next(iter(fake.lbs.values()))["Type"] = "network"
    with pytest.raises(ModuleFail, match="load balancer t-dev-alb is a network load balancer"):
        run_module(alb, ARGS)


def test_planned_ids_only_in_check_mode(run_module, fake):
    planned = args(subnets=["planned:subnet:a", "planned:subnet:c"], security_groups=["planned:sg:alb"])
    planned["target_group"]["vpc_id"] = "planned:vpc:v"
    planned["https_listener"]["certificate_arn"] = "planned:certificate:app"
    assert run_module(alb, planned, check_mode=True)["changed"] is True
    with pytest.raises(ModuleFail, match="planned:subnet:a is a planned id from a check-mode run"):
        run_module(alb, planned)
    only_certificate = args()
    only_certificate["https_listener"]["certificate_arn"] = "planned:certificate:app"
    with pytest.raises(ModuleFail, match="planned:certificate:app is a planned id from a check-mode run"):
        run_module(alb, only_certificate)
    assert fake.writes == []


@pytest.mark.parametrize(("change", "message"), [
    ({"name": "x" * 33}, "name 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' is 33 characters; AWS allows at most 32"),
    ({"http_port": 443}, "http_port and https_listener.port must differ"),
])
def test_input_errors(run_module, fake, change, message):
    with pytest.raises(ModuleFail, match=message):
        run_module(alb, args(**change))
    assert fake.writes == []


def test_aws_error_becomes_fail_json_aws(run_module, fake, monkeypatch):
    def boom(*args, **kwargs):
        raise SoloAwsError("Failed to create the load balancer", exception=RuntimeError("TooManyLoadBalancers"))

    monkeypatch.setattr(elbv2, "create_load_balancer", boom)
    with pytest.raises(ModuleFail, match="Failed to create the load balancer"):
        run_module(alb, ARGS)
