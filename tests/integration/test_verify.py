"""verify.yml: passes right after site.yml, read-only, and names the rule for each injected drift."""

from __future__ import annotations

import json

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils import audit
from tests.support.aws import is_write, request_action

pytestmark = pytest.mark.slow
PREFIX = "solo-saving-local"
TOPIC = f"arn:aws:sns:ap-northeast-1:123456789012:{PREFIX}-alarms"
LOG_BUCKET = f"{PREFIX}-alb-logs-123456789012"


def _sg(ec2, name):
    return ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])["SecurityGroups"][0]


def _subnet(ec2, name):
    return ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": [name]}])["Subnets"][0]["SubnetId"]


def open_db_to_the_internet(aws):
    ec2 = aws.client("ec2")
    ec2.authorize_security_group_ingress(GroupId=_sg(ec2, f"{PREFIX}-db")["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])


def add_a_nat_gateway(aws):
    ec2 = aws.client("ec2")
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.create_nat_gateway(SubnetId=_subnet(ec2, f"{PREFIX}-public-1a"), AllocationId=allocation)


def route_the_app_tier_to_the_internet(aws):
    ec2 = aws.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"{PREFIX}-vpc"]}])["Vpcs"][0]["VpcId"]
    igw = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}])["InternetGateways"][0]["InternetGatewayId"]
    table = ec2.describe_route_tables(
        Filters=[{"Name": "tag:Name", "Values": [f"{PREFIX}-app-rt"]}])["RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)


def detach_the_waf(aws):
    elb = aws.client("elbv2")
    arn = elb.describe_load_balancers(Names=[f"{PREFIX}-alb"])["LoadBalancers"][0]["LoadBalancerArn"]
    aws.client("wafv2").disassociate_web_acl(ResourceArn=arn)


def make_a_db_instance_public(aws):
    rds = aws.client("rds")
    member = rds.describe_db_clusters(DBClusterIdentifier=f"{PREFIX}-db")["DBClusters"][0]["DBClusterMembers"][0]
    rds.modify_db_instance(DBInstanceIdentifier=member["DBInstanceIdentifier"], PubliclyAccessible=True,
                           ApplyImmediately=True)


def store_a_plain_string_secret(aws):
    aws.client("ssm").put_parameter(Name="/solo-saving/local/leaked_token", Value="x", Type="String")


def open_a_plain_http_listener(aws):
    elb = aws.client("elbv2")
    arn = elb.describe_load_balancers(Names=[f"{PREFIX}-alb"])["LoadBalancers"][0]["LoadBalancerArn"]
    elb.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=8080, DefaultActions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}])


def widen_the_execution_role(aws):
    aws.client("iam").put_role_policy(RoleName=f"{PREFIX}-backend-execution", PolicyName="drift",
                                      PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                                          {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}]}))


def create_a_second_vpc_with_the_stacks_name(aws):
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": f"{PREFIX}-vpc"}])


def change_the_password_parameter_by_hand(aws):
    aws.client("ssm").put_parameter(Name="/solo-saving/local/db_password", Value="Set-By-Hand-0123456789abc",
                                    Type="SecureString", Overwrite=True)


def trust_any_ecs_task_with_the_execution_role(aws):
    aws.client("iam").update_assume_role_policy(
        RoleName=f"{PREFIX}-frontend-execution", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))


def turn_minor_upgrades_off_on_the_reader(aws):
    rds = aws.client("rds")
    members = rds.describe_db_clusters(DBClusterIdentifier=f"{PREFIX}-db")["DBClusters"][0]["DBClusterMembers"]
    member = next(m for m in members if not m["IsClusterWriter"])
    rds.modify_db_instance(DBInstanceIdentifier=member["DBInstanceIdentifier"], AutoMinorVersionUpgrade=False,
                           ApplyImmediately=True)


def delete_an_alarm(aws):
    aws.client("cloudwatch").delete_alarms(AlarmNames=[f"{PREFIX}-alarm-backend-cpu-high"])


