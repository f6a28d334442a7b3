"""The whole stack through site.yml: four-step idempotency, pre-flight, tags, account guard."""

from __future__ import annotations

import json

import pytest

from tests.support.aws import is_lock_request, is_write, request_action, request_service

pytestmark = pytest.mark.slow


def writes(records):
    return [f"{request_service(r)}:{request_action(r)}" for r in records if is_write(r)]


# The default strategy runs through mitogen (strategy_plugins/solo_linear.py); "linear" is the switch
# that turns it off. Both must give the same runs.
@pytest.mark.parametrize("strategy", ["solo_linear", "linear"])
def test_four_step_idempotency_and_check_mode_on_an_empty_account(aws, playbook, strategy):
    env = {"ANSIBLE_STRATEGY": strategy}
    aws.start_recording()
    plan = playbook("site.yml", "--check", "--diff", env=env)
    records = aws.stop_recording()
    assert plan.rc == 0, plan.output[-6000:]
    assert plan.recap()["changed"] > 0
    assert records, "the check run made no request at all; is recording on?"
    assert writes(records) == []

    first = playbook("site.yml", env=env, check=True)
    assert first.recap()["changed"] > 0
    assert ("third party strategy" in first.output.replace("\n", " ")) == (strategy == "solo_linear")

    aws.start_recording()
    again_check = playbook("site.yml", "--check", "--diff", env=env, check=True)
    records = aws.stop_recording()
    assert again_check.recap()["changed"] == 0, again_check.output[-6000:]
    assert writes(records) == []  # check mode takes no run lock either
    aws.start_recording()
    again = playbook("site.yml", env=env, check=True)
    records = aws.stop_recording()
    assert again.recap()["changed"] == 0, again.output[-6000:]
    assert writes(records) == []
    # It took and released the environment's run lock (bookkeeping, not a write of the stack).
    lock = [request_action(r) for r in records if is_lock_request(r)]
    assert "PutItem" in lock and lock[-1] == "DeleteItem", lock


@pytest.mark.parametrize(("extra", "expected"), [
    ({"network_subnet_cidrs": {"public": ["10.20.0.0/24", "10.20.1.0/24"], "app": ["10.20.0.0/24", "10.20.11.0/24"],
                               "db": ["10.20.20.0/24", "10.20.21.0/24"]}},
     "network_subnet_cidrs.app[0] = '10.20.0.0/24' overlaps network_subnet_cidrs.public[0] = '10.20.0.0/24'"),
    ({"stack_azs": ["ap-northeast-1a"]}, "network_azs = ['ap-northeast-1a']: the stack needs at least 2"),
    ({"network_vpc_cidr": "10.0.0.0/33"}, "network_vpc_cidr = '10.0.0.0/33' is not a valid IPv4 CIDR block"),
    ({"stack_environment": "Prod_1"}, "stack_environment = 'Prod_1'"),
    ({"network_frontend_port": "http"}, "network_frontend_port"),
])
def test_bad_inventory_fails_in_preflight_before_any_aws_call(aws, playbook, extra, expected):
    aws.start_recording()
    run = playbook("site.yml", "-e", json.dumps(extra))
    records = aws.stop_recording()
    assert run.rc != 0
    assert expected in run.output, run.output[-4000:]
    assert records == [], [request_action(r) for r in records]


def test_bad_inputs_of_several_roles_fail_together_in_preflight(aws, playbook):
    # Every role's argument spec is checked in one pre-flight task: the run names each bad input, not the first.
    aws.start_recording()
    run = playbook("site.yml", "-e", json.dumps({"network_frontend_port": "http", "services_frontend_cpu": "lots"}))
    records = aws.stop_recording()
    assert run.rc != 0
    output = " ".join(run.output.split())
    assert "network: argument 'network_frontend_port' is of type str" in output, run.output[-4000:]
    assert "services: argument 'services_frontend_cpu' is of type str" in output, run.output[-4000:]
    assert records == [], [request_action(r) for r in records]


