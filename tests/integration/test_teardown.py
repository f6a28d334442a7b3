"""playbooks/teardown.yml against the emulator: the whole cycle, the refusals, the production rules."""

from __future__ import annotations

import json
import re

import pytest

from tests.support.aws import is_write, request_action, request_service

pytestmark = pytest.mark.slow

TEARDOWN = "playbooks/teardown.yml"
CONFIRM = ("-e", "teardown_confirm=local")
PROD = ("-e", json.dumps({"stack_is_production": True}))
LIFT = ("-e", "teardown_lift_deletion_protection=true")
PREFIX = "solo-saving-local"
ENV_FILTER = [{"Key": "Project", "Values": ["solo-saving"]}, {"Key": "Environment", "Values": ["local"]}]


def writes(records):
    return [f"{request_service(r)}:{request_action(r)}" for r in records if is_write(r)]


def tagged(aws):
    """ARNs of everything tagged for the local environment (the Resource Groups Tagging API).

    ECS keeps deleted clusters and services as INACTIVE for a while (AWS documents it, the emulator keeps them
    for good), and the tag index lists them: those are gone. So is a KMS key pending deletion (AWS deletes it
    after its waiting period, at least 7 days; it can no longer be used).
    """
    arns = []
    for page in aws.client("resourcegroupstaggingapi").get_paginator("get_resources").paginate(TagFilters=ENV_FILTER):
        arns.extend(m["ResourceARN"] for m in page["ResourceTagMappingList"])
    ecs = aws.client("ecs")
    live = []
    for arn in sorted(arns):
        if ":cluster/" in arn and arn.startswith("arn:aws:ecs:"):
            if ecs.describe_clusters(clusters=[arn])["clusters"][0]["status"] == "INACTIVE":
                continue
        elif ":service/" in arn and arn.startswith("arn:aws:ecs:"):
            cluster = arn.split(":service/", 1)[1].split("/")[0]
            if ecs.describe_services(cluster=cluster, services=[arn])["services"][0]["status"] == "INACTIVE":
                continue
        elif arn.startswith("arn:aws:kms:") and ":key/" in arn and \
                aws.client("kms").describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingDeletion":
            continue
        live.append(arn)
    return live