def raise_an_alarm_threshold(aws):
    cloudwatch = aws.client("cloudwatch")
    alarm = cloudwatch.describe_alarms(AlarmNames=[f"{PREFIX}-alarm-aurora-cpu-high"])["MetricAlarms"][0]
    keys = ("AlarmName", "Namespace", "MetricName", "Statistic", "Dimensions", "Period", "EvaluationPeriods",
            "ComparisonOperator", "AlarmActions", "OKActions", "TreatMissingData")
    cloudwatch.put_metric_alarm(**{k: alarm[k] for k in keys if k in alarm}, Threshold=99.0)


def open_the_ssm_endpoint_to_anyone(aws):
    ec2 = aws.client("ec2")
    endpoint = ec2.describe_vpc_endpoints(Filters=[{"Name": "tag:Name", "Values": [f"{PREFIX}-vpce-ssm"]}])
    # AWS's default policy, as a console user who "resets" it writes it (the emulator ignores ResetPolicy).
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint["VpcEndpoints"][0]["VpcEndpointId"], PolicyDocument=json.dumps(
        {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}))


def open_the_default_security_group(aws):
    ec2 = aws.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"{PREFIX}-vpc"]}])["Vpcs"][0]["VpcId"]
    group = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                  {"Name": "group-name", "Values": ["default"]}])
    ec2.authorize_security_group_ingress(GroupId=group["SecurityGroups"][0]["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])


def _vpc_id(aws):
    ec2 = aws.client("ec2")
    return ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"{PREFIX}-vpc"]}])["Vpcs"][0]["VpcId"]


def delete_the_flow_log(aws):
    ec2 = aws.client("ec2")
    logs = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [_vpc_id(aws)]}])["FlowLogs"]
    ec2.delete_flow_logs(FlowLogIds=[f["FlowLogId"] for f in logs])


def _alb_arn(aws):
    return aws.client("elbv2").describe_load_balancers(Names=[f"{PREFIX}-alb"])["LoadBalancers"][0]["LoadBalancerArn"]


def turn_the_access_logs_off(aws):
    aws.client("elbv2").modify_load_balancer_attributes(LoadBalancerArn=_alb_arn(aws), Attributes=[
        {"Key": "access_logs.s3.enabled", "Value": "false"}])


def keep_the_access_logs_forever(aws):
    aws.client("s3").delete_bucket_lifecycle(Bucket=LOG_BUCKET)


def drop_the_log_buckets_policy(aws):
    aws.client("s3").delete_bucket_policy(Bucket=LOG_BUCKET)


def remove_the_topic_encryption(aws):
    aws.client("sns").set_topic_attributes(TopicArn=TOPIC, AttributeName="KmsMasterKeyId", AttributeValue="")


def delete_the_cluster_event_subscription(aws):
    aws.client("rds").delete_event_subscription(SubscriptionName=f"{PREFIX}-db-cluster-events")


def stop_watching_an_instance(aws):
    rds = aws.client("rds")
    sub = rds.describe_event_subscriptions(SubscriptionName=f"{PREFIX}-db-instance-events")["EventSubscriptionsList"][0]
    rds.remove_source_identifier_from_subscription(SubscriptionName=f"{PREFIX}-db-instance-events",
                                                   SourceIdentifier=sorted(sub["SourceIdsList"])[-1])


def disable_the_parameter_group_event_subscription(aws):
    aws.client("rds").modify_event_subscription(SubscriptionName=f"{PREFIX}-db-parameter-group-events",
                                                Enabled=False)


def scale_the_backend_beyond_its_maximum(aws):
    aws.client("ecs").update_service(cluster=PREFIX, service="backend", desiredCount=9)


