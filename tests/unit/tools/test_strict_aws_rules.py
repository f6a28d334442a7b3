"""The strict-AWS profile: each rule refuses as AWS does, then lets the call through once its window has passed."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from tools import strict_aws
from tools.latency_emulator import Call
from tools.strict_aws import RULES, StrictProfile

REGION = "ap-northeast-1"
ALB = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/web/1"
ACL = "arn:aws:wafv2:ap-northeast-1:123456789012:regional/webacl/waf/abc"


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class State:
    """moto's state as the rules read it."""

    def __init__(self):
        self.roles = set()
        self.parameters = {}
        self.rotated = []
        self.policies = {}  # bucket -> policy ({} for none)
        self.account_id = "123456789012"

    def role_exists(self, name):
        return name in self.roles

    def create_service_linked_role(self, service):
        self.roles.add("AWSServiceRoleForECS")

    def parameter_type(self, region, name):
        return self.parameters.get(name)

    def rotate_lock_token(self, region, acl_id):
        self.rotated.append(acl_id)

    def bucket_policy(self, bucket):
        return self.policies.get(bucket)


@pytest.fixture
def clock():
    return Clock()


def profile(clock, **kwargs):
    kwargs.setdefault("throttle", {})
    return StrictProfile(state=kwargs.pop("state", State()), clock=clock, **kwargs)


def call(svc, action, **params):
    return Call(svc, action, params, REGION)


def code(answer):
    status, _headers, body = answer
    if body.startswith(b"{"):
        return status, json.loads(body)["__type"]
    return status, next(e.text for e in ET.fromstring(body).iter() if e.tag.rsplit("}", 1)[-1] == "Code")


def after(clock, seconds):
    clock.now += seconds


# -- each rule ---------------------------------------------------------------------------------------------
def test_an_ec2_resource_is_unknown_to_the_next_calls_for_its_window(clock):
    strict = profile(clock)
    strict.observe(call("ec2", "CreateVpc"), 200, b"<R><vpc><vpcId>vpc-1</vpcId></vpc></R>")
    subnet = call("ec2", "CreateSubnet", VpcId="vpc-1", CidrBlock="10.0.0.0/24")
    assert code(strict.refusal(subnet, False)) == (400, "InvalidVpcID.NotFound")
    # a filter naming it is an empty answer on AWS, not an error: let through
    assert strict.refusal(call("ec2", "DescribeSubnets", **{"Filter.1.Name": "vpc-id", "Filter.1.Value.1": "vpc-1"}),
                          False) is None
    after(clock, RULES["ec2_eventual_consistency"].window)
    assert strict.refusal(subnet, False) is None
    assert strict.refused == {"ec2_eventual_consistency": 1}


@pytest.mark.parametrize("action, tag, prefix, error", [
    ("CreateSubnet", "subnetId", "subnet-1", "InvalidSubnetID.NotFound"),
    ("CreateSecurityGroup", "groupId", "sg-1", "InvalidGroup.NotFound"),
    ("CreateRouteTable", "routeTableId", "rtb-1", "InvalidRouteTableID.NotFound"),
    ("CreateInternetGateway", "internetGatewayId", "igw-1", "InvalidInternetGatewayID.NotFound"),
])
def test_every_kind_of_new_ec2_resource_answers_its_own_not_found(clock, action, tag, prefix, error):
    strict = profile(clock)
    strict.observe(call("ec2", action), 200, f"<R><{tag}>{prefix}</{tag}></R>".encode())
    assert code(strict.refusal(call("ec2", "CreateTags", **{"ResourceId.1": prefix}), False)) == (400, error)


def test_a_new_role_is_not_valid_for_a_task_definition_until_iam_has_propagated_it(clock):
    strict = profile(clock)
    strict.observe(call("iam", "CreateRole", RoleName="app-execution"), 200, b"")
    register = call("ecs", "RegisterTaskDefinition", family="app",
                    executionRoleArn="arn:aws:iam::123456789012:role/app-execution")
    assert code(strict.refusal(register, True)) == (400, "ClientException")
    after(clock, RULES["iam_role_propagation"].window / 2)
    strict.observe(call("iam", "PutRolePolicy", RoleName="app-execution"), 200, b"")  # a policy change restarts it
    after(clock, RULES["iam_role_propagation"].window / 2 + 0.1)
    assert strict.refusal(register, True) is not None
    after(clock, RULES["iam_role_propagation"].window)
    assert strict.refusal(register, True) is None


