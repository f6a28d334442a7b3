"""aurora_serverless_cluster: plan/compare logic, refusals, check mode and secrets, with the wrapper layer faked."""

from __future__ import annotations

import copy
import datetime

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError
from ansible_collections.solo_saving.infra.plugins.modules import aurora_serverless_cluster as mod
from tests.support.modules import ModuleFail

IDENT = "t-dev-db"
PASSWORD = "s3cr3t-Pa55word-never-shown"
ARGS = {
    "identifier": IDENT,
    "engine_version": "16.6",
    "vpc_id": "vpc-1",
    "subnet_ids": ["subnet-a", "subnet-c"],
    "vpc_security_group_ids": ["sg-db"],
    "parameters": {"rds.force_ssl": 1},
    "port": 5432,
    "database_name": "app",
    "master_username_parameter": "/t/dev/db_username",
    "master_password_parameter": "/t/dev/db_password",
    "min_capacity": 0.5,
    "max_capacity": 4,
    "preferred_backup_window": "18:00-18:30",
    "preferred_maintenance_window": "Sun:19:00-Sun:19:30",
    "deletion_protection": False,
    "instances": [
        {"identifier": f"{IDENT}-1", "availability_zone": "ap-northeast-1a", "promotion_tier": 0},
        {"identifier": f"{IDENT}-2", "availability_zone": "ap-northeast-1c", "promotion_tier": 1},
    ],
    "connection_parameters": {"host": "/t/dev/db_host", "port": "/t/dev/db_port", "database": "/t/dev/db_name"},
    "identity_tags": {"Project": "t", "Environment": "dev"},
    "tags": {"Project": "t", "Environment": "dev"},
}


def args(**changes):
    data = copy.deepcopy(ARGS)
    data.update(changes)
    return data