DRIFTS = [
    (create_a_second_vpc_with_the_stacks_name, "one-vpc", "2 VPCs carry the stack's name"),
    (change_the_password_parameter_by_hand, "db-password-in-sync", "of /solo-saving/local/db_password, the parameter"),
    (open_db_to_the_internet, "db-only-from-backend", f"{PREFIX}-db admits tcp/5432 from 0.0.0.0/0"),
    (add_a_nat_gateway, "no-nat-gateway", "exists (available); the spec has none"),
    (route_the_app_tier_to_the_internet, "private-subnets-without-default-route",
     f"private route table {PREFIX}-app-rt has a default route"),
    (detach_the_waf, "waf-associated-with-required-rules", "no web ACL is associated with the load balancer"),
    (make_a_db_instance_public, "aurora-not-public", "is publicly accessible"),
    (store_a_plain_string_secret, "secrets-are-securestring", "/solo-saving/local/leaked_token is String"),
    (open_a_plain_http_listener, "alb-https-and-redirect-only", "listeners on ports [80, 443, 8080]"),
    (widen_the_execution_role, "execution-role-least-privilege", "allows the wildcard action ssm:*"),
    (trust_any_ecs_task_with_the_execution_role, "ecs-role-trust-scoped",
     f"{PREFIX}-frontend-execution trusts {{'Service': 'ecs-tasks.amazonaws.com'}} without aws:SourceAccount"),
    (turn_minor_upgrades_off_on_the_reader, "aurora-auto-minor-upgrades", "has automatic minor version upgrades off"),
    (delete_an_alarm, "alarms-notify-sns", f"alarm {PREFIX}-alarm-backend-cpu-high does not exist"),
    (raise_an_alarm_threshold, "alarms-notify-sns", f"alarm {PREFIX}-alarm-aurora-cpu-high has threshold 99.0"),
    (scale_the_backend_beyond_its_maximum, "desired-count-within-scaling-bounds",
     "backend has desired count 9, outside its scaling bounds [2, 4]"),
    (open_the_ssm_endpoint_to_anyone, "vpc-endpoint-policies-perimeter",
     "endpoint ssm lets any principal reach any resource"),
    (open_the_default_security_group, "default-security-group-closed",
     "the VPC's default security group has ingress rules (tcp/22 from 0.0.0.0/0)"),
    (remove_the_topic_encryption, "alarm-topic-encrypted-cmk", f"{TOPIC} is not encrypted (no KmsMasterKeyId)"),
    (delete_the_cluster_event_subscription, "rds-event-subscriptions",
     f"RDS event subscription {PREFIX}-db-cluster-events (db-cluster) does not exist"),
    (stop_watching_an_instance, "rds-event-subscriptions",
     f"RDS event subscription {PREFIX}-db-instance-events does not watch {PREFIX}-db-"),
    (disable_the_parameter_group_event_subscription, "rds-event-subscriptions",
     f"RDS event subscription {PREFIX}-db-parameter-group-events is disabled"),
    (delete_the_flow_log, "vpc-flow-logs", "has no flow log of rejected traffic to CloudWatch Logs"),
    (keep_the_access_logs_forever, "alb-access-logs", f"bucket {LOG_BUCKET} keeps access logs forever"),
    (drop_the_log_buckets_policy, "alb-access-logs",
     f"the policy of bucket {LOG_BUCKET} does not refuse plain-HTTP requests"),
]


