"""The whole stack through site.yml: four-step idempotency, pre-flight, tags, account guard."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.support.aws import BIN, is_lock_request, is_write, request_action, request_service

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
    # What verify rejects, refused before it is deployed unless acknowledged (and never in production).
    ({"database_reader_count": 0},
     "database_reader_count = 0: the spec has a reader in a second zone to fail over to (verify: aurora-two-azs); "
     "set it to 1, or acknowledge the deviation with stack_deviations: [no_db_reader]"),
    ({"database_azs": ["ap-northeast-1a"]},
     "database_azs = ['ap-northeast-1a']: the spec puts the Aurora writer and its reader in two availability zones"),
    ({"edge_waf_rules": [{"rate_limit": 2000}, {"geo_allow": ["JP"]}]},
     "edge_waf_rules lacks AWSManagedRulesCommonRuleSet, AWSManagedRulesSQLiRuleSet, "
     "AWSManagedRulesKnownBadInputsRuleSet: the spec's web ACL has"),
    ({"stack_deviations": ["no_reader"]},
     "stack_deviations[0] = 'no_reader' is not a deviation: did you mean 'no_db_reader'?"),
    ({"stack_deviations": ["no_db_reader"]},
     "stack_deviations lists 'no_db_reader' (no Aurora reader to fail over to (database_reader_count: 0)), but the "
     "inputs follow the spec there: remove it"),
    ({"stack_is_production": True, "stack_deviations": ["no_db_reader"], "database_reader_count": 0},
     "stack_deviations = ['no_db_reader']: production (stack_is_production) follows the spec without deviations"),
    ({"endpoints_interface": [{"service": "ecr.api"}, {"service": "ecr.dkr"}, {"service": "logs"},
                              {"service": "ssm", "private_dns": False}]},
     "endpoints_interface[3] (ssm): private_dns must stay on"),
    # Inputs AWS refuses only after the first writes.
    ({"network_alb_ingress_cidrs": []}, "network_alb_ingress_cidrs = []: give the IPv4 CIDR blocks allowed to reach"),
    ({"network_alb_ingress_cidrs": ["203.0.113.7/24"]},
     "network_alb_ingress_cidrs[0] = '203.0.113.7/24' has host bits set: use '203.0.113.0/24'"),
    ({"network_alb_ingress_cidrs": ["office"]}, "network_alb_ingress_cidrs[0] = 'office' is not a CIDR block"),
    ({"stack_extra_tags": {"Owner": "x" * 257}},
     "stack_extra_tags['Owner']: the value has 257 characters; AWS allows 256"),
    ({"stack_extra_tags": ["CostCenter=savings"]},
     "stack_extra_tags = ['CostCenter=savings'] is a list: give a mapping of tag key to value"),
    ({"network_tags": {"aws:owner": "me"}}, "network_tags['aws:owner']: keys starting with 'aws:' are AWS's own"),
    # Misspellings Ansible would silently ignore.
    ({"network_vpc_cdir": "10.9.0.0/16"},
     "network_vpc_cdir is not a variable of this collection (a misspelling? Ansible would ignore it): did you mean "
     "network_vpc_cidr?"),
    ({"services_frontend_cpus": 512}, "services_frontend_cpus is not a variable of this collection"),
    ({"stack_region": "ap-northeast-9", "stack_azs": ["ap-northeast-9a", "ap-northeast-9c"]},
     "stack_region = 'ap-northeast-9' is not an AWS region: did you mean"),
    # Plain-text secrets in production (-e values are plain text).
    ({"stack_is_production": True, "secrets_api_keys": [{"name": "payment_api_key", "value": "sk-plain-1234567890"}]},
     "secrets_api_keys[0] (payment_api_key): the value is plain text in the inventory; production "
     "(stack_is_production) takes secrets from Ansible Vault or a lookup"),
    ({"stack_is_production": True, "stack_aws_secret_key": "sk-plain-1234567890"},
     "stack_aws_secret_key is plain text in the inventory; production (stack_is_production) takes secrets from "
     "Ansible Vault or a lookup"),
])
def test_bad_inventory_fails_in_preflight_before_any_aws_call(aws, playbook, extra, expected):
    aws.start_recording()
    run = playbook("site.yml", "-e", json.dumps(extra))
    records = aws.stop_recording()
    assert run.rc != 0
    assert expected in " ".join(run.output.split()), run.output[-4000:]
    assert "sk-plain-1234567890" not in run.output
    assert "Traceback" not in run.output
    assert records == [], [request_action(r) for r in records]


@pytest.mark.parametrize(("extra", "expected"), [
    ({"stack_azs": ["ap-northeast-1a", "ap-northeast-1x"]},
     "stack_azs (and network_azs, database_azs, the same zones) = ['ap-northeast-1a', 'ap-northeast-1x']: "
     "ap-northeast-1x is not an availability zone of ap-northeast-1; its zones are ap-northeast-1a, "
     "ap-northeast-1c, ap-northeast-1d"),
    ({"network_azs": ["ap-northeast-1a", "ap-northeast-1b"], "database_azs": ["ap-northeast-1a", "ap-northeast-1b"]},
     "network_azs (and database_azs, the same zones) = ['ap-northeast-1a', 'ap-northeast-1b']: ap-northeast-1b is "
     "not an availability zone of ap-northeast-1"),
])
def test_zones_the_region_lacks_fail_in_preflight_with_reads_only(aws, playbook, extra, expected):
    # The inventory's rules cannot know the region's zones: the account guard asks AWS (one read) and
    # fails before any write, naming the variable and the zones the region has.
    aws.start_recording()
    run = playbook("site.yml", "-e", json.dumps(extra))
    records = aws.stop_recording()
    assert run.rc != 0
    assert expected in " ".join(run.output.split()), run.output[-4000:]
    assert [request_action(r) for r in records] == ["GetCallerIdentity", "DescribeAvailabilityZones"]
    assert writes(records) == []


def test_a_vaulted_secret_passes_the_production_check(aws, playbook, tmp_path):
    # The same keys from Ansible Vault (a variable of a vaulted value, and an inline one) are accepted: the
    # production plan of the network runs (the local inventory meets production's other rules).
    password = tmp_path / "vault-password"
    password.write_text("a-test-vault-password\n")
    encrypted = subprocess.run(
        [str(BIN / "ansible-vault"), "encrypt_string", "--vault-password-file", str(password),
         "--name", "vault_payment_api_key", "sk-vaulted-1234567890"],
        capture_output=True, text=True, check=True).stdout
    extra = tmp_path / "prod-keys.yml"
    extra.write_text(encrypted + "stack_is_production: true\n"
                     "secrets_api_keys:\n  - name: payment_api_key\n    value: '{{ vault_payment_api_key }}'\n"
                     "  - name: file_key\n    value: '{{ vault_file_key }}'\n"
                     "  - name: partner_key\n    value: !vault |\n"
                     + "".join(f"      {line.strip()}\n" for line in encrypted.split("|", 1)[1].strip().splitlines()))
    # And a variable of a whole vault-encrypted file (ansible-vault encrypt vault.yml).
    vault_file = tmp_path / "vault.yml"
    vault_file.write_text("vault_file_key: sk-vaulted-file-1234567890\n")
    subprocess.run([str(BIN / "ansible-vault"), "encrypt", "--vault-password-file", str(password), str(vault_file)],
                   capture_output=True, check=True)
    aws.start_recording()
    run = playbook("site.yml", "--tags", "network", "--check", "-e", f"@{vault_file}", "-e", f"@{extra}",
                   "--vault-password-file", str(password))
    records = aws.stop_recording()
    assert run.rc == 0, run.output[-4000:]
    assert "sk-vaulted-1234567890" not in run.output and "sk-vaulted-file" not in run.output
    assert writes(records) == []


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
    assert services == {"ec2", "iam", "logs"}  # the VPC, and its flow log's delivery role and log group
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
