"""The database stage against the emulator: the issue's acceptance criteria, read back with boto3."""

from __future__ import annotations

import json

import pytest

from tests.support.aws import is_write, request_action, request_service

pytestmark = pytest.mark.slow

PREFIX = "solo-saving-local"
CLUSTER = f"{PREFIX}-db"
SSM_PATH = "/solo-saving/local"
STAGES = ("--tags", "network,secrets,database")
WAIT = "tests/integration/playbooks/database_wait.yml"


def writes(records):
    return [f"{request_service(r)}:{request_action(r)}" for r in records if is_write(r)]


def cluster_of(aws):
    return aws.client("rds").describe_db_clusters(DBClusterIdentifier=CLUSTER)["DBClusters"][0]


def ssm_value(aws, key):
    return aws.client("ssm").get_parameter(Name=f"{SSM_PATH}/{key}", WithDecryption=True)["Parameter"]["Value"]


@pytest.fixture
def converged(aws, playbook):
    first = playbook("site.yml", *STAGES, check=True)
    assert first.recap()["changed"] >= 1
    return first


def test_converge_meets_the_spec_then_changes_nothing(aws, playbook, converged):
    rds, ec2 = aws.client("rds"), aws.client("ec2")
    cluster = cluster_of(aws)
    assert cluster["Engine"] == "aurora-postgresql" and cluster["EngineVersion"] == "16.6"
    assert cluster["ServerlessV2ScalingConfiguration"] == {"MinCapacity": 0.5, "MaxCapacity": 4.0}
    assert cluster["StorageEncrypted"] is True
    assert cluster["BackupRetentionPeriod"] == 7
    assert cluster["EnabledCloudwatchLogsExports"] == ["postgresql"]
    assert cluster["CopyTagsToSnapshot"] is True
    assert cluster["DeletionProtection"] is False  # local is not production
    assert cluster["MasterUsername"] == ssm_value(aws, "db_username")
    assert cluster["DatabaseName"] == "solosaving"

    instances = sorted(rds.describe_db_instances(
        Filters=[{"Name": "db-cluster-id", "Values": [CLUSTER]}])["DBInstances"],
        key=lambda i: i["DBInstanceIdentifier"])
    assert [(i["DBInstanceIdentifier"], i["DBInstanceClass"], i["AvailabilityZone"], i["PromotionTier"])
            for i in instances] == [(f"{CLUSTER}-1", "db.serverless", "ap-northeast-1a", 0),
                                    (f"{CLUSTER}-2", "db.serverless", "ap-northeast-1c", 1)]
    assert not any(i["PubliclyAccessible"] for i in instances)
    writers = [m["DBInstanceIdentifier"] for m in cluster["DBClusterMembers"] if m["IsClusterWriter"]]
    assert writers == [f"{CLUSTER}-1"]

    # The DB security group admits 5432 only from the backend group, and is the cluster's only group.
    groups = {g["GroupName"]: g for g in ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [f"{PREFIX}-db", f"{PREFIX}-backend"]}])["SecurityGroups"]}
    db, backend = groups[f"{PREFIX}-db"], groups[f"{PREFIX}-backend"]
    assert [g["VpcSecurityGroupId"] for g in cluster["VpcSecurityGroups"]] == [db["GroupId"]]
    assert [(p["FromPort"], p["ToPort"], [g["GroupId"] for g in p["UserIdGroupPairs"]], p["IpRanges"])
            for p in db["IpPermissions"]] == [(5432, 5432, [backend["GroupId"]], [])]

    # Subnet group over the DB subnets; TLS forced by the parameter group.
    subnet_group = rds.describe_db_subnet_groups(DBSubnetGroupName=cluster["DBSubnetGroup"])["DBSubnetGroups"][0]
    db_subnets = ec2.describe_subnets(Filters=[{"Name": "tag:Tier", "Values": ["db"]}])["Subnets"]
    assert sorted(s["SubnetIdentifier"] for s in subnet_group["Subnets"]) == sorted(s["SubnetId"] for s in db_subnets)
    parameters = rds.describe_db_cluster_parameters(
        DBClusterParameterGroupName=cluster["DBClusterParameterGroup"])["Parameters"]
    assert {p["ParameterName"]: p["ParameterValue"] for p in parameters}["rds.force_ssl"] == "1"

    # The connection settings the backend reads.
    assert ssm_value(aws, "db_host") == cluster["Endpoint"]
    assert ssm_value(aws, "db_port") == "5432"
    assert ssm_value(aws, "db_name") == "solosaving"

    # Four-step idempotency: check mode and a real run change nothing and write nothing.
    aws.start_recording()
    check = playbook("site.yml", *STAGES, "--check", "--diff", check=True)
    again = playbook("site.yml", *STAGES, check=True)
    scoped = playbook("site.yml", "--tags", "database", check=True)  # reads the network and secrets by lookup
    records = aws.stop_recording()
    assert check.recap()["changed"] == 0, check.output[-4000:]
    assert again.recap()["changed"] == 0, again.output[-4000:]
    assert scoped.recap()["changed"] == 0, scoped.output[-4000:]
    assert writes(records) == []


def test_check_mode_on_an_empty_account_plans_without_writing(aws, playbook):
    aws.start_recording()
    plan = playbook("site.yml", *STAGES, "--check", "--diff", "-v", check=True)
    records = aws.stop_recording()
    assert writes(records) == []
    assert plan.recap()["changed"] >= 3
    assert f"create Aurora cluster {CLUSTER} (aurora-postgresql 16.6, 0.5-4 ACU, encrypted=true)" in plan.output
    assert f"create DB instance {CLUSTER}-2 (db.serverless in ap-northeast-1c" in " ".join(plan.output.split())
    assert f"planned:rds-endpoint:{CLUSTER}" in plan.output
    assert aws.client("rds").describe_db_clusters()["DBClusters"] == []