def test_site_repairs_what_verify_names(aws, playbook):
    playbook("site.yml", check=True)
    for inject in (delete_an_alarm, raise_an_alarm_threshold, scale_the_backend_beyond_its_maximum,
                   trust_any_ecs_task_with_the_execution_role, turn_minor_upgrades_off_on_the_reader,
                   open_the_ssm_endpoint_to_anyone, open_the_default_security_group,
                   remove_the_topic_encryption, delete_the_cluster_event_subscription, stop_watching_an_instance,
                   disable_the_parameter_group_event_subscription, keep_the_access_logs_forever,
                   drop_the_log_buckets_policy, turn_the_access_logs_off, delete_the_flow_log):
        inject(aws)
    broken = playbook("playbooks/verify.yml")
    assert broken.rc != 0
    text = " ".join(broken.output.split())
    for rule in ("alarms-notify-sns", "desired-count-within-scaling-bounds", "ecs-role-trust-scoped",
                 "aurora-auto-minor-upgrades", "vpc-endpoint-policies-perimeter", "default-security-group-closed",
                 "alarm-topic-encrypted-cmk", "rds-event-subscriptions", "alb-access-logs", "vpc-flow-logs"):
        assert f"{rule}: " in text, text[-3000:]

    playbook("site.yml", check=True)
    repaired = playbook("playbooks/verify.yml", check=True)
    assert f"{len(audit.RULES)} rules hold" in repaired.stdout
    backend = aws.client("ecs").describe_services(cluster=PREFIX, services=["backend"])["services"][0]
    assert backend["desiredCount"] == 4
    key = aws.client("kms").describe_key(KeyId=f"alias/{PREFIX}-alarms")["KeyMetadata"]["Arn"]
    assert aws.client("sns").get_topic_attributes(TopicArn=TOPIC)["Attributes"]["KmsMasterKeyId"] == key
    # The subscriptions were corrected in place (the emulator has Modify/AddSourceIdentifier as AWS does).
    subs = {s["CustSubscriptionId"]: s for s in aws.client("rds").describe_event_subscriptions()[
        "EventSubscriptionsList"]}
    assert all(s["Enabled"] and s["SnsTopicArn"] == TOPIC for s in subs.values()) and len(subs) == 4
    assert len(subs[f"{PREFIX}-db-instance-events"]["SourceIdsList"]) == 2
    assert subs[f"{PREFIX}-db-cluster-events"]["SourceIdsList"] == [f"{PREFIX}-db"]
    # The VPC logs its rejected traffic again.
    flow_logs = aws.client("ec2").describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [_vpc_id(aws)]}])
    assert [(f["TrafficType"], f["LogGroupName"]) for f in flow_logs["FlowLogs"]] == [
        ("REJECT", f"{PREFIX}-vpc-flow-logs")]
    # The access logs are on again, to a bucket that expires them and refuses plain HTTP again.
    attributes = {a["Key"]: a["Value"] for a in aws.client("elbv2").describe_load_balancer_attributes(
        LoadBalancerArn=_alb_arn(aws))["Attributes"]}
    assert (attributes["access_logs.s3.enabled"], attributes["access_logs.s3.bucket"]) == ("true", LOG_BUCKET)
    s3 = aws.client("s3")
    assert s3.get_bucket_lifecycle_configuration(Bucket=LOG_BUCKET)["Rules"][0]["Expiration"] == {"Days": 90}
    assert json.loads(s3.get_bucket_policy(Bucket=LOG_BUCKET)["Policy"])["Statement"][0]["Sid"] == \
        "DenyInsecureTransport"


def test_verify_passes_then_names_each_drift(aws, playbook):
    playbook("site.yml", check=True)
    aws.start_recording()
    passed = playbook("playbooks/verify.yml", "--check", check=True)
    records = aws.stop_recording()
    assert f"{len(audit.RULES)} rules hold" in passed.stdout
    assert [request_action(r) for r in records if is_write(r)] == []

    for inject, rule, message in DRIFTS:
        inject(aws)
        run = playbook("playbooks/verify.yml")
        text = " ".join(run.output.split())
        assert run.rc != 0, f"verify passed after {inject.__name__}"
        assert f"{rule}: " in text and message in text, f"{inject.__name__}: {text[-3000:]}"

    # Each drift stays reported alongside the others.
    assert f"{len({rule for _, rule, _ in DRIFTS})} rule(s) of the spec do not hold" in text
    for _, rule, _ in DRIFTS:
        assert f"{rule}: " in text


def test_an_acknowledged_deviation_deploys_and_verify_reports_it(aws, playbook):
    # A dev without a reader: refused unless acknowledged (see test_site's bad inventories); acknowledged,
    # it deploys, and verify reports the finding as an acknowledged deviation instead of failing.
    cheaper = json.dumps({"stack_deviations": ["no_db_reader"], "database_reader_count": 0})
    playbook("site.yml", "-e", cheaper, check=True)
    passed = playbook("playbooks/verify.yml", "-e", cheaper, check=True)
    text = " ".join(passed.stdout.split())
    holding = text.split(" rules hold: ", 1)[1].split(";", 1)[0].split(", ")
    assert "aurora-two-azs" in holding, text[-3000:]
    assert "acknowledged deviations (stack_deviations): aurora-two-azs: db: DB instances span 1 availability " \
           "zone(s)" in text and "(acknowledged deviation: no_db_reader)" in text, text[-3000:]

    # Without the acknowledgement the same inventory stops in the pre-flight, naming the variable.
    aws.start_recording()
    refused = playbook("playbooks/verify.yml", "-e", json.dumps({"database_reader_count": 0}))
    records = aws.stop_recording()
    assert refused.rc != 0
    assert "database_reader_count = 0: the spec has a reader" in " ".join(refused.output.split())
    assert records == []