def test_a_stage_playbook_on_its_own_stops_before_any_aws_call(aws, playbook):
    # Its play leaves the input checks to the pre-flight play of site.yml, which it has not run.
    aws.start_recording()
    run = playbook("playbooks/network.yml")
    records = aws.stop_recording()
    assert run.rc != 0
    assert "the stage playbooks run after the pre-flight play" in " ".join(run.output.split()), run.output[-4000:]
    assert records == [], [request_action(r) for r in records]


def test_account_guard_refuses_another_account(aws, playbook):
    aws.start_recording()
    run = playbook("site.yml", "-e", "stack_account_id=210987654321")
    records = aws.stop_recording()
    assert run.rc != 0
    assert "The credentials belong to account 123456789012, but the local inventory is for account " \
           "210987654321" in " ".join(run.output.split())
    # Only the guard's read happened.
    assert [request_action(r) for r in records] == ["GetCallerIdentity"]
    assert writes(records) == []


def test_network_tag_runs_the_network_and_nothing_else(aws, playbook):
    aws.start_recording()
    run = playbook("site.yml", "--tags", "network", check=True)
    records = aws.stop_recording()
    assert run.recap()["changed"] >= 1
    services = {request_service(r) for r in records if is_write(r)}
    assert services == {"ec2"}
    tasks_by_play = plays_and_tasks(run.stdout)
    assert tasks_by_play.get("Network - VPC, tiered subnets, route tables without NAT, security groups")
    # The stage plays run their role's converge entry point, which has no argument-spec check of its
    # own (Ansible would run one in every play whatever the tags): no other play runs a task.
    ran = {play for play, tasks in tasks_by_play.items() if tasks}
    assert ran == {"Pre-flight - validate the inventory and guard the account",
                   "Run lock - take the environment's lock",
                   "Network - VPC, tiered subnets, route tables without NAT, security groups",
                   "Run lock - release the environment's lock"}


def plays_and_tasks(stdout: str) -> dict[str, list[str]]:
    """{play name: [task names run in it]} from ansible-playbook's default output."""
    plays: dict[str, list[str]] = {}
    current = None
    for line in stdout.splitlines():
        if line.startswith("PLAY [") and not line.startswith("PLAY RECAP"):
            current = line[len("PLAY ["):line.rindex("]")]
            plays.setdefault(current, [])
        elif line.startswith("TASK [") and current is not None:
            plays[current].append(line[len("TASK ["):line.rindex("]")])
    return plays


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_real_environments_refuse_their_placeholders(aws, playbook, env):
    aws.start_recording()
    run = playbook("site.yml", "-i", f"inventories/{env}", "--check")
    records = aws.stop_recording()
    assert run.rc != 0
    assert f"stack_account_id = '': set the 12-digit id of the AWS account this environment lives in, in " \
           f"inventories/{env}/group_vars/<env>/stack.yml" in run.output
    assert records == []


def test_plan_after_an_inventory_change_shows_exactly_that_change(aws, playbook):
    playbook("site.yml", "--tags", "network", check=True)
    change = json.dumps({"network_alb_ingress_cidrs": ["203.0.113.0/24"]})
    aws.start_recording()
    plan = playbook("site.yml", "--tags", "network", "--check", "--diff", "-e", change, check=True)
    records = aws.stop_recording()
    assert writes(records) == []
    assert plan.recap()["changed"] == 1
    text = plan.stdout
    assert "+            - tcp/443 from 203.0.113.0/24" in text
    assert "-            - tcp/443 from 0.0.0.0/0" in text
    assert "+            - tcp/80 from 203.0.113.0/24" in text
    # Nothing else in the diff: only the ALB group's ingress lines change.
    changed_lines = [line for line in text.splitlines() if line.startswith(("+ ", "- ", "+    ", "-    "))]
    assert len(changed_lines) == 4, changed_lines
    applied = playbook("site.yml", "--tags", "network", "-e", change, check=True)
    assert applied.recap()["changed"] == 1
    alb = aws.client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["solo-saving-local-alb"]}])["SecurityGroups"][0]
    assert sorted(r["CidrIp"] for p in alb["IpPermissions"] for r in p["IpRanges"]) == ["203.0.113.0/24"] * 2
