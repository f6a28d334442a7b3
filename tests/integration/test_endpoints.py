"""The endpoints stage against the emulator: the issue's acceptance criteria, read back with boto3."""

from __future__ import annotations

import json

import pytest

from tests.support.aws import is_write, request_action, request_service

pytestmark = pytest.mark.slow

PREFIX = "solo-saving-local"
REGION = "ap-northeast-1"
INTERFACE = ("ecr.api", "ecr.dkr", "logs", "ssm")


def writes(records):
    return [f"{request_service(r)}:{request_action(r)}" for r in records if is_write(r)]


def named(resources, key="Tags"):
    return {{t["Key"]: t["Value"] for t in r.get(key, [])}.get("Name"): r for r in resources}


def endpoints(aws):
    found = aws.client("ec2").describe_vpc_endpoints()["VpcEndpoints"]
    return named([e for e in found if e["State"].lower() not in ("deleted", "deleting")])


def test_converge_meets_the_spec_then_changes_nothing(aws, playbook):
    first = playbook("site.yml", "--tags", "network,endpoints", check=True)
    # The network (and its default group emptied), the flow log's role, the flow log, the endpoints.
    assert first.recap()["changed"] == 4

    ec2 = aws.client("ec2")
    subnets = named(ec2.describe_subnets()["Subnets"])
    tables = named(ec2.describe_route_tables()["RouteTables"])
    groups = {g["GroupName"]: g for g in ec2.describe_security_groups()["SecurityGroups"]}
    app_subnets = sorted(subnets[f"{PREFIX}-app-{az}"]["SubnetId"] for az in ("1a", "1c"))
    found = endpoints(aws)
    assert sorted(found) == sorted([f"{PREFIX}-vpce-{s.replace('.', '-')}" for s in INTERFACE]
                                   + [f"{PREFIX}-vpce-s3-gateway"])

    endpoint_sg = groups[f"{PREFIX}-endpoints"]
    for service in INTERFACE:
        endpoint = found[f"{PREFIX}-vpce-{service.replace('.', '-')}"]
        assert endpoint["ServiceName"] == f"com.amazonaws.{REGION}.{service}"
        assert endpoint["VpcEndpointType"] == "Interface"
        # Only in the private app subnets of every zone, with private DNS, behind the endpoint group.
        assert sorted(endpoint["SubnetIds"]) == app_subnets
        assert endpoint["PrivateDnsEnabled"] is True
        assert [g["GroupId"] for g in endpoint["Groups"]] == [endpoint_sg["GroupId"]]
        tags = {t["Key"]: t["Value"] for t in endpoint["Tags"]}
        assert tags["Project"] == "solo-saving" and tags["Environment"] == "local"

    # The endpoint group admits only 443, only from the app (frontend, backend) groups, and sends nothing.
    app_groups = sorted(groups[f"{PREFIX}-{k}"]["GroupId"] for k in ("frontend", "backend"))
    sources = set()
    for permission in endpoint_sg["IpPermissions"]:
        assert (permission["IpProtocol"], permission.get("FromPort"), permission.get("ToPort")) == ("tcp", 443, 443)
        assert not permission["IpRanges"] and not permission.get("Ipv6Ranges") and not permission.get("PrefixListIds")
        sources.update(g["GroupId"] for g in permission["UserIdGroupPairs"])
    assert sorted(sources) == app_groups
    assert endpoint_sg["IpPermissionsEgress"] == []

    # The subnets holding the endpoints are private: no default route in their route table.
    app_table = tables[f"{PREFIX}-app-rt"]
    assert not [r for r in app_table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]

    # The S3 gateway endpoint is on the private route tables only.
    s3 = found[f"{PREFIX}-vpce-s3-gateway"]
    assert s3["VpcEndpointType"] == "Gateway" and s3["ServiceName"] == f"com.amazonaws.{REGION}.s3"
    assert sorted(s3["RouteTableIds"]) == sorted(tables[f"{PREFIX}-{t}-rt"]["RouteTableId"] for t in ("app", "db"))
    assert tables[f"{PREFIX}-public-rt"]["RouteTableId"] not in s3["RouteTableIds"]

    # Data perimeter: no endpoint admits any principal to any resource.
    for name, endpoint in found.items():
        statements = json.loads(endpoint["PolicyDocument"])["Statement"]
        assert all(st.get("Condition") or st["Resource"] != "*" for st in statements), name
    ecr = json.loads(found[f"{PREFIX}-vpce-ecr-api"]["PolicyDocument"])["Statement"][0]
    assert ecr["Condition"]["StringEquals"] == {"aws:PrincipalAccount": "123456789012",
                                                "aws:ResourceAccount": "123456789012"}
    assert json.loads(s3["PolicyDocument"])["Statement"][0]["Resource"] == \
        f"arn:aws:s3:::prod-{REGION}-starport-layer-bucket/*"

    # The VPC's default group holds no rules; the flow log sends rejected traffic to its log group.
    vpc_id = s3["VpcId"]
    default = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                    {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
    assert default["IpPermissions"] == [] and default["IpPermissionsEgress"] == []
    flow_logs = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]
    assert [(f["TrafficType"], f["LogGroupName"]) for f in flow_logs] == [("REJECT", f"{PREFIX}-vpc-flow-logs")]
    assert flow_logs[0]["DeliverLogsPermissionArn"].endswith(f":role/{PREFIX}-vpc-flow-logs")
    group = aws.client("logs").describe_log_groups(logGroupNamePrefix=f"{PREFIX}-vpc-flow-logs")["logGroups"][0]
    assert group["retentionInDays"] == 90
    trust = aws.client("iam").get_role(RoleName=f"{PREFIX}-vpc-flow-logs")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}

    aws.start_recording()
    check = playbook("site.yml", "--tags", "network,endpoints", "--check", "--diff", check=True)
    again = playbook("site.yml", "--tags", "network,endpoints", check=True)
    records = aws.stop_recording()
    assert check.recap()["changed"] == 0, check.output[-4000:]
    assert again.recap()["changed"] == 0, again.output[-4000:]
    assert writes(records) == []