class FakeAws:
    """In-memory stand-in for module_utils.rds / ssm / kms: records every write call in order."""

    def __init__(self):
        self.clusters, self.instances, self.subnet_groups, self.parameter_groups = {}, {}, {}, {}
        self.group_parameters = {}
        self.tags = {}
        self.ssm = {"/t/dev/db_username": {"Value": "app_admin", "Type": "String"},
                    "/t/dev/db_password": {"Value": PASSWORD, "Type": "SecureString", "KeyId": "alias/aws/ssm"},
                    "/t/dev/db_host": {"Value": "unset", "Type": "SecureString", "KeyId": "alias/custom"}}
        self.writes = []
        self.calls = []
        self.password_reads = 0

    # -- rds ---------------------------------------------------------------------------
    def describe_db_clusters(self, client):
        self.calls.append("describe_db_clusters")
        return [self._cluster_view(c) for c in self.clusters.values()]

    def _cluster_view(self, cluster):
        view = copy.deepcopy(cluster)
        view["DBClusterMembers"] = [
            {"DBInstanceIdentifier": i["DBInstanceIdentifier"], "IsClusterWriter": i["PromotionTier"] == 0,
             "PromotionTier": i["PromotionTier"]}
            for i in self.instances.values() if i["DBClusterIdentifier"] == cluster["DBClusterIdentifier"]]
        return view

    def describe_db_cluster(self, client, identifier):
        cluster = self.clusters.get(identifier)
        return self._cluster_view(cluster) if cluster else None

    def create_db_cluster(self, client, **params):
        self.writes.append(("create_db_cluster", params))
        cluster = {
            "DBClusterIdentifier": params["DBClusterIdentifier"],
            "DBClusterArn": f"arn:aws:rds:ap-northeast-1:1:cluster:{params['DBClusterIdentifier']}",
            "Engine": params["Engine"], "EngineVersion": params["EngineVersion"], "Port": params["Port"],
            "DatabaseName": params["DatabaseName"], "MasterUsername": params["MasterUsername"],
            "ServerlessV2ScalingConfiguration": dict(params["ServerlessV2ScalingConfiguration"]),
            "StorageEncrypted": params["StorageEncrypted"],
            "KmsKeyId": params.get("KmsKeyId", "arn:aws:kms:ap-northeast-1:1:key/aws-rds"),
            "BackupRetentionPeriod": params["BackupRetentionPeriod"],
            "PreferredBackupWindow": params["PreferredBackupWindow"],
            "PreferredMaintenanceWindow": params["PreferredMaintenanceWindow"].lower(),
            "EnabledCloudwatchLogsExports": list(params["EnableCloudwatchLogsExports"]),
            "CopyTagsToSnapshot": params["CopyTagsToSnapshot"], "DeletionProtection": params["DeletionProtection"],
            "VpcSecurityGroups": [{"VpcSecurityGroupId": g, "Status": "active"} for g in params["VpcSecurityGroupIds"]],
            "DBSubnetGroup": params["DBSubnetGroupName"],
            "DBClusterParameterGroup": params["DBClusterParameterGroupName"],
            "Endpoint": f"{params['DBClusterIdentifier']}.cluster-x.rds.amazonaws.com",
            "ReaderEndpoint": f"{params['DBClusterIdentifier']}.cluster-ro-x.rds.amazonaws.com",
            "TagList": params["Tags"], "Status": "available",
        }
        self.clusters[cluster["DBClusterIdentifier"]] = cluster
        return dict(copy.deepcopy(cluster), Status="creating")

    def modify_db_cluster(self, client, identifier, **changes):
        self.writes.append(("modify_db_cluster", changes))
        cluster = self.clusters[identifier]
        if "ServerlessV2ScalingConfiguration" in changes:
            cluster["ServerlessV2ScalingConfiguration"] = changes["ServerlessV2ScalingConfiguration"]
        if "VpcSecurityGroupIds" in changes:
            cluster["VpcSecurityGroups"] = [{"VpcSecurityGroupId": g} for g in changes["VpcSecurityGroupIds"]]
        for key, field in (("EngineVersion", "EngineVersion"), ("DeletionProtection", "DeletionProtection"),
                           ("BackupRetentionPeriod", "BackupRetentionPeriod"),
                           ("DBClusterParameterGroupName", "DBClusterParameterGroup")):
            if key in changes:
                cluster[field] = changes[key]
        return copy.deepcopy(cluster)

    def describe_db_subnet_group(self, client, name):
        return copy.deepcopy(self.subnet_groups.get(name))

    def create_db_subnet_group(self, client, name, description, subnet_ids, tags):
        self.writes.append(("create_db_subnet_group", name))
        self.subnet_groups[name] = {"DBSubnetGroupName": name, "VpcId": "vpc-1",
                                    "DBSubnetGroupArn": f"arn:subgrp:{name}",
                                    "Subnets": [{"SubnetIdentifier": s} for s in subnet_ids]}
        self.tags[f"arn:subgrp:{name}"] = tags

    def modify_db_subnet_group(self, client, name, description, subnet_ids):
        self.writes.append(("modify_db_subnet_group", sorted(subnet_ids)))
        self.subnet_groups[name]["Subnets"] = [{"SubnetIdentifier": s} for s in subnet_ids]

    def describe_db_cluster_parameter_group(self, client, name):
        return copy.deepcopy(self.parameter_groups.get(name))

    def create_db_cluster_parameter_group(self, client, name, family, description, tags):
        self.writes.append(("create_db_cluster_parameter_group", name))
        self.parameter_groups[name] = {"DBClusterParameterGroupName": name, "DBParameterGroupFamily": family,
                                       "DBClusterParameterGroupArn": f"arn:pg:{name}"}
        self.group_parameters[name] = {}
        self.tags[f"arn:pg:{name}"] = tags

    def describe_db_cluster_parameters(self, client, name, source=None):
        rows = [{"ParameterName": k, "ParameterValue": v, "Source": "user", "ApplyType": "dynamic"}
                for k, v in self.group_parameters[name].items()]
        if source is None:
            rows.append({"ParameterName": "shared_preload_libraries", "Source": "engine-default",
                         "ApplyType": "static"})
        return rows

    def modify_db_cluster_parameter_group(self, client, name, parameters):
        self.writes.append(("modify_db_cluster_parameter_group", parameters))
        for row in parameters:
            self.group_parameters[name][row["ParameterName"]] = row["ParameterValue"]

    def reset_db_cluster_parameters(self, client, name, parameters):
        self.writes.append(("reset_db_cluster_parameters", parameters))
        for row in parameters:
            self.group_parameters[name].pop(row["ParameterName"], None)

    def describe_cluster_instances(self, client, cluster_identifier):
        return [copy.deepcopy(i) for i in self.instances.values() if i["DBClusterIdentifier"] == cluster_identifier]

    def create_db_instance(self, client, **params):
        self.writes.append(("create_db_instance", params))
        assert params["DBClusterIdentifier"] in self.clusters, "an instance before its cluster"
        assert self.clusters[params["DBClusterIdentifier"]].get("ServerlessV2ScalingConfiguration"), \
            "a db.serverless instance before the cluster's capacity range"
        self.instances[params["DBInstanceIdentifier"]] = {
            "DBInstanceIdentifier": params["DBInstanceIdentifier"],
            "DBInstanceArn": f"arn:db:{params['DBInstanceIdentifier']}",
            "DBClusterIdentifier": params["DBClusterIdentifier"], "DBInstanceClass": params["DBInstanceClass"],
            "AvailabilityZone": params["AvailabilityZone"], "PromotionTier": params["PromotionTier"],
            "PubliclyAccessible": params["PubliclyAccessible"],
            "AutoMinorVersionUpgrade": params["AutoMinorVersionUpgrade"],
            "PerformanceInsightsEnabled": params["EnablePerformanceInsights"],
            "DBInstanceStatus": "available", "TagList": params["Tags"]}

    def modify_db_instance(self, client, identifier, **changes):
        self.writes.append(("modify_db_instance", identifier, changes))
        inst = self.instances[identifier]
        for key in ("PubliclyAccessible", "PromotionTier", "DBInstanceClass", "AutoMinorVersionUpgrade"):
            if key in changes:
                inst[key] = changes[key]

    def delete_db_instance(self, client, identifier):
        self.writes.append(("delete_db_instance", identifier))
        self.instances.pop(identifier)

    def list_tags(self, client, arn):
        return copy.deepcopy(self.tags.get(arn, []))

    def add_tags(self, client, arn, tags):
        self.writes.append(("add_tags", arn, tags))
        for cluster in self.clusters.values():
            if cluster.get("DBClusterArn") == arn:
                keys = {t["Key"] for t in tags}
                cluster["TagList"] = [t for t in cluster["TagList"] if t["Key"] not in keys] + list(tags)

    # -- ssm ------------------------------------------------------------------------------
    def get_parameters(self, client, names, decrypt=True):
        return {n: {"Name": n, "Value": self.ssm[n]["Value"]} for n in names if n in self.ssm}

    def get_parameter_value(self, client, name, decrypt=True):
        self.password_reads += 1
        return self.ssm.get(name, {}).get("Value")

    def describe_parameters(self, client, names):
        return {n: {"Name": n, "Type": self.ssm[n]["Type"], "KeyId": self.ssm[n].get("KeyId"),
                    "Version": self.ssm[n].get("Version", 1),
                    "LastModifiedDate": datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)}
                for n in names if n in self.ssm}

    def put_parameter(self, client, name, value, parameter_type="SecureString", key_id=None, overwrite=False,
                      tags=None):
        self.writes.append(("put_parameter", name, value, key_id, overwrite))
        self.ssm[name] = {"Value": value, "Type": parameter_type, "KeyId": key_id or "alias/aws/ssm"}

    # -- kms -------------------------------------------------------------------------------
    def describe_key(self, client, key_id):
        keys = {"alias/app": "arn:aws:kms:ap-northeast-1:1:key/app-key"}
        return {"Arn": keys[key_id]} if key_id in keys else None

    def write_names(self):
        return [w[0] for w in self.writes]