def leftovers(aws):
    """What the environment's names and tags still find, kind by kind, read with boto3 (empty lists left out)."""
    ec2, rds = aws.client("ec2"), aws.client("rds")
    tag_filters = [{"Name": "tag:Project", "Values": ["solo-saving"]}, {"Name": "tag:Environment", "Values": ["local"]}]
    found = {
        "vpcs": [v["VpcId"] for v in ec2.describe_vpcs(Filters=tag_filters)["Vpcs"]],
        "internet gateways": [g["InternetGatewayId"] for g in ec2.describe_internet_gateways(Filters=tag_filters)[
            "InternetGateways"]],
        "security groups": [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]
                            if g["GroupName"].startswith(PREFIX)],
        "ecs clusters": [c["clusterName"] for c in aws.client("ecs").describe_clusters(
            clusters=aws.client("ecs").list_clusters()["clusterArns"])["clusters"] if c["status"] != "INACTIVE"],
        "task definitions": aws.client("ecs").list_task_definitions(familyPrefix=PREFIX)["taskDefinitionArns"],
        "cloud map namespaces": [n["Name"] for n in aws.client("servicediscovery").list_namespaces()["Namespaces"]],
        "iam roles": [r["RoleName"] for r in aws.client("iam").list_roles()["Roles"]
                      if r["RoleName"].startswith(PREFIX)],
        "log groups": [g["logGroupName"] for g in aws.client("logs").describe_log_groups()["logGroups"]
                       if PREFIX in g["logGroupName"]],
        "alarms": [a["AlarmName"] for a in aws.client("cloudwatch").describe_alarms(AlarmNamePrefix=PREFIX)[
            "MetricAlarms"]],
        "topics": [t["TopicArn"] for t in aws.client("sns").list_topics()["Topics"] if PREFIX in t["TopicArn"]],
        "load balancers": [b["LoadBalancerName"] for b in aws.client("elbv2").describe_load_balancers()[
            "LoadBalancers"]],
        "target groups": [g["TargetGroupName"] for g in aws.client("elbv2").describe_target_groups()["TargetGroups"]],
        "certificates": [c["DomainName"] for c in aws.client("acm").list_certificates()["CertificateSummaryList"]],
        "web acls": [a["Name"] for a in aws.client("wafv2").list_web_acls(Scope="REGIONAL")["WebACLs"]],
        "public zones": [z["Name"] for z in aws.client("route53").list_hosted_zones()["HostedZones"]
                         if not z["Config"]["PrivateZone"]],
        "db clusters": [c["DBClusterIdentifier"] for c in rds.describe_db_clusters()["DBClusters"]],
        "db instances": [i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]],
        "db subnet groups": [g["DBSubnetGroupName"] for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]],
        "db parameter groups": [g["DBClusterParameterGroupName"] for g in rds.describe_db_cluster_parameter_groups()[
            "DBClusterParameterGroups"] if not g["DBClusterParameterGroupName"].startswith("default.")],
        "ssm parameters": [p["Name"] for p in aws.client("ssm").describe_parameters(ParameterFilters=[
            {"Key": "Path", "Option": "Recursive", "Values": ["/solo-saving/local"]}])["Parameters"]],
        "rds event subscriptions": [e["CustSubscriptionId"] for e in rds.describe_event_subscriptions()[
            "EventSubscriptionsList"]],
        "kms aliases": [a["AliasName"] for a in aws.client("kms").list_aliases()["Aliases"]
                        if a["AliasName"].startswith(f"alias/{PREFIX}")],
        "kms keys": [m["KeyId"] for m in (aws.client("kms").describe_key(KeyId=k["KeyId"])["KeyMetadata"]
                                          for k in aws.client("kms").list_keys()["Keys"])
                     if m["KeyManager"] == "CUSTOMER" and m["KeyState"] != "PendingDeletion"],
        "ecr repositories": [r["repositoryName"] for r in aws.client("ecr").describe_repositories()["repositories"]],
    }
    return {kind: items for kind, items in found.items() if items}


def report(run):
    """The teardown's report (deleted, retained, remaining), as the debug task printed it."""
    text = run.stdout.split("TASK [Report what was deleted", 1)[1].split("TASK [", 1)[0]
    return " ".join(text.split())


def push_image(aws, repository, tag):
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                                      "digest": "sha256:" + "a" * 64}, "layers": []})
    aws.client("ecr").put_image(repositoryName=repository, imageManifest=manifest, imageTag=tag)


def test_teardown_removes_everything_a_rerun_changes_nothing_and_site_rebuilds(aws, playbook):
    playbook("site.yml", check=True)
    before = tagged(aws)
    assert any(":vpc/" in arn for arn in before) and any(":cluster:" in arn for arn in before)

    # The plan: everything listed, nothing written.
    aws.start_recording()
    plan = playbook(TEARDOWN, *CONFIRM, "--check")
    records = aws.stop_recording()
    assert plan.rc == 0, plan.output[-6000:]
    assert records and writes(records) == []
    planned = report(plan)
    # --check says what the teardown would do, not what it did.
    assert "would delete: - " in planned and "would keep: []" in planned and "deleted:" not in planned, planned
    assert "Nothing of the environment would be kept." in planned
    for label in ("ECS service frontend", "Aurora cluster solo-saving-local-db", "load balancer solo-saving-local-alb",
                  "web ACL solo-saving-local-waf", "KMS key alias/solo-saving-local-alarms",
                  "RDS event subscription solo-saving-local-db-cluster-events",
                  "ECR repository solo-saving-local/backend",
                  "SSM parameter /solo-saving/local/db_password", "VPC solo-saving-local-vpc",
                  "hosted zone solo-saving.test"):
        assert label in planned, planned
    assert tagged(aws) == before

    run = playbook(TEARDOWN, *CONFIRM, check=True)
    assert run.recap()["changed"] == 1
    assert "remaining: []" in report(run) and "retained: []" in report(run), report(run)
    assert "Nothing of the environment is kept." in report(run)
    assert tagged(aws) == []
    assert leftovers(aws) == {}

    # Running it twice is harmless: nothing to do, no write call.
    aws.start_recording()
    again = playbook(TEARDOWN, *CONFIRM, check=True)
    records = aws.stop_recording()
    assert again.recap()["changed"] == 0
    assert writes(records) == []
    assert "deleted: []" in report(again)

    rebuild = playbook("site.yml")
    assert rebuild.rc == 0, rebuild.output[-6000:]
    assert any(":vpc/" in arn for arn in tagged(aws))
    assert playbook("site.yml", check=True).recap()["changed"] == 0


