"""The stack against the strict-AWS profile: every playbook succeeds in one run, as it must on real AWS.

The emulator runs with the realistic transitions (Aurora creating, the ALB provisioning, ...), every
strict rule (tools/strict_aws.py) at a tenth of AWS's time, and 10 % of every service's calls throttled.
Some windows are widened so that each rule is met by the run (the roles are otherwise created long
enough before ECS uses them for IAM to have propagated them at a tenth of AWS's time).
"""

from __future__ import annotations

import json
import re
import urllib.request

import boto3
import pytest
from botocore.config import Config

from tests.support.aws import Emulator, PlaybookRun, run_playbook
from tools import emulator, latency_emulator, strict_aws

pytestmark = pytest.mark.slow

STRICT = {"time_scale": 0.1, "seed": 14, "throttle": {"*": 0.1},
          "windows": {"iam_role_propagation": 250, "flow_log_role_propagation": 100,
                      "waf_nonexistent_while_provisioning": 150,
                      "waf_association_unavailable": 200, "rds_password_pending": 20}}
PROJECT = {"Project": "solo-saving", "Environment": "local"}


def strict_emulator(tmp_path_factory, name, profile, settings):
    """A private emulator with the strict profile's ``settings``, for the module's tests."""
    port = emulator.free_port()
    log = tmp_path_factory.mktemp(name) / "emulator.log"
    proc = latency_emulator.spawn(port, log, profile=profile, scale=1.0, strict=settings)
    try:
        yield Emulator(port=port, url=emulator.url(port), log=log)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    yield from strict_emulator(tmp_path_factory, "strict", "realistic", STRICT)


def status(aws: Emulator) -> dict:
    with urllib.request.urlopen(f"{aws.url}/latency-api/", timeout=10) as resp:
        return json.load(resp)["strict"]


def client(aws: Emulator, service: str):
    # The test's own calls are throttled like the stack's: botocore's standard mode retries them.
    return boto3.client(service, region_name="ap-northeast-1", endpoint_url=aws.url, aws_access_key_id="testing",
                        aws_secret_access_key="testing",
                        config=Config(retries={"mode": "standard", "total_max_attempts": 20}))


def run(aws: Emulator, *args: str) -> PlaybookRun:
    result = run_playbook(aws, *args, "-v", timeout=1200)
    assert result.rc == 0, f"{' '.join(args)} failed under the strict profile:\n{result.output[-8000:]}"
    return result


def retried(output: str) -> list[tuple[str, str]]:
    """(condition, call) of every `retried` entry the modules reported, in the order of the output."""
    return [(condition, call) for call, condition in re.findall(r"-\s+call: (.+)\n\s+condition: (.+)\n", output)]


def assert_one_stack(aws: Emulator) -> None:
    """Exactly one of each resource the stack creates once: no duplicate after retries and refusals."""
    filters = [{"Name": f"tag:{k}", "Values": [v]} for k, v in PROJECT.items()]
    ec2 = client(aws, "ec2")
    assert len(ec2.describe_vpcs(Filters=filters)["Vpcs"]) == 1
    assert len(ec2.describe_subnets(Filters=filters)["Subnets"]) == 6
    assert len(ec2.describe_route_tables(Filters=filters)["RouteTables"]) == 3
    assert len(ec2.describe_internet_gateways(Filters=filters)["InternetGateways"]) == 1
    groups = [g["GroupName"] for g in ec2.describe_security_groups(Filters=filters)["SecurityGroups"]]
    assert len(groups) == len(set(groups)) == 5, groups
    endpoints = ec2.describe_vpc_endpoints(Filters=filters)["VpcEndpoints"]
    names = [e["ServiceName"] for e in endpoints]
    assert len(names) == len(set(names)), names
    assert len(client(aws, "elbv2").describe_load_balancers()["LoadBalancers"]) == 1
    assert len(client(aws, "wafv2").list_web_acls(Scope="REGIONAL")["WebACLs"]) == 1
    assert len(client(aws, "acm").list_certificates()["CertificateSummaryList"]) == 1
    rds = client(aws, "rds")
    assert len(rds.describe_db_clusters()["DBClusters"]) == 1
    assert len(rds.describe_db_instances()["DBInstances"]) == 2
    ecs = client(aws, "ecs")
    assert len(ecs.list_clusters()["clusterArns"]) == 1
    assert sorted(s.rsplit("/", 1)[-1] for s in ecs.list_services(cluster="solo-saving-local")["serviceArns"]) == \
        ["backend", "frontend"]
    assert len(client(aws, "servicediscovery").list_namespaces()["Namespaces"]) == 1