@pytest.fixture
def fake(monkeypatch):
    fake = FakeAws()
    for module_api in (mod.api, mod.ssm_api, mod.kms_api):
        for name in dir(fake):
            if not name.startswith("_") and hasattr(module_api, name):
                monkeypatch.setattr(module_api, name, getattr(fake, name))
    return fake


def converged(run_module, fake, **changes):
    result = run_module(mod, args(**changes))
    fake.writes.clear()
    return result


# -- plan, create, idempotence -------------------------------------------------------------------
def test_check_mode_on_empty_account_plans_everything_and_writes_nothing(run_module, fake):
    result = run_module(mod, args(vpc_id="planned:vpc:x", subnet_ids=["planned:subnet:a", "planned:subnet:c"],
                                  vpc_security_group_ids=["planned:sg:db"]), check_mode=True, diff=True)
    assert fake.writes == []
    assert fake.password_reads == 0
    assert result["changed"] is True
    assert result["cluster_arn"] == f"planned:rds-cluster:{IDENT}"
    assert result["endpoint"] == f"planned:rds-endpoint:{IDENT}"
    assert result["status"] == "planned"
    assert result["available"] is False
    assert [i["role"] for i in result["instances"]] == ["writer", "reader"]
    assert result["actions"][:4] == [
        f"create DB subnet group {IDENT}-subnets over 2 subnets",
        f"create cluster parameter group {IDENT}-aurora-postgresql16 (aurora-postgresql16)",
        f"set parameters rds.force_ssl=1 on {IDENT}-aurora-postgresql16",
        f"create Aurora cluster {IDENT} (aurora-postgresql 16.6, 0.5-4 ACU, encrypted=true)",
    ]
    assert "write the cluster endpoint into SSM parameter /t/dev/db_host" in result["actions"]
    assert result["diff"]["before"]["cluster"] is None
    assert result["diff"]["after"]["cluster"]["scaling"] == {"MinCapacity": 0.5, "MaxCapacity": 4.0}
    assert result["diff"]["after"]["connection_parameters"]["/t/dev/db_host"] == "(the new cluster's endpoint)"