def test_a_changed_subnet_list_is_shown_by_check_diff_then_applied(aws, playbook):
    playbook("site.yml", "--tags", "network,endpoints", check=True)
    ec2 = aws.client("ec2")
    subnets = named(ec2.describe_subnets()["Subnets"])
    keep, drop = subnets[f"{PREFIX}-app-1a"]["SubnetId"], subnets[f"{PREFIX}-app-1c"]["SubnetId"]
    # The inventory narrows ecr.api to one zone (dev might, to save the hourly cost).
    inventory = json.dumps({"endpoints_interface": [{"service": "ecr.api", "azs": [f"{REGION}a"]},
                                                    {"service": "ecr.dkr"}, {"service": "logs"}, {"service": "ssm"}]})

    aws.start_recording()
    plan = playbook("site.yml", "--tags", "endpoints", "--check", "--diff", "-e", inventory, check=True)
    records = aws.stop_recording()
    assert plan.recap()["changed"] == 1
    assert writes(records) == []
    diff = plan.stdout[plan.stdout.index("--- before"):]
    assert f"-        - {drop}" in diff, diff[:3000]
    assert f"-        - {keep}" not in diff
    assert sorted(endpoints(aws)[f"{PREFIX}-vpce-ecr-api"]["SubnetIds"]) == sorted([keep, drop])  # untouched

    run = playbook("site.yml", "--tags", "endpoints", "-e", inventory, check=True)
    assert run.recap()["changed"] == 1
    found = endpoints(aws)
    assert found[f"{PREFIX}-vpce-ecr-api"]["SubnetIds"] == [keep]
    assert sorted(found[f"{PREFIX}-vpce-logs"]["SubnetIds"]) == sorted([keep, drop])
    again = playbook("site.yml", "--tags", "endpoints", "-e", inventory, check=True)
    assert again.recap()["changed"] == 0


def test_an_extra_endpoint_is_added_from_the_inventory_and_purged_when_removed(aws, playbook):
    playbook("site.yml", "--tags", "network,endpoints", check=True)
    extra = json.dumps({"endpoints_extra_interface": [{"service": "secretsmanager"}]})
    playbook("site.yml", "--tags", "endpoints", "-e", extra, check=True)
    assert f"{PREFIX}-vpce-secretsmanager" in endpoints(aws)
    removed = playbook("site.yml", "--tags", "endpoints", check=True)
    assert removed.recap()["changed"] == 1
    assert f"{PREFIX}-vpce-secretsmanager" not in endpoints(aws)
    assert len(endpoints(aws)) == 5


@pytest.mark.parametrize(("extra", "expected"), [
    ({"endpoints_interface": [{"service": "ecr.api"}, {"service": "ecr.dkr"}, {"service": "logs"}]},
     "endpoints_interface must include {service: ssm}: without a NAT gateway it is the only way ECS injects the "
     "SecureString parameters into the containers"),
    ({"endpoints_azs": ["ap-northeast-1d"]},
     "endpoints_azs = ['ap-northeast-1d'] names ap-northeast-1d, not a zone of the network"),
    ({"endpoints_gateway": [{"service": "s3"}, {"service": "s3"}]},
     "endpoints_gateway[1].service = 's3' is already listed in endpoints_gateway[0]"),
])
def test_bad_inventory_fails_in_preflight_before_any_aws_call(aws, playbook, extra, expected):
    aws.start_recording()
    run = playbook("site.yml", "--tags", "endpoints", "-e", json.dumps(extra))
    records = aws.stop_recording()
    assert run.rc != 0
    assert expected in " ".join(run.output.split()), run.output[-4000:]
    assert records == [], [request_action(r) for r in records]


def test_a_scoped_run_on_an_empty_account_fails_clearly_and_reports_no_change(aws, playbook):
    aws.start_recording()
    run = playbook("site.yml", "--tags", "endpoints")
    records = aws.stop_recording()
    assert run.rc != 0
    assert "does not exist yet: run the network stage first" in " ".join(run.output.split())
    # The network's lookup read the account; a create it would plan is not a change of this run.
    assert run.recap()["changed"] == 0, run.output[-4000:]
    # Only the run lock's table and item were written.
    assert [w for w in writes(records) if not w.startswith("dynamodb:")] == []