def test_max_capacity_change_shows_in_check_diff_and_applies_in_place(aws, playbook, converged):
    before = cluster_of(aws)
    aws.start_recording()
    plan = playbook("site.yml", "--tags", "database", "--check", "--diff", "-e", "database_max_capacity=8",
                    check=True)
    records = aws.stop_recording()
    assert plan.recap()["changed"] == 1
    assert "-            MaxCapacity: 4.0\n+            MaxCapacity: 8.0" in plan.output
    assert writes(records) == []

    aws.start_recording()
    run = playbook("site.yml", "--tags", "database", "-e", "database_max_capacity=8", check=True)
    records = aws.stop_recording()
    assert run.recap()["changed"] == 1
    assert writes(records) == ["rds:ModifyDBCluster"]
    after = cluster_of(aws)
    assert after["ServerlessV2ScalingConfiguration"] == {"MinCapacity": 0.5, "MaxCapacity": 8.0}
    # Modified in place: the same cluster, the same endpoint.
    assert (after["DBClusterArn"], after["ClusterCreateTime"], after["Endpoint"]) == (
        before["DBClusterArn"], before["ClusterCreateTime"], before["Endpoint"])
    again = playbook("site.yml", "--tags", "database", "-e", "database_max_capacity=8", check=True)
    assert again.recap()["changed"] == 0


@pytest.mark.parametrize(("extra", "expected"), [
    ({"database_min_capacity": 8, "database_max_capacity": 4},
     "database_min_capacity (8) is above database_max_capacity (4): the minimum must not exceed the maximum"),
    ({"database_max_capacity": 300}, "database_max_capacity = 300: Aurora Serverless v2 capacity goes from 0 to 256"),
    ({"database_min_capacity": 0.3}, "database_min_capacity = 0.3: capacity moves in steps of 0.5 ACU; use 0 or 0.5"),
    ({"database_engine_version": "16.99"}, "database_engine_version = '16.99' is not a known Aurora PostgreSQL"),
    ({"database_backup_retention_days": 1}, "database_backup_retention_days = 1: keep backups 7 to 35 days"),
])
def test_bad_value_fails_in_preflight_before_any_aws_call(aws, playbook, extra, expected):
    aws.start_recording()
    run = playbook("site.yml", "-e", json.dumps(extra))
    records = aws.stop_recording()
    assert run.rc != 0
    assert expected in run.output, run.output[-4000:]
    assert records == [], [request_action(r) for r in records]


def test_production_needs_two_zones_a_reader_and_deletion_protection(aws, playbook):
    aws.start_recording()
    run = playbook("site.yml", "-e", json.dumps({"stack_is_production": True, "database_reader_count": 0,
                                                 "database_deletion_protection": False}))
    records = aws.stop_recording()
    assert run.rc != 0
    assert "database_reader_count = 0: production (stack_is_production) needs at least one reader" in run.output
    assert "database_deletion_protection must be true in production" in run.output
    assert records == []


def test_changes_that_would_replace_the_cluster_are_refused_without_a_write(aws, playbook, converged):
    aws.start_recording()
    renamed_db = playbook("site.yml", "--tags", "database", "-e", "database_db_name=other")
    renamed_cluster = playbook("site.yml", "--tags", "database", "-e",
                               "database_cluster_identifier=solo-saving-local-db2")
    records = aws.stop_recording()
    assert writes(records) == []

    assert renamed_db.rc != 0
    text = " ".join(renamed_db.output.split())
    assert f"Aurora cluster {CLUSTER} was created with database solosaving; the inventory asks for other" in text
    assert "set database_db_name back to solosaving" in text

    assert renamed_cluster.rc != 0
    text = " ".join(renamed_cluster.output.split())
    assert f"the stack's data is in Aurora cluster {CLUSTER}" in text
    assert "set database_allow_new_cluster: true" in text
    assert len(aws.client("rds").describe_db_clusters()["DBClusters"]) == 1


def test_the_password_never_reaches_the_output(aws, playbook):
    first = playbook("site.yml", *STAGES, "-vvv", "--diff", check=True)
    password = ssm_value(aws, "db_password")
    assert len(password) >= 16
    again = playbook("site.yml", "--tags", "database", "-vvv", "--diff", "-e", "database_update_password=always",
                     check=True)
    assert again.recap()["changed"] == 1  # the password was set again, from SSM, inside the module
    for run in (first, again):
        assert password not in run.output


def test_wait_returns_when_available_and_fails_fast_or_clearly(aws, playbook, converged):
    ready = playbook(WAIT, check=True)
    assert ready.recap()["failed"] == 0

    aws.client("rds").stop_db_cluster(DBClusterIdentifier=CLUSTER)
    stopped = playbook(WAIT, timeout=120)
    assert stopped.rc != 0
    assert f"Aurora cluster {CLUSTER} will not become available: the cluster is stopped" in \
        " ".join(stopped.output.split())


def test_wait_on_a_missing_cluster_fails_and_check_mode_does_not(aws, playbook):
    missing = playbook(WAIT, timeout=120)
    assert missing.rc != 0
    assert f"Aurora cluster {CLUSTER} does not exist: run the database stage first" in missing.output
    assert playbook(WAIT, "--check", timeout=120).rc == 0