def test_real_run_matches_the_plan_then_nothing_changes(run_module, fake):
    planned = run_module(mod, args(), check_mode=True)
    first = run_module(mod, args())
    assert first["changed"] is True
    assert planned["actions"] == first["actions"]
    names = fake.write_names()
    # The capacity range is on the cluster before any db.serverless instance (the fake asserts it too).
    assert names.index("create_db_cluster") < names.index("create_db_instance")
    creates = [w[1] for w in fake.writes if w[0] == "create_db_instance"]
    assert [(c["DBInstanceIdentifier"], c["AvailabilityZone"], c["PromotionTier"]) for c in creates] == [
        (f"{IDENT}-1", "ap-northeast-1a", 0), (f"{IDENT}-2", "ap-northeast-1c", 1)]
    assert all(c["DBSubnetGroupName"] == f"{IDENT}-subnets" and c["PubliclyAccessible"] is False
               and c["DBInstanceClass"] == "db.serverless" for c in creates)
    cluster = next(w[1] for w in fake.writes if w[0] == "create_db_cluster")
    assert cluster["StorageEncrypted"] is True and cluster["EnableCloudwatchLogsExports"] == ["postgresql"]
    assert cluster["MasterUsername"] == "app_admin" and cluster["MasterUserPassword"] == PASSWORD
    assert first["status"] == "creating"
    assert first["available"] is False
    assert fake.ssm["/t/dev/db_host"]["Value"] == f"{IDENT}.cluster-x.rds.amazonaws.com"
    assert fake.ssm["/t/dev/db_port"]["Value"] == "5432"
    assert fake.ssm["/t/dev/db_name"]["Value"] == "app"
    # An existing SecureString keeps its KMS key when overwritten; a new one is created (with tags).
    host_write = next(w for w in fake.writes if w[0] == "put_parameter" and w[1] == "/t/dev/db_host")
    assert host_write[3:] == ("alias/custom", True)
    port_write = next(w for w in fake.writes if w[0] == "put_parameter" and w[1] == "/t/dev/db_port")
    assert port_write[4] is False

    writes = list(fake.writes)
    fake.calls.clear()
    second = run_module(mod, args())
    assert fake.calls == ["describe_db_clusters"]  # a run with nothing to do reads once, in one pass
    check = run_module(mod, args(), check_mode=True, diff=True)
    assert second["changed"] is False and second["actions"] == []
    assert check["changed"] is False
    assert check["diff"]["before"] == check["diff"]["after"]
    assert fake.writes == writes
    assert fake.password_reads == 1  # only on create
    assert second["instances"] == [
        {"identifier": f"{IDENT}-1", "az": "ap-northeast-1a", "role": "writer", "status": "available"},
        {"identifier": f"{IDENT}-2", "az": "ap-northeast-1c", "role": "reader", "status": "available"}]
    assert second["available"] is True


def test_password_never_leaves_the_module(run_module, fake, monkeypatch):
    seen = set()
    original = mod.AuroraCluster.master_password

    def spy(self):
        value = original(self)
        seen.update(self.module.no_log_values)
        return value

    monkeypatch.setattr(mod.AuroraCluster, "master_password", spy)
    result = run_module(mod, args(), diff=True)
    assert PASSWORD in seen  # masked by Ansible wherever it could appear
    assert PASSWORD not in repr(result)


def test_scaling_change_is_planned_then_applied_in_place(run_module, fake):
    converged(run_module, fake)
    check = run_module(mod, args(max_capacity=8), check_mode=True, diff=True)
    assert fake.writes == []
    assert check["actions"] == [f"modify Aurora cluster {IDENT}: capacity 0.5-8 ACU"]
    assert check["diff"]["before"]["cluster"]["scaling"]["MaxCapacity"] == 4.0
    assert check["diff"]["after"]["cluster"]["scaling"]["MaxCapacity"] == 8.0
    result = run_module(mod, args(max_capacity=8))
    assert fake.writes == [("modify_db_cluster", {
        "ApplyImmediately": True, "ServerlessV2ScalingConfiguration": {"MinCapacity": 0.5, "MaxCapacity": 8.0}})]
    assert result["cluster_arn"] == f"arn:aws:rds:ap-northeast-1:1:cluster:{IDENT}"
    assert run_module(mod, args(max_capacity=8))["changed"] is False