def test_every_playbook_succeeds_in_one_run_under_the_strict_profile(strict):
    aws = strict
    aws.reset()

    cold = run(aws, "site.yml")
    assert cold.recap()["changed"] > 0
    assert_one_stack(aws)
    conditions = retried(cold.output)
    named = {condition for condition, _call in conditions}
    # The modules met what AWS answers, waited and said so (-v), each condition once per module and call.
    for expected in ("WAFUnavailableEntityException", "WAFNonexistentItemException",
                     "InvalidParameterException (Unable to assume the service linked role)",
                     "ClientException (Role is not valid)", "InvalidVpcID.NotFound",
                     "InvalidParameter (Unable to assume given IAM role)"):
        assert expected in named, (expected, conditions)
    per_task = [retried(task) for task in cold.output.split("TASK [")]
    assert all(len(found) == len(set(found)) for found in per_task)

    again = run(aws, "site.yml")
    assert again.recap()["changed"] == 0, again.output[-6000:]
    plan = run(aws, "site.yml", "--check", "--diff")
    assert plan.recap()["changed"] == 0, plan.output[-6000:]

    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"digest": "sha256:" + "b" * 64, "size": 1,
                           "mediaType": "application/vnd.docker.container.image.v1+json"}, "layers": []}
    client(aws, "ecr").put_image(repositoryName="solo-saving-local/backend", imageManifest=json.dumps(manifest),
                                 imageTag="strict-1")
    deploy = run(aws, "playbooks/deploy.yml", "-e", "deploy_service=backend", "-e", "deploy_image_tag=strict-1")
    assert deploy.recap()["changed"] >= 1
    assert "/backend:strict-1" in deploy.output

    rotate = run(aws, "playbooks/rotate-db-password.yml")
    assert "cluster resetting-master-credentials" in rotate.output  # it waited through the reset, and said so
    assert_one_stack(aws)
    verify = run(aws, "playbooks/verify.yml")
    assert verify.recap()["failed"] == 0

    teardown = run(aws, "playbooks/teardown.yml", "-e", "teardown_confirm=local")
    assert teardown.recap()["failed"] == 0
    filters = [{"Name": f"tag:{k}", "Values": [v]} for k, v in PROJECT.items()]
    assert client(aws, "ec2").describe_vpcs(Filters=filters)["Vpcs"] == []
    assert client(aws, "rds").describe_db_clusters()["DBClusters"] == []

    state = status(aws)
    # Nothing was stored, nor any task started, before the cluster had applied the new password.
    assert state["hazards"] == []
    # Every rule was met by these runs: the test proves the code survives each one. (A parameter of the wrong
    # type is refused by the secrets module before it sends anything: its unit test covers that rule.)
    assert set(state["refused"]) == {*state["rules"], "throttling"} - {"ssm_parameter_type_change"}, \
        state["refused"]


@pytest.fixture(scope="module")
def throttled(tmp_path_factory):
    """Only throttling: 30 % of every service's calls, every other rule off."""
    settings = {"time_scale": 0.1, "seed": 21, "throttle": {"*": 0.3}, "disabled": set(strict_aws.RULES)}
    yield from strict_emulator(tmp_path_factory, "throttled", "none", settings)


def test_a_cold_deploy_with_30_percent_of_calls_throttled_converges_in_one_run(throttled):
    aws = throttled
    aws.reset()
    cold = run(aws, "site.yml")
    assert cold.recap()["changed"] > 0
    assert_one_stack(aws)
    assert status(aws)["refused"]["throttling"] > 50
    assert run(aws, "site.yml").recap()["changed"] == 0