def test_a_flow_log_cannot_use_its_new_delivery_role_until_iam_has_propagated_it(clock):
    strict = profile(clock)
    role = "arn:aws:iam::123456789012:role/p-vpc-flow-logs"
    create = call("ec2", "CreateFlowLogs", DeliverLogsPermissionArn=role, LogGroupName="p-vpc-flow-logs")
    assert strict.refusal(create, False) is None  # a role that has been there all along
    strict.observe(call("iam", "CreateRole", RoleName="p-vpc-flow-logs"), 200, b"")
    answer = strict.refusal(create, False)
    assert code(answer) == (400, "InvalidParameter")
    assert f"Unable to assume given IAM role: '{role}'".encode() in answer[2]
    after(clock, RULES["flow_log_role_propagation"].window)
    assert strict.refusal(create, False) is None


def test_the_first_cluster_with_capacity_providers_waits_for_ecss_service_linked_role(clock):
    state = State()
    strict = profile(clock, state=state)
    create = call("ecs", "CreateCluster", clusterName="c", capacityProviders=["FARGATE"])
    status, kind = code(strict.refusal(create, True))
    assert (status, kind) == (400, "InvalidParameterException")
    assert state.roles == {"AWSServiceRoleForECS"}  # ECS started creating it, as on AWS
    after(clock, RULES["ecs_service_linked_role"].window - 1)
    assert strict.refusal(create, True) is not None
    after(clock, 1)
    assert strict.refusal(create, True) is None
    # without capacity providers ECS does not need it
    assert profile(clock).refusal(call("ecs", "CreateCluster", clusterName="d"), True) is None


def test_a_service_linked_role_created_by_the_caller_still_propagates(clock):
    state = State()
    strict = profile(clock, state=state)
    state.roles.add("AWSServiceRoleForECS")
    strict.observe(call("iam", "CreateServiceLinkedRole", AWSServiceName="ecs.amazonaws.com"), 200, b"")
    create = call("ecs", "CreateCluster", clusterName="c", capacityProviders=["FARGATE"])
    assert strict.refusal(create, True) is not None
    after(clock, RULES["ecs_service_linked_role"].window)
    assert strict.refusal(create, True) is None


def test_waf_cannot_see_a_new_load_balancer_then_cannot_use_it(clock):
    strict = profile(clock)
    strict.observe(call("elasticloadbalancing", "CreateLoadBalancer"), 200,
                   f"<R><LoadBalancerArn>{ALB}</LoadBalancerArn></R>".encode())
    associate = call("wafv2", "AssociateWebACL", WebACLArn=ACL, ResourceArn=ALB)
    read = call("wafv2", "GetWebACLForResource", ResourceArn=ALB)
    assert code(strict.refusal(associate, True)) == (400, "WAFNonexistentItemException")
    assert code(strict.refusal(read, True)) == (400, "WAFNonexistentItemException")
    after(clock, RULES["waf_nonexistent_while_provisioning"].window)
    assert code(strict.refusal(associate, True)) == (400, "WAFUnavailableEntityException")
    assert code(strict.refusal(read, True)) == (400, "WAFUnavailableEntityException")
    after(clock, RULES["waf_association_unavailable"].window - RULES["waf_nonexistent_while_provisioning"].window)
    assert strict.refusal(associate, True) is None and strict.refusal(read, True) is None


def test_a_new_web_acl_cannot_be_associated_for_its_window(clock):
    strict = profile(clock)
    strict.observe(call("wafv2", "CreateWebACL"), 200, json.dumps({"Summary": {"ARN": ACL}}).encode())
    associate = call("wafv2", "AssociateWebACL", WebACLArn=ACL, ResourceArn=ALB)
    assert code(strict.refusal(associate, True)) == (400, "WAFUnavailableEntityException")
    after(clock, RULES["waf_association_unavailable"].window)
    assert strict.refusal(associate, True) is None


@pytest.mark.parametrize("action", ["UpdateWebACL", "DeleteWebACL"])
def test_the_first_write_of_a_web_acl_meets_a_stale_lock_token(clock, action):
    state = State()
    strict = profile(clock, state=state)
    write = call("wafv2", action, Id="abc", LockToken="t1")
    assert code(strict.refusal(write, True)) == (400, "WAFOptimisticLockException")
    assert state.rotated == ["abc"]  # the token really changed: the caller must read it again
    assert strict.refusal(write, True) is None