def test_auto_pause_sends_seconds_only_with_zero_minimum(run_module, fake):
    converged(run_module, fake)
    run_module(mod, args(min_capacity=0, seconds_until_auto_pause=600))
    assert fake.writes[0][1]["ServerlessV2ScalingConfiguration"] == {
        "MinCapacity": 0.0, "MaxCapacity": 4.0, "SecondsUntilAutoPause": 600}


def test_security_groups_compare_as_a_set(run_module, fake):
    converged(run_module, fake, vpc_security_group_ids=["sg-db", "sg-extra"])
    assert run_module(mod, args(vpc_security_group_ids=["sg-extra", "sg-db"]))["changed"] is False
    result = run_module(mod, args(vpc_security_group_ids=["sg-db"]))
    assert result["actions"] == [f"modify Aurora cluster {IDENT}: VpcSecurityGroupIds=sg-db"]


def test_drift_on_cluster_and_instances_is_corrected(run_module, fake):
    converged(run_module, fake)
    fake.clusters[IDENT]["DeletionProtection"] = True
    fake.clusters[IDENT]["BackupRetentionPeriod"] = 1
    fake.instances[f"{IDENT}-2"]["PubliclyAccessible"] = True
    fake.instances[f"{IDENT}-2"]["PromotionTier"] = 5
    result = run_module(mod, args())
    assert result["actions"] == [
        f"modify Aurora cluster {IDENT}: BackupRetentionPeriod=7, DeletionProtection=false",
        f"modify DB instance {IDENT}-2: PromotionTier=1, PubliclyAccessible=false",
    ]
    assert run_module(mod, args())["changed"] is False


def test_parameters_are_set_with_their_apply_method_and_extra_ones_reset(run_module, fake):
    converged(run_module, fake)
    fake.group_parameters[f"{IDENT}-aurora-postgresql16"]["log_min_duration_statement"] = "100"
    result = run_module(mod, args(parameters={"rds.force_ssl": 1, "shared_preload_libraries": "pg_stat_statements"}))
    assert result["actions"] == [
        f"set parameters shared_preload_libraries=pg_stat_statements on {IDENT}-aurora-postgresql16",
        f"reset parameters log_min_duration_statement of {IDENT}-aurora-postgresql16 to the engine default",
    ]
    assert fake.writes[0][1] == [{"ParameterName": "shared_preload_libraries",
                                  "ParameterValue": "pg_stat_statements", "ApplyMethod": "pending-reboot"}]
    assert fake.writes[1][1] == [{"ParameterName": "log_min_duration_statement", "ApplyMethod": "immediate"}]


def test_missing_tags_are_added_and_others_kept(run_module, fake):
    converged(run_module, fake)
    result = run_module(mod, args(tags={"Project": "t", "Environment": "dev", "Owner": "me"}))
    assert sum(1 for a in result["actions"] if a.startswith("update the tags of")) == 5
    assert all(w[2] == [{"Key": "Owner", "Value": "me"}] for w in fake.writes)


def test_subnets_are_replaced_in_place_within_the_vpc(run_module, fake):
    converged(run_module, fake)
    result = run_module(mod, args(subnet_ids=["subnet-a", "subnet-d"]))
    assert result["actions"] == [f"set the subnets of DB subnet group {IDENT}-subnets to subnet-a, subnet-d"]


def test_minor_upgrade_in_place_and_a_newer_minor_aws_applied_is_no_change(run_module, fake, monkeypatch):
    converged(run_module, fake)
    result = run_module(mod, args(engine_version="16.8"))
    assert result["actions"] == [f"modify Aurora cluster {IDENT}: EngineVersion=16.8"]
    warnings = []
    monkeypatch.setattr(mod.SoloAwsModule, "warn", lambda self, msg: warnings.append(msg))
    # Minor upgrades on (the default): AWS was allowed to, the major is the pin. No change, no downgrade.
    fake.writes.clear()
    result = run_module(mod, args(engine_version="16.6"))
    assert result["changed"] is False and result["actions"] == []
    assert not [w for w in warnings if "newer than the pinned" in w]
    assert [w for w in fake.writes if "EngineVersion" in str(w)] == []