@pytest.mark.parametrize(("extra", "expected"), [
    ((), "teardown_confirm must equal the environment name 'local' (it is not set): run with "
         "-e teardown_confirm=local to delete every resource of local"),
    (("-e", "teardown_confirm=prod"), "teardown_confirm must equal the environment name 'local' (got 'prod')"),
    ((*CONFIRM, *PROD), "local is a production environment (stack_is_production): its Aurora cluster and load "
                        "balancer are protected from deletion; add -e teardown_lift_deletion_protection=true"),
    ((*CONFIRM, "-e", "teardown_delete_images=perhaps"), "teardown_delete_images = 'perhaps': use true or false"),
])
def test_refusals_come_before_any_aws_request(aws, playbook, extra, expected):
    aws.start_recording()
    run = playbook(TEARDOWN, *extra)
    records = aws.stop_recording()
    assert run.rc != 0
    assert expected in " ".join(run.output.split()), run.output[-3000:]
    assert records == [], [request_action(r) for r in records]


def test_production_keeps_a_dated_final_snapshot_the_parameters_and_the_images(aws, playbook):
    playbook("site.yml", "--tags", "network,secrets,registry,database", *PROD, check=True)
    assert aws.client("rds").describe_db_clusters()["DBClusters"][0]["DeletionProtection"] is True
    push_image(aws, f"{PREFIX}/backend", "v1")

    # A protected cluster outside production still needs the explicit lift: refused, nothing written.
    aws.start_recording()
    refused = playbook(TEARDOWN, *CONFIRM)
    records = aws.stop_recording()
    assert refused.rc != 0
    assert "refusing to tear down: Aurora cluster solo-saving-local-db has deletion protection on" in refused.output
    assert writes(records) == []

    run = playbook(TEARDOWN, *CONFIRM, *PROD, *LIFT, check=True)
    snapshots = aws.client("rds").describe_db_cluster_snapshots(SnapshotType="manual")["DBClusterSnapshots"]
    assert len(snapshots) == 1
    snapshot = snapshots[0]["DBClusterSnapshotIdentifier"]
    assert re.fullmatch(rf"{PREFIX}-final-\d{{8}}-\d{{4}}", snapshot), snapshot
    text = report(run)
    assert f"Aurora cluster snapshot {snapshot}: the final snapshot of the Aurora cluster, taken by this teardown" \
        in text
    assert "SSM parameter /solo-saving/local/db_password: parameters are kept in production" in text
    assert f"ECR repository {PREFIX}/backend: holds 1 image: images are kept in production" in text
    assert "remaining: []" in text
    # The note says how to delete what was kept, and only that.
    assert "note: Kept on purpose; snapshots are deleted by hand once no longer needed; -e " \
        "teardown_delete_secrets=true deletes the parameters; -e teardown_delete_images=true deletes the " \
        "repositories that hold images." in text, text
    left = leftovers(aws)
    assert set(left) == {"ssm parameters", "ecr repositories"}, left
    assert left["ecr repositories"] == [f"{PREFIX}/backend"]
    assert "/solo-saving/local/db_password" in left["ssm parameters"]
    kept = tagged(aws)
    assert any(arn.endswith(f"cluster-snapshot:{snapshot}") for arn in kept)
    assert not any(":vpc/" in arn or ":cluster:" in arn for arn in kept)

    # Twice is harmless: the same things are kept, nothing is written.
    aws.start_recording()
    again = playbook(TEARDOWN, *CONFIRM, *PROD, *LIFT, check=True)
    records = aws.stop_recording()
    assert again.recap()["changed"] == 0
    assert writes(records) == []
    assert f"Aurora cluster snapshot {snapshot}" in report(again)