def test_a_parameters_type_cannot_change(clock):
    state = State()
    state.parameters["/p/e/db_password"] = "String"
    strict = profile(clock, state=state)
    put = call("ssm", "PutParameter", Name="/p/e/db_password", Type="SecureString", Overwrite=True, Value="x")
    assert code(strict.refusal(put, True)) == (400, "HierarchyTypeMismatchException")
    state.parameters["/p/e/db_password"] = "SecureString"
    assert strict.refusal(put, True) is None


def access_logs_on(bucket, prefix="alb"):
    keys = {"access_logs.s3.enabled": "true", "access_logs.s3.bucket": bucket, "access_logs.s3.prefix": prefix}
    params = {}
    for n, (key, value) in enumerate(keys.items(), 1):
        params[f"Attributes.member.{n}.Key"], params[f"Attributes.member.{n}.Value"] = key, value
    return call("elasticloadbalancing", "ModifyLoadBalancerAttributes", LoadBalancerArn=ALB, **params)


def elb_may_write(resource):
    return {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::582318560864:root"},
                           "Action": "s3:PutObject", "Resource": resource}]}


def test_access_logs_need_a_bucket_whose_policy_lets_elb_write_and_time_for_that_policy(clock):
    state = State()
    strict = profile(clock, state=state)
    on = access_logs_on("logs")
    answer = strict.refusal(on, True)  # no such bucket
    assert code(answer) == (400, "InvalidConfigurationRequest") and b"Access Denied for bucket: logs" in answer[2]
    state.policies["logs"] = {}
    assert strict.refusal(on, True) is not None  # a bucket without a policy
    state.policies["logs"] = elb_may_write("arn:aws:s3:::logs/other/AWSLogs/123456789012/*")
    assert strict.refusal(on, True) is not None  # another prefix
    state.policies["logs"] = elb_may_write("arn:aws:s3:::logs/alb/AWSLogs/123456789012/*")
    strict.observe(Call("s3", "PUT /logs", {"policy": ""}, REGION), 204, b"")
    assert strict.refusal(on, True) is not None  # the policy set a moment ago is not seen yet
    after(clock, RULES["elb_access_log_bucket"].window)
    assert strict.refusal(on, True) is None
    off = call("elasticloadbalancing", "ModifyLoadBalancerAttributes", LoadBalancerArn=ALB,
               **{"Attributes.member.1.Key": "access_logs.s3.enabled", "Attributes.member.1.Value": "false"})
    assert strict.refusal(off, True) is None  # turning them off needs nothing of the bucket


CLUSTERS = (b'<DescribeDBClustersResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBClustersResult>'
            b"<DBClusters><DBCluster><DBClusterIdentifier>db</DBClusterIdentifier><Status>available</Status>"
            b"</DBCluster></DBClusters></DescribeDBClustersResult></DescribeDBClustersResponse>")


def cluster_view(strict):
    body = strict.rewrite(call("rds", "DescribeDBClusters"), CLUSTERS) or CLUSTERS
    ns = {"r": "http://rds.amazonaws.com/doc/2014-10-31/"}
    cluster = ET.fromstring(body).find(".//r:DBCluster", ns)
    pending = cluster.find("r:PendingModifiedValues/r:MasterUserPassword", ns)
    return cluster.find("r:Status", ns).text, pending is not None


def test_a_new_master_password_is_pending_then_resetting_then_applied(clock):
    strict = profile(clock)
    strict.observe(call("rds", "ModifyDBCluster", DBClusterIdentifier="DB", MasterUserPassword="x"), 200, b"")
    assert cluster_view(strict) == ("available", True)
    after(clock, RULES["rds_password_pending"].window)
    assert cluster_view(strict) == ("resetting-master-credentials", False)
    modify = call("rds", "ModifyDBCluster", DBClusterIdentifier="db", BackupRetentionPeriod="7")
    assert code(strict.refusal(modify, False)) == (400, "InvalidDBClusterStateFault")
    after(clock, RULES["rds_password_resetting"].window)
    assert cluster_view(strict) == ("available", False)
    assert strict.refusal(modify, False) is None