def test_a_newer_minor_is_a_warning_when_minor_upgrades_are_off(run_module, fake, monkeypatch):
    converged(run_module, fake, auto_minor_version_upgrade=False)
    run_module(mod, args(engine_version="16.8", auto_minor_version_upgrade=False))
    warnings = []
    monkeypatch.setattr(mod.SoloAwsModule, "warn", lambda self, msg: warnings.append(msg))
    result = run_module(mod, args(engine_version="16.6", auto_minor_version_upgrade=False))
    assert result["changed"] is False
    assert "runs 16.8, newer than the pinned 16.6" in warnings[0]
    assert "pin database_engine_version to 16.8" in warnings[0]


def test_major_upgrade_needs_the_variable_and_brings_the_new_family(run_module, fake):
    converged(run_module, fake)
    with pytest.raises(ModuleFail, match="set database_allow_major_version_upgrade: true"):
        run_module(mod, args(engine_version="17.4"))
    # Refused in the plan: not even the new family's parameter group was created.
    assert fake.writes == []
    result = run_module(mod, args(engine_version="17.4", allow_major_version_upgrade=True))
    assert result["actions"][0] == f"create cluster parameter group {IDENT}-aurora-postgresql17 (aurora-postgresql17)"
    modify = next(w[1] for w in fake.writes if w[0] == "modify_db_cluster")
    assert modify["AllowMajorVersionUpgrade"] is True
    assert modify["EngineVersion"] == "17.4"
    assert modify["DBClusterParameterGroupName"] == f"{IDENT}-aurora-postgresql17"


# -- refusals: replacement or data loss ---------------------------------------------------------------
REMEDY = {
    r"the key cannot change in place": "set database_kms_key_id back to arn:aws:kms:ap-northeast-1:1:key/aws-rds",
    r"encrypted with KMS key arn:aws:kms:ap-northeast-1:1:key/aws-rds; .* set database_kms_key_id back":
        "set database_kms_key_id back to arn:aws:kms:ap-northeast-1:1:key/aws-rds",
    r"cannot go back to an older major version": "set database_engine_version back to 16.6",
    r"created with database app; .* set database_db_name back to app": "set database_db_name back to app",
    r"has master user root; SSM parameter /t/dev/db_username holds": "put root back into it",
}
@pytest.mark.parametrize(("mutate", "change", "message"), [
    (lambda c: c.update(Engine="aurora-mysql"), {}, r"runs aurora-mysql; .* the engine cannot change in place"),
    (lambda c: c.update(StorageEncrypted=False), {}, r"is not encrypted; .*storage encryption cannot change"),
    (None, {"kms_key_id": "arn:aws:kms:ap-northeast-1:1:key/other"},
     r"encrypted with KMS key arn:aws:kms:ap-northeast-1:1:key/aws-rds; .* set database_kms_key_id back"),
    (None, {"kms_key_id": "alias/app"}, r"the key cannot change in place"),
    (None, {"engine_version": "15.8"}, r"cannot go back to an older major version"),
    (None, {"database_name": "other"}, r"created with database app; .* set database_db_name back to app"),
    (lambda c: c.update(DBSubnetGroup="elsewhere"), {}, r"cannot change subnet group in place"),
    (lambda c: c.update(MasterUsername="root"), {}, r"has master user root; SSM parameter /t/dev/db_username holds"),
])
def test_changes_that_would_replace_the_cluster_are_refused(run_module, fake, mutate, change, message):
    converged(run_module, fake)
    if mutate:
        mutate(fake.clusters[IDENT])
    with pytest.raises(ModuleFail, match=message) as failure:
        run_module(mod, args(**change))
    assert fake.writes == []
    # Each refusal says what to do instead: put the inventory back, or build a new cluster beside this one.
    assert REMEDY.get(message, "set database_allow_new_cluster: true to create a new cluster beside this one") \
        in failure.value.result["msg"]


def test_kms_alias_of_the_same_key_is_accepted(run_module, fake):
    converged(run_module, fake, kms_key_id="arn:aws:kms:ap-northeast-1:1:key/app-key")
    assert run_module(mod, args(kms_key_id="alias/app"))["changed"] is False
    assert run_module(mod, args(kms_key_id="app-key"))["changed"] is False


def test_subnet_group_in_another_vpc_is_refused(run_module, fake):
    converged(run_module, fake)
    with pytest.raises(ModuleFail, match=r"lives in VPC vpc-1 .* the network is now VPC vpc-2: moving a cluster"):
        run_module(mod, args(vpc_id="vpc-2"))


def test_new_identifier_while_the_stacks_cluster_exists_is_refused(run_module, fake):
    converged(run_module, fake)
    renamed = args(identifier="t-dev-db2", instances=[
        {"identifier": "t-dev-db2-1", "availability_zone": "ap-northeast-1a", "promotion_tier": 0}])
    with pytest.raises(ModuleFail, match=r"the stack's data is in Aurora cluster t-dev-db .*Set "
                                         r"database_cluster_identifier back to t-dev-db, or set "
                                         r"database_allow_new_cluster: true"):
        run_module(mod, renamed)
    assert fake.writes == []
    result = run_module(mod, {**renamed, "allow_new_cluster": True})
    assert "create Aurora cluster t-dev-db2 (aurora-postgresql 16.6, 0.5-4 ACU, encrypted=true)" in result["actions"]
    assert IDENT in fake.clusters  # the old cluster is left alone


def test_instance_cannot_move_between_zones(run_module, fake):
    converged(run_module, fake)
    moved = args()
    moved["instances"][1]["availability_zone"] = "ap-northeast-1d"
    with pytest.raises(ModuleFail, match=rf"DB instance {IDENT}-2 is in ap-northeast-1c; .*cannot move"):
        run_module(mod, moved)


def test_extra_reader_is_kept_with_a_warning_or_purged(run_module, fake, monkeypatch):
    three = args()
    three["instances"].append({"identifier": f"{IDENT}-3", "availability_zone": "ap-northeast-1a",
                               "promotion_tier": 1})
    converged(run_module, fake, instances=three["instances"])
    warnings = []
    monkeypatch.setattr(mod.SoloAwsModule, "warn", lambda self, msg: warnings.append(msg))
    assert run_module(mod, args())["changed"] is False
    assert f"DB instance {IDENT}-3 belongs to Aurora cluster {IDENT} but not to the inventory" in warnings[0]
    result = run_module(mod, args(purge_instances=True))
    assert result["actions"] == [f"delete reader instance {IDENT}-3 (not in the inventory)"]


def test_the_writer_is_never_purged(run_module, fake):
    converged(run_module, fake)
    only_reader = args(purge_instances=True, instances=[ARGS["instances"][1]])
    with pytest.raises(ModuleFail, match=rf"DB instance {IDENT}-1 is the writer .* never deleted"):
        run_module(mod, only_reader)


def test_changes_wait_for_a_cluster_that_is_not_available(run_module, fake):
    converged(run_module, fake)
    fake.clusters[IDENT]["Status"] = "creating"
    assert run_module(mod, args())["changed"] is False  # nothing to change: no complaint
    with pytest.raises(ModuleFail, match=rf"Aurora cluster {IDENT} is creating; the changes "
                                         r"\(ServerlessV2ScalingConfiguration\) can be made once it is available"):
        run_module(mod, args(max_capacity=8))
    assert run_module(mod, args(max_capacity=8), check_mode=True)["changed"] is True


def test_password_update_always_resets_it(run_module, fake):
    converged(run_module, fake)
    result = run_module(mod, args(update_password="always"))
    assert result["actions"] == [f"set the master password of {IDENT} from /t/dev/db_password: update_password=always"]
    assert fake.writes[0] == ("modify_db_cluster", {"ApplyImmediately": True, "MasterUserPassword": PASSWORD})
    assert fake.write_names() == ["modify_db_cluster", "add_tags"]
    assert PASSWORD not in repr(result)


def stamp_of(fake):
    cluster = fake.clusters[IDENT]
    return next((t["Value"] for t in cluster["TagList"] if t["Key"] == "MasterPasswordStamp"), None)


def test_the_cluster_is_created_with_the_stamp_of_the_password_it_got(run_module, fake):
    converged(run_module, fake)
    assert stamp_of(fake) == "v1-1796083200"


def test_a_regenerated_password_parameter_is_set_on_the_cluster_then_stamped(run_module, fake):
    """The parameter was lost and the secrets role generated a new value: the cluster must get it too."""
    converged(run_module, fake)
    fake.ssm["/t/dev/db_password"].update(Value="A-New-Password-0123456789", Version=2)
    fake.writes.clear()
    planned = run_module(mod, args(), check_mode=True)
    result = run_module(mod, args())
    expected = (f"set the master password of {IDENT} from /t/dev/db_password: the parameter was written since the "
                "cluster got it (v1-1796083200 -> v2-1796083200)")
    assert planned["actions"] == result["actions"] == [expected]
    assert fake.writes[0] == ("modify_db_cluster", {"ApplyImmediately": True,
                                                    "MasterUserPassword": "A-New-Password-0123456789"})
    assert stamp_of(fake) == "v2-1796083200"
    assert run_module(mod, args())["changed"] is False