def test_storing_the_password_before_the_cluster_applied_it_is_a_hazard(clock):
    strict = profile(clock)
    strict.observe(call("rds", "ModifyDBCluster", DBClusterIdentifier="db", MasterUserPassword="x"), 200, b"")
    strict.observe(call("ssm", "PutParameter", Name="/p/e/db_password", Overwrite=True), 200, b"")
    assert strict.hazards == ["PutParameter /p/e/db_password while cluster db's new master password was pending"]
    after(clock, RULES["rds_password_pending"].window + RULES["rds_password_resetting"].window)
    strict.observe(call("ecs", "UpdateService", service="backend", forceNewDeployment=True), 200, b"")
    assert len(strict.hazards) == 1


def test_a_cloud_map_namespace_operation_is_pending_for_its_window(clock):
    strict = profile(clock)
    strict.observe(call("servicediscovery", "CreatePrivateDnsNamespace"), 200, b'{"OperationId": "op-1"}')
    done = json.dumps({"Operation": {"Id": "op-1", "Status": "SUCCESS"}}).encode()
    assert json.loads(strict.rewrite(call("servicediscovery", "GetOperation"), done))["Operation"]["Status"] == \
        "PENDING"
    after(clock, RULES["cloudmap_operation_pending"].window)
    assert strict.rewrite(call("servicediscovery", "GetOperation"), done) is None


# -- throttling, switches, scale ---------------------------------------------------------------------------
@pytest.mark.parametrize("service, action, json_protocol, expected", [
    ("ecs", "DescribeServices", True, (400, "ThrottlingException")),
    ("ec2", "DescribeVpcs", False, (503, "RequestLimitExceeded")),
    ("rds", "DescribeDBClusters", False, (400, "Throttling")),
    ("route53", "GET /2013-04-01/hostedzone", False, (400, "Throttling")),
])
def test_throttling_answers_the_protocols_code(clock, service, action, json_protocol, expected):
    strict = profile(clock, throttle={"*": 0.999999})
    assert code(strict.refusal(call(service, action), json_protocol)) == expected


def test_throttling_is_a_seeded_fraction_of_each_service(clock):
    def pattern(seed):
        strict = profile(clock, throttle={"ecs": 0.3}, seed=seed)
        return [strict.refusal(call("ecs", "DescribeServices"), True) is not None for _ in range(400)]

    hits = pattern(7)
    assert pattern(7) == hits and pattern(8) != hits
    assert 80 < sum(hits) < 160  # about 30 %
    other = profile(clock, throttle={"ecs": 0.3})
    assert all(other.refusal(call("ssm", "GetParameters"), True) is None for _ in range(100))


def test_a_rule_switched_off_lets_everything_through(clock):
    strict = profile(clock, disabled={"waf_association_unavailable", "waf_nonexistent_while_provisioning"})
    strict.observe(call("elasticloadbalancing", "CreateLoadBalancer"), 200,
                   f"<R><LoadBalancerArn>{ALB}</LoadBalancerArn></R>".encode())
    assert strict.refusal(call("wafv2", "AssociateWebACL", WebACLArn=ACL, ResourceArn=ALB), True) is None


def test_windows_scale_and_can_be_set_per_rule(clock):
    strict = profile(clock, time_scale=0.1, windows={"iam_role_propagation": 50})
    assert strict.window("waf_association_unavailable") == pytest.approx(12)
    assert strict.window("iam_role_propagation") == pytest.approx(5)


def test_unknown_rules_and_bad_settings_are_refused(clock):
    with pytest.raises(ValueError, match="unknown strict rule"):
        profile(clock, disabled={"no_such_rule"})
    with pytest.raises(ValueError, match="throttled fraction of ecs"):
        profile(clock, throttle={"ecs": 1.5})


def test_reset_forgets_every_clock(clock):
    strict = profile(clock)
    strict.observe(call("iam", "CreateRole", RoleName="r"), 200, b"")
    strict.reset()
    assert strict.refusal(call("ecs", "RegisterTaskDefinition", taskRoleArn="arn:aws:iam::1:role/r"), True) is None
    assert strict.refused == {} and strict.hazards == []


def test_every_rule_has_a_source_and_is_in_the_table():
    table = strict_aws.rules_table()
    for rule in RULES.values():
        assert rule.source and rule.behaviour and f"`{rule.name}`" in table
    assert "`throttling`" in table


def test_the_readme_shows_the_rules_as_they_are():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    assert strict_aws.rules_table() in readme