def test_an_interrupted_rotation_stops_the_run_before_any_write(run_module, fake):
    converged(run_module, fake)
    fake.ssm["/t/dev/db_password-pending"] = {"Value": "x" * 20, "Type": "SecureString"}
    fake.writes.clear()
    with pytest.raises(ModuleFail, match=r"a rotation of the master password was interrupted \(/t/dev/db_password-"
                                         r"pending exists\): finish it first, ansible-playbook playbooks/rotate"):
        run_module(mod, args())
    assert fake.writes == []


def test_a_cluster_without_a_stamp_is_stamped_without_touching_its_password(run_module, fake):
    converged(run_module, fake)
    cluster = fake.clusters[IDENT]
    cluster["TagList"] = [t for t in cluster["TagList"] if t["Key"] != "MasterPasswordStamp"]
    fake.writes.clear()
    result = run_module(mod, args())
    assert result["actions"] == [f"record on Aurora cluster {IDENT} which version of /t/dev/db_password it holds"]
    assert fake.write_names() == ["add_tags"]
    assert run_module(mod, args())["changed"] is False


# -- input and AWS errors ----------------------------------------------------------------------------
def test_missing_password_parameter_fails_naming_the_stage(run_module, fake):
    del fake.ssm["/t/dev/db_password"]
    with pytest.raises(ModuleFail, match=r"SSM parameter /t/dev/db_password \(the master password\) does not exist"):
        run_module(mod, args())
    assert "create_db_cluster" not in fake.write_names()


def test_missing_username_parameter_fails(run_module, fake):
    del fake.ssm["/t/dev/db_username"]
    with pytest.raises(ModuleFail, match=r"SSM parameter /t/dev/db_username \(the master user name\) does not exist"):
        run_module(mod, args())


@pytest.mark.parametrize(("change", "message"), [
    ({"min_capacity": 8, "max_capacity": 4}, r"must satisfy 0 <= min <= max <= 256"),
    ({"max_capacity": 300}, r"must satisfy 0 <= min <= max <= 256"),
    ({"min_capacity": 0.3}, r"min_capacity \(0.3\) must be a multiple of 0.5 ACU"),
    ({"instances": []}, r"instances: give at least the writer"),
    ({"vpc_security_group_ids": ["planned:sg:db"]}, r"planned ids \(planned:sg:db\) can only be used in check mode"),
])
def test_input_errors_before_any_call(run_module, fake, change, message):
    with pytest.raises(ModuleFail, match=message):
        run_module(mod, args(**change))
    assert fake.writes == []


def test_aws_error_becomes_fail_json_aws(run_module, fake, monkeypatch):
    error = SoloAwsError("Failed to describe the DB clusters", exception=RuntimeError("throttled"))

    def boom(*a, **kw):
        raise error

    monkeypatch.setattr(mod.api, "describe_db_clusters", boom)
    with pytest.raises(ModuleFail) as failure:
        run_module(mod, args())
    assert failure.value.result["msg"] == "Failed to describe the DB clusters"
    assert str(failure.value.result["exception"]) == "throttled"


def test_a_run_killed_after_the_cluster_converges_on_the_next_run(run_module, fake, monkeypatch):
    real_create = fake.create_db_instance

    def killed(*a, **kw):
        raise SoloAwsError("Failed to create a DB instance", exception=RuntimeError("connection reset"))

    monkeypatch.setattr(mod.api, "create_db_instance", killed)
    with pytest.raises(ModuleFail, match="Failed to create a DB instance"):
        run_module(mod, args())
    assert list(fake.clusters) == [IDENT] and fake.instances == {}
    monkeypatch.setattr(mod.api, "create_db_instance", real_create)
    result = run_module(mod, args())
    assert fake.write_names().count("create_db_cluster") == 1  # found by identifier, not created again
    assert [a for a in result["actions"] if a.startswith("create")] == [
        f"create DB instance {IDENT}-1 (db.serverless in ap-northeast-1a, promotion tier 0)",
        f"create DB instance {IDENT}-2 (db.serverless in ap-northeast-1c, promotion tier 1)"]
    assert run_module(mod, args())["changed"] is False


def test_parameter_group_of_another_family_is_refused(run_module, fake):
    fake.parameter_groups[f"{IDENT}-aurora-postgresql16"] = {
        "DBClusterParameterGroupName": f"{IDENT}-aurora-postgresql16", "DBParameterGroupFamily": "aurora-postgresql15"}
    with pytest.raises(ModuleFail, match=r"is of family aurora-postgresql15, not aurora-postgresql16: a group's "
                                         r"family cannot change"):
        run_module(mod, args())
    assert fake.writes == []
