#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: aurora_serverless_cluster
short_description: Converge an Aurora Serverless v2 cluster, its instances and its connection settings in one call
version_added: 0.1.0
description:
  - Creates or updates, in this order, a DB subnet group, a cluster parameter group, an Aurora cluster with a
    Serverless v2 capacity range, and its C(db.serverless) instances; then writes the cluster's endpoint, port
    and database name into SSM parameters for the applications.
  - The capacity range is set on the cluster before any C(db.serverless) instance is created, as AWS requires.
    A changed range, backup settings, windows, log exports, security groups or deletion protection are
    modified in place (C(ApplyImmediately)); the cluster is never replaced or deleted.
  - Security groups and log exports compare as sets, so a run whose inventory matches AWS sends no call
    (the stock C(rds_cluster) module modifies the cluster on every run when it is given security groups).
  - A change that cannot be made in place - engine, storage encryption or its KMS key, subnet group or VPC,
    master user name, initial database name, an older major version, or a new identifier while the stack's
    cluster exists under another one - is refused with a message saying what would happen and which
    inventory variable allows the alternative. A major version upgrade needs I(allow_major_version_upgrade).
  - The master password is read from an SSM SecureString parameter by the module itself, only when the
    cluster is created (or with I(update_password=always)); it is never returned, logged or put in a diff.
  - It does not wait for the cluster to become available (creation takes 10-20 minutes on AWS); use
    M(solo_saving.infra.aurora_cluster_wait) where the database is needed.
  - In check mode nothing is written and the password is not read; resources that would be created are
    returned with identifiers of the form C(planned:<kind>:<name>). Planned subnet and security group ids
    (from a network that does not exist yet) are accepted in check mode and never sent to AWS.
  - Every instance is created with its subnet group named, since the emulator (moto) leaves it out of cluster
    members otherwise.
author:
  - Solo Saving platform team (@solo-saving)
options:
  identifier:
    description: The cluster identifier (lower case). Instances are named in I(instances).
    type: str
    required: true
  engine:
    description: The Aurora engine.
    type: str
    default: aurora-postgresql
    choices: [aurora-postgresql]
  engine_version:
    description: The pinned engine version, e.g. C(16.6). A higher minor version is applied in place.
    type: str
    required: true
  allow_major_version_upgrade:
    description: Allow an upgrade to a higher major version (in place, with a parameter group of the new family).
    type: bool
    default: false
  allow_new_cluster:
    description:
      - Create the cluster under I(identifier) even though another cluster carrying I(identity_tags) exists
        (a rename of the identifier would otherwise leave the data behind). The other cluster is left alone.
    type: bool
    default: false
  identity_tags:
    description: Tags that mark the stack's cluster, used to notice a changed identifier. Empty turns the check off.
    type: dict
    default: {}
  vpc_id:
    description: The VPC of I(subnet_ids); an existing subnet group in another VPC is refused.
    type: str
    required: true
  subnet_ids:
    description: The private DB subnets, one per availability zone.
    type: list
    elements: str
    required: true
  subnet_group_name:
    description: The DB subnet group's name. Default C(<identifier>-subnets).
    type: str
  parameter_group_name:
    description: The cluster parameter group's name. Default C(<identifier>-<family>), e.g. C(x-aurora-postgresql16).
    type: str
  parameters:
    description: Cluster parameters (name to value); booleans become C(1) / C(0).
    type: dict
    default: {}
  purge_parameters:
    description: Reset parameters set in the group but absent from I(parameters) to the engine default.
    type: bool
    default: true
  port:
    description: The PostgreSQL port.
    type: int
    default: 5432
  database_name:
    description: The database created with the cluster. It cannot change afterwards.
    type: str
    required: true
  master_username:
    description: The master user name. One of I(master_username) and I(master_username_parameter) is required.
    type: str
  master_username_parameter:
    description: The SSM parameter that holds the master user name.
    type: str
  master_password_parameter:
    description: The SSM SecureString parameter that holds the master password; read only when it is needed.
    type: str
    required: true
  update_password:
    description: C(on_create) sets the password only when creating the cluster; C(always) sets it on every run.
    type: str
    default: on_create
    choices: [on_create, always]
  min_capacity:
    description: Serverless v2 minimum capacity in ACUs (0 to 256 in steps of 0.5; 0 pauses when idle).
    type: float
    required: true
  max_capacity:
    description: Serverless v2 maximum capacity in ACUs (1 to 256 in steps of 0.5).
    type: float
    required: true
  seconds_until_auto_pause:
    description: With a minimum of 0 ACU, the idle time before the instances pause.
    type: int
  storage_encrypted:
    description: Encrypt the storage. It cannot change once the cluster exists.
    type: bool
    default: true
  kms_key_id:
    description:
      - The KMS key (ARN, id or alias) of the storage encryption. Empty means the AWS-managed key C(aws/rds) on
        create; the key of an existing cluster is then not compared.
    type: str
    default: ""
  backup_retention_period:
    description: Days of automated backups (1-35).
    type: int
    default: 7
  preferred_backup_window:
    description: Daily backup window, C(hh24:mi-hh24:mi) in UTC.
    type: str
    required: true
  preferred_maintenance_window:
    description: Weekly maintenance window, C(ddd:hh24:mi-ddd:hh24:mi) in UTC.
    type: str
    required: true
  cloudwatch_logs_exports:
    description: Log types exported to CloudWatch Logs.
    type: list
    elements: str
    default: [postgresql]
  copy_tags_to_snapshot:
    description: Copy the cluster's tags to its snapshots.
    type: bool
    default: true
  deletion_protection:
    description: Refuse deletion of the cluster.
    type: bool
    default: true
  vpc_security_group_ids:
    description: Security groups of the cluster (compared as a set).
    type: list
    elements: str
    required: true
  apply_immediately:
    description: Apply modifications now rather than in the next maintenance window.
    type: bool
    default: true
  instances:
    description: The cluster's C(db.serverless) instances; the first one is created first and becomes the writer.
    type: list
    elements: dict
    required: true
    suboptions:
      identifier:
        description: The instance identifier.
        type: str
        required: true
      availability_zone:
        description: Its availability zone (it cannot move once created).
        type: str
        required: true
      promotion_tier:
        description: Failover priority, 0 (first) to 15.
        type: int
        default: 1
  purge_instances:
    description:
      - Delete reader instances of the cluster that are not in I(instances) (never the writer). Otherwise they
        are reported in a warning and left alone.
    type: bool
    default: false
  auto_minor_version_upgrade:
    description:
      - Let AWS upgrade the instances' minor version in the maintenance window (AWS FSBP RDS.13). The major
        version stays the one of I(engine_version); a newer minor AWS applied is then no change.
      - Off keeps the pinned minor, and a newer one AWS applied is reported in a warning.
    type: bool
    default: true
  performance_insights:
    description: Turn Performance Insights on for every instance.
    type: bool
    default: false
  performance_insights_retention:
    description: Days Performance Insights keeps its data (7, or a multiple of 31 up to 731).
    type: int
    default: 7
  connection_parameters:
    description:
      - SSM parameters that receive the cluster endpoint (C(host)), the port (C(port)) and the database name
        (C(database)), as SecureString, overwritten when they differ. A missing parameter is created with I(tags).
    type: dict
    default: {}
    suboptions:
      host:
        description: Parameter name for the cluster (writer) endpoint.
        type: str
      port:
        description: Parameter name for the port.
        type: str
      database:
        description: Parameter name for the database name.
        type: str
  connection_parameters_kms_key_id:
    description: KMS key for connection parameters the module creates; existing ones keep their key.
    type: str
    default: ""
  tags:
    description: Tags for every resource, in addition to those they have; existing other tags are kept.
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Converge the Aurora cluster of the stack.
  solo_saving.infra.aurora_serverless_cluster:
    identifier: solo-saving-prod-db
    engine_version: "16.6"
    vpc_id: "{{ network_result.vpc_id }}"
    subnet_ids: "{{ network_result.subnet_ids.db }}"
    vpc_security_group_ids: ["{{ network_result.security_group_ids.db }}"]
    parameters:
      rds.force_ssl: 1
    port: 5432
    database_name: solosaving
    master_username_parameter: /solo-saving/prod/db/username
    master_password_parameter: /solo-saving/prod/db/password
    min_capacity: 0.5
    max_capacity: 8
    preferred_backup_window: "18:00-18:30"
    preferred_maintenance_window: "sun:19:00-sun:19:30"
    deletion_protection: true
    instances:
      - {identifier: solo-saving-prod-db-1, availability_zone: ap-northeast-1a, promotion_tier: 0}
      - {identifier: solo-saving-prod-db-2, availability_zone: ap-northeast-1c, promotion_tier: 1}
    connection_parameters:
      host: /solo-saving/prod/db/host
      port: /solo-saving/prod/db/port
      database: /solo-saving/prod/db/name
    identity_tags: {Project: solo-saving, Environment: prod}
    tags: {Project: solo-saving, Environment: prod}
  register: database
"""

RETURN = r"""
cluster_identifier:
  description: The cluster identifier.
  returned: always
  type: str
cluster_arn:
  description: The cluster ARN (a planned id in check mode when the cluster does not exist yet).
  returned: always
  type: str
endpoint:
  description: The cluster (writer) endpoint (planned in check mode when the cluster does not exist).
  returned: always
  type: str
  sample: solo-saving-prod-db.cluster-abc.ap-northeast-1.rds.amazonaws.com
reader_endpoint:
  description: The reader endpoint.
  returned: always
  type: str
port:
  description: The port.
  returned: always
  type: int
database_name:
  description: The database created with the cluster.
  returned: always
  type: str
engine_version:
  description: The engine version the cluster runs (or will run).
  returned: always
  type: str
status:
  description: The cluster status (C(planned) in check mode when it does not exist; C(creating) right after create).
  returned: always
  type: str
subnet_group_name:
  description: The DB subnet group.
  returned: always
  type: str
parameter_group_name:
  description: The cluster parameter group.
  returned: always
  type: str
instances:
  description: The managed instances, in the order of I(instances).
  returned: always
  type: list
  elements: dict
  contains:
    identifier:
      description: Instance identifier.
      type: str
    az:
      description: Availability zone.
      type: str
    role:
      description: C(writer) or C(reader) (as the cluster reports it; planned for new instances).
      type: str
    status:
      description: Instance status (C(planned) in check mode for new instances).
      type: str
available:
  description:
    - Whether the cluster and every instance of I(instances) are ready to serve, by the same rule as
      M(solo_saving.infra.aurora_cluster_wait); false right after a create and in check mode for new resources.
  returned: always
  type: bool
actions:
  description: What the run did (or, in check mode, would do), one sentence each.
  returned: always
  type: list
  elements: str
diff:
  description: Before and after views of the managed resources (with C(--diff)); the password never appears.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.solo_saving.infra.plugins.module_utils import db_password
from ansible_collections.solo_saving.infra.plugins.module_utils import kms as kms_api
from ansible_collections.solo_saving.infra.plugins.module_utils import rds as api
from ansible_collections.solo_saving.infra.plugins.module_utils import ssm as ssm_api
from ansible_collections.solo_saving.infra.plugins.module_utils.aurora import (
    INSTANCE_CLASS,
    MODIFIABLE,
    apply_method,
    kms_key_matches,
    parameter_changes,
    parameter_group_family,
    parameter_value,
    readiness,
    scaling_configuration,
    scaling_differs,
    version_change,
    window,
)
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.module_utils.common import (
    SoloAwsError,
    fail_aws,
    is_planned,
    planned_id,
    tag_dict,
    tag_list,
    tags_to_set,
)

# Inventory variables named in refusals (the role's names for the options).
NEW_CLUSTER_HINT = ("give database_cluster_identifier a new name and set database_allow_new_cluster: true to create "
                    "a new cluster beside this one (restore a snapshot into it to keep the data); the existing "
                    "cluster is never deleted by this collection")


class Refused(Exception):
    """A request the module refuses: it would replace the cluster or lose data."""


class AuroraCluster:
    """Describe -> compare -> act, for the subnet group, parameter group, cluster, instances, SSM settings."""

    def __init__(self, module, rds, ssm, kms_factory):
        self.module = module
        self.rds = rds
        self.ssm = ssm
        self._kms_factory = kms_factory
        self.params = module.params
        self.check_mode = module.check_mode
        # A real run plans first with no write (dry), so that a refusal found anywhere leaves AWS untouched;
        # it applies only when the plan has actions. Check mode is the plan alone.
        self.dry = True
        self.identifier = self.params["identifier"]
        self.tags = {k: str(v) for k, v in (self.params["tags"] or {}).items()}
        self.family = parameter_group_family(self.params["engine"], self.params["engine_version"])
        self.subnet_group_name = self.params["subnet_group_name"] or f"{self.identifier}-subnets"
        self.parameter_group_name = self.params["parameter_group_name"] or f"{self.identifier}-{self.family}"
        self._password = None
        self._password_state = None
        self.reset()

    def reset(self):
        """Forget what a pass saw (the password read for the plan is kept for the apply)."""
        self.actions = []
        self.warnings = []
        self.before = {}
        self.after = {}
        self._ssm_values = None

    # -- helpers -----------------------------------------------------------------
    def act(self, sentence, func=None, *args, **kwargs):
        """Record an action; perform it unless planning (dry)."""
        self.actions.append(sentence)
        if func is not None and not self.dry:
            return func(*args, **kwargs)
        return None

    def converge_tags(self, arn, current_tags, label):
        missing = tags_to_set(tag_dict(current_tags), self.tags)
        if missing and not is_planned(arn):
            self.act(f"update the tags of {label}: {', '.join(sorted(missing))}", api.add_tags, self.rds, arn,
                     tag_list(missing))

    def ssm_values(self):
        """The SSM parameters the module reads every run (user name, connection settings), in one call."""
        if self._ssm_values is None:
            names = list(self.connection_names().values())
            if self.params["master_username_parameter"]:
                names.append(self.params["master_username_parameter"])
            found = ssm_api.get_parameters(self.ssm, sorted(set(names))) if names else {}
            self._ssm_values = {name: p.get("Value") for name, p in found.items()}
        return self._ssm_values

    def connection_names(self):
        return {key: name for key, name in (self.params["connection_parameters"] or {}).items() if name}

    def master_username(self):
        """(value or None, where it comes from)."""
        if self.params["master_username"]:
            return self.params["master_username"], "master_username"
        name = self.params["master_username_parameter"]
        return self.ssm_values().get(name), f"SSM parameter {name}"

    def master_password(self):
        """Read once per run, kept in this object only, masked by Ansible wherever it could appear."""
        if self._password is None:
            name = self.params["master_password_parameter"]
            value = ssm_api.get_parameter_value(self.ssm, name)
            if not value:
                raise Refused(f"SSM parameter {name} (the master password) does not exist or is empty: run the "
                              "secrets stage first (ansible-playbook site.yml --tags secrets)")
            self.module.no_log_values.add(value)
            self._password = value
        return self._password

    def password_state(self):
        """(stamp of the password parameter or None, a rotation's pending parameter exists), read once per run."""
        if self._password_state is None:
            self._password_state = db_password.parameter_state(self.ssm, self.params["master_password_parameter"])
        return self._password_state

    def password_sync(self, found):
        """Set the master password from the parameter when the cluster holds another version of it."""
        name = self.params["master_password_parameter"]
        stamp, pending = self.password_state()
        if pending:
            raise Refused(db_password.interrupted_rotation(name))
        held = tag_dict(found.get("TagList")).get(db_password.TAG)
        if stamp is not None and held is None and self.params["update_password"] != "always":
            # A cluster from before the stamp: it holds the parameter's value, as every earlier run made sure.
            self.act(f"record on Aurora cluster {self.identifier} which version of {name} it holds",
                     api.add_tags, self.rds, found["DBClusterArn"], [{"Key": db_password.TAG, "Value": stamp}])
            return False
        if stamp == held and self.params["update_password"] != "always":
            return False
        if stamp is None and not self.check_mode:
            self.master_password()  # fails naming the missing parameter, before any write
        why = ("update_password=always" if self.params["update_password"] == "always"
               else f"the parameter was written since the cluster got it ({held} -> {stamp or 'new'})")
        self.act(f"set the master password of {self.identifier} from {name}: {why}", self._reset_password)
        self.warnings.append(f"the master password of {self.identifier} changed: the backend's running tasks hold the "
                             "old one - redeploy it (ansible-playbook playbooks/deploy.yml -e deploy_service=backend "
                             "-e deploy_image_tag=<the running tag>)")
        return True

    # -- subnet group -----------------------------------------------------------------
    def subnet_group(self, cluster):
        name = self.subnet_group_name
        subnets = list(self.params["subnet_ids"])
        vpc_id = self.params["vpc_id"]
        description = f"Private DB subnets of Aurora cluster {self.identifier}"
        found = api.describe_db_subnet_group(self.rds, name)
        self.after["subnet_group"] = {"name": name, "vpc_id": vpc_id, "subnet_ids": sorted(subnets)}
        if found is None:
            self.before["subnet_group"] = None
            if cluster is not None:
                raise Refused(
                    f"Aurora cluster {self.identifier} uses subnet group {cluster.get('DBSubnetGroup')}, but subnet "
                    f"group {name} does not exist: a cluster cannot move to another subnet group in place; "
                    f"{NEW_CLUSTER_HINT}")
            self.act(f"create DB subnet group {name} over {len(subnets)} subnets", api.create_db_subnet_group,
                     self.rds, name, description, subnets, tag_list(self.tags))
            return
        current = sorted(s["SubnetIdentifier"] for s in found.get("Subnets", []))
        self.before["subnet_group"] = {"name": name, "vpc_id": found.get("VpcId"), "subnet_ids": current}
        if not is_planned(vpc_id) and found.get("VpcId") and found["VpcId"] != vpc_id:
            if cluster is not None:
                raise Refused(
                    f"Aurora cluster {self.identifier} lives in VPC {found['VpcId']} (subnet group {name}); the "
                    f"network is now VPC {vpc_id}: moving a cluster to another VPC means a new cluster; "
                    f"{NEW_CLUSTER_HINT}")
            raise Refused(f"DB subnet group {name} belongs to VPC {found['VpcId']}, not to the network's VPC {vpc_id}; "
                          "no cluster uses it: delete it by hand (aws rds delete-db-subnet-group) and run again")
        if sorted(subnets) != current:
            self.act(f"set the subnets of DB subnet group {name} to {', '.join(sorted(subnets))}",
                     api.modify_db_subnet_group, self.rds, name, description, subnets)
        self.converge_tags(found.get("DBSubnetGroupArn"), self._tags_of(found.get("DBSubnetGroupArn")),
                           f"DB subnet group {name}")

    def _tags_of(self, arn):
        return api.list_tags(self.rds, arn) if arn and self.tags else []

    # -- parameter group -----------------------------------------------------------------
    def parameter_group(self):
        name = self.parameter_group_name
        desired = {k: parameter_value(v) for k, v in (self.params["parameters"] or {}).items()}
        found = api.describe_db_cluster_parameter_group(self.rds, name)
        self.after["parameter_group"] = {"name": name, "family": self.family,
                                         "parameters": dict(sorted(desired.items()))}
        if found is None:
            self.before["parameter_group"] = None
            self.act(f"create cluster parameter group {name} ({self.family})", api.create_db_cluster_parameter_group,
                     self.rds, name, self.family, f"Aurora cluster {self.identifier} ({self.family})",
                     tag_list(self.tags))
            if desired:
                self.act(f"set parameters {', '.join(f'{k}={v}' for k, v in sorted(desired.items()))} on {name}",
                         api.modify_db_cluster_parameter_group, self.rds, name,
                         [{"ParameterName": k, "ParameterValue": v, "ApplyMethod": "pending-reboot"}
                          for k, v in sorted(desired.items())])
            return
        if found.get("DBParameterGroupFamily") and found["DBParameterGroupFamily"] != self.family:
            raise Refused(f"cluster parameter group {name} is of family {found['DBParameterGroupFamily']}, not "
                          f"{self.family}: a group's family cannot change, and this collection names the group "
                          "after its family; it was made by hand: delete it (after moving any cluster off it) and "
                          "run again")
        rows = api.describe_db_cluster_parameters(self.rds, name, source="user")
        current = {r["ParameterName"]: r.get("ParameterValue") for r in rows if r.get("ParameterValue") is not None}
        self.before["parameter_group"] = {"name": name, "family": found.get("DBParameterGroupFamily"),
                                          "parameters": dict(sorted(current.items()))}
        to_set, to_reset = parameter_changes(rows, desired, purge=self.params["purge_parameters"])
        if not self.params["purge_parameters"]:
            self.after["parameter_group"]["parameters"] = dict(sorted({**current, **desired}.items()))
        if to_set:
            # The apply method depends on the parameter; only a change needs the whole list.
            kinds = {r["ParameterName"]: r for r in api.describe_db_cluster_parameters(self.rds, name)}
            self.act(f"set parameters {', '.join(f'{k}={v}' for k, v in sorted(to_set.items()))} on {name}",
                     api.modify_db_cluster_parameter_group, self.rds, name,
                     [{"ParameterName": k, "ParameterValue": v, "ApplyMethod": apply_method(kinds.get(k))}
                      for k, v in sorted(to_set.items())])
        if to_reset:
            kinds = {r["ParameterName"]: r for r in rows}
            self.act(f"reset parameters {', '.join(to_reset)} of {name} to the engine default",
                     api.reset_db_cluster_parameters, self.rds, name,
                     [{"ParameterName": k, "ApplyMethod": apply_method(kinds.get(k))} for k in to_reset])
        self.converge_tags(found.get("DBClusterParameterGroupArn"),
                           self._tags_of(found.get("DBClusterParameterGroupArn")), f"cluster parameter group {name}")

    # -- cluster ---------------------------------------------------------------------------
    def find_cluster(self):
        """The cluster, or None; refuses a new identifier while the stack's cluster exists under another one."""
        clusters = api.describe_db_clusters(self.rds)
        mine = [c for c in clusters if c["DBClusterIdentifier"].lower() == self.identifier.lower()]
        if mine:
            return mine[0]
        identity = {k: str(v) for k, v in (self.params["identity_tags"] or {}).items()}
        if identity and not self.params["allow_new_cluster"]:
            others = sorted(c["DBClusterIdentifier"] for c in clusters
                            if all(tag_dict(c.get("TagList")).get(k) == v for k, v in identity.items()))
            if others:
                tags = ", ".join(f"{k}={v}" for k, v in sorted(identity.items()))
                raise Refused(
                    f"the stack's data is in Aurora cluster {', '.join(others)} (tagged {tags}); the inventory asks "
                    f"for {self.identifier}, which does not exist: a new identifier would create a second, empty "
                    f"cluster. Set database_cluster_identifier back to {others[0]}, or set "
                    "database_allow_new_cluster: true to create the new cluster beside it (the old one is never "
                    "deleted by this collection)")
        return None

    def desired_cluster(self):
        p = self.params
        username, source = self.master_username()
        return {
            "identifier": self.identifier,
            "engine": p["engine"],
            "engine_version": p["engine_version"],
            "port": p["port"],
            "database_name": p["database_name"],
            "master_username": username if username is not None else f"(from {source})",
            "scaling": scaling_configuration(p["min_capacity"], p["max_capacity"], p["seconds_until_auto_pause"]),
            "storage_encrypted": p["storage_encrypted"],
            "kms_key_id": p["kms_key_id"] or "(AWS-managed key aws/rds)",
            "backup_retention_period": p["backup_retention_period"],
            "preferred_backup_window": p["preferred_backup_window"],
            "preferred_maintenance_window": window(p["preferred_maintenance_window"]),
            "cloudwatch_logs_exports": sorted(p["cloudwatch_logs_exports"]),
            "copy_tags_to_snapshot": p["copy_tags_to_snapshot"],
            "deletion_protection": p["deletion_protection"],
            "vpc_security_group_ids": sorted(p["vpc_security_group_ids"]),
            "subnet_group": self.subnet_group_name,
            "parameter_group": self.parameter_group_name,
        }

    @staticmethod
    def current_cluster(found):
        return {
            "identifier": found["DBClusterIdentifier"],
            "engine": found.get("Engine"),
            "engine_version": found.get("EngineVersion"),
            "port": found.get("Port"),
            "database_name": found.get("DatabaseName"),
            "master_username": found.get("MasterUsername"),
            "scaling": found.get("ServerlessV2ScalingConfiguration") or {},
            "storage_encrypted": bool(found.get("StorageEncrypted")),
            "kms_key_id": found.get("KmsKeyId") or "",
            "backup_retention_period": found.get("BackupRetentionPeriod"),
            "preferred_backup_window": found.get("PreferredBackupWindow"),
            "preferred_maintenance_window": window(found.get("PreferredMaintenanceWindow")),
            "cloudwatch_logs_exports": sorted(found.get("EnabledCloudwatchLogsExports") or []),
            "copy_tags_to_snapshot": bool(found.get("CopyTagsToSnapshot")),
            "deletion_protection": bool(found.get("DeletionProtection")),
            "vpc_security_group_ids": sorted(g["VpcSecurityGroupId"] for g in found.get("VpcSecurityGroups") or []),
            "subnet_group": found.get("DBSubnetGroup"),
            "parameter_group": found.get("DBClusterParameterGroup"),
        }

    def cluster(self, found):
        desired = self.desired_cluster()
        if found is None:
            return self.create_cluster(desired)
        current = self.current_cluster(found)
        self.check_replacement(current, desired)
        after = dict(desired)
        # Fields the inventory leaves to AWS keep their current value in the diff.
        if not self.params["kms_key_id"]:
            after["kms_key_id"] = current["kms_key_id"]
        if desired["master_username"].startswith("(from "):
            after["master_username"] = current["master_username"]
        changes = {}
        self.engine_version_changes(found, current, desired, after, changes)
        if scaling_differs(current["scaling"], desired["scaling"]):
            changes["ServerlessV2ScalingConfiguration"] = desired["scaling"]
        else:
            after["scaling"] = current["scaling"]
        simple = (("port", "Port"), ("backup_retention_period", "BackupRetentionPeriod"),
                  ("preferred_backup_window", "PreferredBackupWindow"),
                  ("preferred_maintenance_window", "PreferredMaintenanceWindow"),
                  ("copy_tags_to_snapshot", "CopyTagsToSnapshot"), ("deletion_protection", "DeletionProtection"),
                  ("parameter_group", "DBClusterParameterGroupName"))
        for key, api_name in simple:
            if current[key] != desired[key] and api_name not in changes:
                changes[api_name] = (self.params["preferred_maintenance_window"]
                                     if key == "preferred_maintenance_window" else desired[key])
        if current["vpc_security_group_ids"] != desired["vpc_security_group_ids"]:
            changes["VpcSecurityGroupIds"] = desired["vpc_security_group_ids"]
        if current["cloudwatch_logs_exports"] != desired["cloudwatch_logs_exports"]:
            have, want = set(current["cloudwatch_logs_exports"]), set(desired["cloudwatch_logs_exports"])
            changes["CloudwatchLogsExportConfiguration"] = {"EnableLogTypes": sorted(want - have),
                                                            "DisableLogTypes": sorted(have - want)}
        self.before["cluster"], self.after["cluster"] = current, after
        if changes:
            self.require_modifiable(found.get("Status"), f"Aurora cluster {self.identifier}", sorted(changes))
            changed = ", ".join(_describe_change(k, changes[k]) for k in sorted(changes))
            self.act(f"modify Aurora cluster {self.identifier}: {changed}", self._modify_cluster, changes)
        if self.password_sync(found):
            self.require_modifiable(found.get("Status"), f"Aurora cluster {self.identifier}", ["password"])
        self.converge_tags(found.get("DBClusterArn"), found.get("TagList"), f"Aurora cluster {self.identifier}")
        return found

    def _modify_cluster(self, changes):
        api.modify_db_cluster(self.rds, self.identifier, ApplyImmediately=self.params["apply_immediately"],
                              **changes)

    def _reset_password(self):
        api.modify_db_cluster(self.rds, self.identifier, ApplyImmediately=True,
                              MasterUserPassword=self.master_password())
        # Tagged after the change: a run stopped in between sets the same password again next time.
        stamp, _pending = db_password.parameter_state(self.ssm, self.params["master_password_parameter"])
        cluster = api.describe_db_cluster(self.rds, self.identifier)
        api.add_tags(self.rds, cluster["DBClusterArn"], [{"Key": db_password.TAG, "Value": stamp}])

    def engine_version_changes(self, found, current, desired, after, changes):
        kind = version_change(current["engine_version"], desired["engine_version"])
        pending = (found.get("PendingModifiedValues") or {}).get("EngineVersion")
        if kind == "same" or pending == desired["engine_version"]:
            after["engine_version"] = current["engine_version"]
            return
        if kind == "newer-minor":
            # With minor upgrades on, AWS applied one it was allowed to: the major version is the pin.
            if not self.params["auto_minor_version_upgrade"]:
                self.warnings.append(
                    f"Aurora cluster {self.identifier} runs {current['engine_version']}, newer than the pinned "
                    f"{desired['engine_version']} (AWS upgraded it): pin database_engine_version to "
                    f"{current['engine_version']}")
            after["engine_version"] = current["engine_version"]
            return
        if kind == "downgrade":
            raise Refused(
                f"Aurora cluster {self.identifier} runs {current['engine_version']}; the inventory asks for "
                f"{desired['engine_version']}: an engine cannot go back to an older major version; set "
                f"database_engine_version back to {current['engine_version']}, or {NEW_CLUSTER_HINT}")
        if kind == "major-upgrade":
            if not self.params["allow_major_version_upgrade"]:
                raise Refused(
                    f"Aurora cluster {self.identifier} runs {current['engine_version']}; the inventory asks for "
                    f"{desired['engine_version']}, a major version upgrade (minutes of downtime, irreversible, "
                    "test it on a snapshot first): set database_allow_major_version_upgrade: true to do it, or set "
                    f"database_engine_version back to {current['engine_version']}")
            changes["AllowMajorVersionUpgrade"] = True
            changes["DBClusterParameterGroupName"] = desired["parameter_group"]
        changes["EngineVersion"] = desired["engine_version"]

    def check_replacement(self, current, desired):
        ident = self.identifier
        if current["engine"] != desired["engine"]:
            raise Refused(f"Aurora cluster {ident} runs {current['engine']}; the inventory asks for "
                          f"{desired['engine']}: the engine cannot change in place, it takes a new cluster; "
                          f"{NEW_CLUSTER_HINT}")
        if current["storage_encrypted"] != desired["storage_encrypted"]:
            state = "encrypted" if current["storage_encrypted"] else "not encrypted"
            raise Refused(f"Aurora cluster {ident} is {state}; the inventory asks otherwise: storage encryption cannot "
                          f"change in place, it takes a snapshot restored into a new cluster; {NEW_CLUSTER_HINT}")
        wanted_key = self.params["kms_key_id"]
        if wanted_key and current["storage_encrypted"]:
            same = kms_key_matches(current["kms_key_id"], wanted_key)
            if same is None:
                metadata = kms_api.describe_key(self._kms_factory(), wanted_key)
                if metadata is None:
                    raise Refused(f"KMS key {wanted_key} (database_kms_key_id) does not exist in this region")
                same = metadata.get("Arn") == current["kms_key_id"]
            if not same:
                raise Refused(f"Aurora cluster {ident} is encrypted with KMS key {current['kms_key_id']}; the "
                              f"inventory asks for {wanted_key}: the key cannot change in place, it takes a snapshot "
                              "copied with the new key and restored into a new cluster; set database_kms_key_id "
                              f"back to {current['kms_key_id']}, or {NEW_CLUSTER_HINT}")
        if current["subnet_group"] and current["subnet_group"] != desired["subnet_group"]:
            raise Refused(f"Aurora cluster {ident} is in DB subnet group {current['subnet_group']}; this collection "
                          f"manages {desired['subnet_group']}: an Aurora cluster cannot change subnet group in place; "
                          f"{NEW_CLUSTER_HINT}")
        if current["database_name"] and current["database_name"] != desired["database_name"]:
            raise Refused(f"Aurora cluster {ident} was created with database {current['database_name']}; the inventory "
                          f"asks for {desired['database_name']}: the initial database cannot be renamed by AWS; set "
                          f"database_db_name back to {current['database_name']} (or create the other database "
                          "yourself)")
        username = desired["master_username"]
        if not username.startswith("(from ") and current["master_username"] and current["master_username"] != username:
            raise Refused(f"Aurora cluster {ident} has master user {current['master_username']}; "
                          f"{self.master_username()[1]} holds {username}: the master user name cannot change in "
                          f"place; put {current['master_username']} back into it, or {NEW_CLUSTER_HINT}")

    def require_modifiable(self, status, label, what):
        if status not in MODIFIABLE and not self.check_mode:
            raise Refused(f"{label} is {status}; the changes ({', '.join(what) or 'password'}) can be made once it is "
                          "available: wait for it (the database role's tasks_from: wait) and run again")

    def create_cluster(self, desired):
        p = self.params
        self.before["cluster"], self.after["cluster"] = None, desired
        planned_sg = [g for g in p["vpc_security_group_ids"] if is_planned(g)]
        request = {
            "DBClusterIdentifier": self.identifier,
            "Engine": p["engine"],
            "EngineVersion": p["engine_version"],
            "Port": p["port"],
            "DatabaseName": p["database_name"],
            "DBSubnetGroupName": self.subnet_group_name,
            "DBClusterParameterGroupName": self.parameter_group_name,
            "VpcSecurityGroupIds": list(p["vpc_security_group_ids"]),
            "StorageEncrypted": p["storage_encrypted"],
            "BackupRetentionPeriod": p["backup_retention_period"],
            "PreferredBackupWindow": p["preferred_backup_window"],
            "PreferredMaintenanceWindow": p["preferred_maintenance_window"],
            "EnableCloudwatchLogsExports": list(p["cloudwatch_logs_exports"]),
            "CopyTagsToSnapshot": p["copy_tags_to_snapshot"],
            "DeletionProtection": p["deletion_protection"],
            "ServerlessV2ScalingConfiguration": desired["scaling"],
            "Tags": tag_list(self.tags),
        }
        if p["kms_key_id"]:
            request["KmsKeyId"] = p["kms_key_id"]
        scaling = desired["scaling"]
        sentence = (f"create Aurora cluster {self.identifier} ({p['engine']} {p['engine_version']}, "
                    f"{scaling['MinCapacity']:g}-{scaling['MaxCapacity']:g} ACU, encrypted="
                    f"{str(p['storage_encrypted']).lower()})")
        if self.check_mode:
            self.act(sentence)
            return None
        if planned_sg or any(is_planned(s) for s in p["subnet_ids"]):
            raise Refused("planned ids reached a real run: run the network stage first")
        username, source = self.master_username()
        if not username:
            raise Refused(f"{source} (the master user name) does not exist or is empty: run the secrets stage "
                          "first (ansible-playbook site.yml --tags secrets)")
        request["MasterUsername"] = username
        request["MasterUserPassword"] = self.master_password()
        stamp, pending = self.password_state()
        if pending:
            raise Refused(db_password.interrupted_rotation(self.params["master_password_parameter"]))
        if stamp:
            request["Tags"] = [*request["Tags"], {"Key": db_password.TAG, "Value": stamp}]
        return self.act(sentence, api.create_db_cluster, self.rds, **request)

    # -- instances -----------------------------------------------------------------------------
    def instances(self, cluster):
        p = self.params
        existing = {} if cluster is None else {
            i["DBInstanceIdentifier"]: i for i in api.describe_cluster_instances(self.rds, self.identifier)}
        writers = {m["DBInstanceIdentifier"] for m in (cluster or {}).get("DBClusterMembers", [])
                   if m.get("IsClusterWriter")}
        result = []
        self.before["instances"], self.after["instances"] = {}, {}
        for index, spec in enumerate(p["instances"]):
            ident = spec["identifier"]
            desired = {"availability_zone": spec["availability_zone"], "instance_class": INSTANCE_CLASS,
                       "promotion_tier": spec["promotion_tier"], "publicly_accessible": False,
                       "auto_minor_version_upgrade": p["auto_minor_version_upgrade"],
                       "performance_insights": p["performance_insights"]}
            if p["performance_insights"]:
                desired["performance_insights_retention"] = p["performance_insights_retention"]
            found = existing.get(ident)
            self.after["instances"][ident] = desired
            if found is None:
                self.before["instances"][ident] = None
                self.create_instance(ident, spec)
                role = "writer" if index == 0 and not writers else "reader"
                result.append({"identifier": ident, "az": spec["availability_zone"], "role": role,
                               "status": "planned" if self.dry else "creating"})
                continue
            current = {"availability_zone": found.get("AvailabilityZone"),
                       "instance_class": found.get("DBInstanceClass"),
                       "promotion_tier": found.get("PromotionTier"),
                       "publicly_accessible": bool(found.get("PubliclyAccessible")),
                       "auto_minor_version_upgrade": bool(found.get("AutoMinorVersionUpgrade")),
                       # The emulator does not report Performance Insights: unknown is taken as "as asked".
                       "performance_insights": bool(
                           found.get("PerformanceInsightsEnabled", p["performance_insights"]))}
            if p["performance_insights"]:
                current["performance_insights_retention"] = found.get("PerformanceInsightsRetentionPeriod",
                                                                      p["performance_insights_retention"])
            self.before["instances"][ident] = current
            self.modify_instance(ident, found, current, desired)
            self.converge_tags(found.get("DBInstanceArn"), found.get("TagList"), f"DB instance {ident}")
            result.append({"identifier": ident, "az": current["availability_zone"],
                           "role": "writer" if ident in writers else "reader",
                           "status": found.get("DBInstanceStatus")})
        self.extra_instances(existing, writers)
        return result

    def create_instance(self, ident, spec):
        p = self.params
        request = {
            "DBInstanceIdentifier": ident,
            "DBClusterIdentifier": self.identifier,
            "Engine": p["engine"],
            "DBInstanceClass": INSTANCE_CLASS,
            "AvailabilityZone": spec["availability_zone"],
            "PromotionTier": spec["promotion_tier"],
            "PubliclyAccessible": False,
            # Named explicitly: the emulator leaves it out of cluster members otherwise.
            "DBSubnetGroupName": self.subnet_group_name,
            "AutoMinorVersionUpgrade": p["auto_minor_version_upgrade"],
            "EnablePerformanceInsights": p["performance_insights"],
            "Tags": tag_list(self.tags),
        }
        if p["performance_insights"]:
            request["PerformanceInsightsRetentionPeriod"] = p["performance_insights_retention"]
        self.act(f"create DB instance {ident} ({INSTANCE_CLASS} in {spec['availability_zone']}, promotion tier "
                 f"{spec['promotion_tier']})", api.create_db_instance, self.rds, **request)

    def modify_instance(self, ident, found, current, desired):
        if current["availability_zone"] != desired["availability_zone"]:
            raise Refused(f"DB instance {ident} is in {current['availability_zone']}; the inventory places it in "
                          f"{desired['availability_zone']}: an instance cannot move between zones. Put the zones of "
                          "database_azs back in their order, or delete the instance by hand (never the writer) and run "
                          "again to create it in the new zone")
        changes = {}
        if current["instance_class"] != INSTANCE_CLASS:
            changes["DBInstanceClass"] = INSTANCE_CLASS
        if current["promotion_tier"] != desired["promotion_tier"]:
            changes["PromotionTier"] = desired["promotion_tier"]
        if current["publicly_accessible"]:
            changes["PubliclyAccessible"] = False
        if current["auto_minor_version_upgrade"] != desired["auto_minor_version_upgrade"]:
            changes["AutoMinorVersionUpgrade"] = desired["auto_minor_version_upgrade"]
        if current["performance_insights"] != desired["performance_insights"]:
            changes["EnablePerformanceInsights"] = desired["performance_insights"]
        if desired.get("performance_insights_retention") and (
                current.get("performance_insights_retention") != desired["performance_insights_retention"]
                or "EnablePerformanceInsights" in changes):
            changes["PerformanceInsightsRetentionPeriod"] = desired["performance_insights_retention"]
        if not changes:
            return
        self.require_modifiable(found.get("DBInstanceStatus"), f"DB instance {ident}", sorted(changes))
        described = ", ".join(_describe_change(k, v) for k, v in sorted(changes.items()))
        self.act(f"modify DB instance {ident}: {described}", api.modify_db_instance, self.rds, ident,
                 ApplyImmediately=self.params["apply_immediately"], **changes)

    def extra_instances(self, existing, writers):
        wanted = {spec["identifier"] for spec in self.params["instances"]}
        for ident in sorted(set(existing) - wanted):
            if not self.params["purge_instances"]:
                self.warnings.append(f"DB instance {ident} belongs to Aurora cluster {self.identifier} but not to the "
                                     "inventory: it is left alone (set database_purge_instances: true to delete it)")
                continue
            if ident in writers:
                raise Refused(f"DB instance {ident} is the writer of {self.identifier} and is not in the inventory: "
                              "fail over to an instance of the inventory first (aws rds failover-db-cluster); the "
                              "writer is never deleted")
            self.act(f"delete reader instance {ident} (not in the inventory)", api.delete_db_instance, self.rds, ident)

    # -- connection settings in SSM ----------------------------------------------------------------
    def connection_parameters(self, cluster):
        names = self.connection_names()
        if not names:
            return
        values = {
            "host": cluster.get("Endpoint") if cluster else None,
            "port": str(self.params["port"]),
            "database": self.params["database_name"],
        }
        current = self.ssm_values()
        self.before["connection_parameters"] = {names[k]: current.get(names[k]) for k in sorted(names)}
        self.after["connection_parameters"] = {
            names[k]: values[k] if values[k] is not None else "(the new cluster's endpoint)" for k in sorted(names)}
        stale = [k for k in sorted(names) if values[k] is None or current.get(names[k]) != values[k]]
        if values["host"] is None and "host" in stale and not self.dry:
            # AWS names the endpoint in the create response; should it ever not, the next run writes it.
            self.warnings.append(f"Aurora cluster {self.identifier} reports no endpoint yet: {names['host']} is "
                                 "written by the next run")
            stale.remove("host")
        if not stale:
            return
        meta = ssm_api.describe_parameters(self.ssm, [names[k] for k in stale])
        for key in stale:
            name = names[key]
            label = {"host": "the cluster endpoint", "port": "the port", "database": "the database name"}[key]
            existing = meta.get(name)
            # One sentence whether the parameter exists or not: in check mode on an empty account the
            # secrets role has not created it yet, but will have by the time this module runs for real.
            if existing is None:
                key_id = self.params["connection_parameters_kms_key_id"] or None
                self.act(f"write {label} into SSM parameter {name}", self._put, name, values[key], key_id, False)
            else:
                key_id = existing.get("KeyId") if existing.get("Type") == "SecureString" else (
                    self.params["connection_parameters_kms_key_id"] or None)
                self.act(f"write {label} into SSM parameter {name}", self._put, name, values[key], key_id, True)

    def _put(self, name, value, key_id, overwrite):
        ssm_api.put_parameter(self.ssm, name, value, "SecureString", key_id=key_id, overwrite=overwrite,
                              tags=tag_list(self.tags))

    # -- entry -------------------------------------------------------------------------------------
    def converge(self):
        found = self.find_cluster()
        self.subnet_group(found)
        self.parameter_group()
        cluster = self.cluster(found)
        instances = self.instances(cluster)
        self.connection_parameters(cluster)
        if cluster is None:
            cluster = {"DBClusterArn": planned_id("rds-cluster", self.identifier),
                       "Endpoint": planned_id("rds-endpoint", self.identifier),
                       "ReaderEndpoint": planned_id("rds-reader-endpoint", self.identifier),
                       "Status": "planned"}
        return {
            "cluster_identifier": self.identifier,
            "cluster_arn": cluster["DBClusterArn"],
            "endpoint": cluster.get("Endpoint"),
            "reader_endpoint": cluster.get("ReaderEndpoint"),
            "port": cluster.get("Port", self.params["port"]),
            "database_name": cluster.get("DatabaseName") or self.params["database_name"],
            "engine_version": self.after["cluster"]["engine_version"],
            "status": cluster.get("Status"),
            "subnet_group_name": self.subnet_group_name,
            "parameter_group_name": self.parameter_group_name,
            "instances": instances,
            # What aurora_cluster_wait would say now: the cluster and every managed instance serve.
            "available": readiness(cluster, [{"DBInstanceIdentifier": i["identifier"], "DBInstanceStatus": i["status"]}
                                             for i in instances], [i["identifier"] for i in instances])[0],
        }


def _describe_change(key, value):
    if key == "ServerlessV2ScalingConfiguration":
        text = f"capacity {value['MinCapacity']:g}-{value['MaxCapacity']:g} ACU"
        if "SecondsUntilAutoPause" in value:
            text += f" (pause after {value['SecondsUntilAutoPause']} s idle)"
        return text
    if key == "CloudwatchLogsExportConfiguration":
        parts = [f"export {', '.join(value['EnableLogTypes'])} logs"] if value["EnableLogTypes"] else []
        parts += [f"stop exporting {', '.join(value['DisableLogTypes'])} logs"] if value["DisableLogTypes"] else []
        return " and ".join(parts)
    if isinstance(value, list):
        return f"{key}={','.join(value)}"
    if isinstance(value, bool):
        return f"{key}={str(value).lower()}"
    return f"{key}={value}"


def validate(module):
    p = module.params
    if not 0 <= p["min_capacity"] <= p["max_capacity"] <= 256:
        module.fail_json(msg=f"min_capacity ({p['min_capacity']:g}) and max_capacity ({p['max_capacity']:g}) must "
                             "satisfy 0 <= min <= max <= 256")
    for name in ("min_capacity", "max_capacity"):
        if (p[name] * 2) != int(p[name] * 2):
            module.fail_json(msg=f"{name} ({p[name]:g}) must be a multiple of 0.5 ACU")
    if not p["instances"]:
        module.fail_json(msg="instances: give at least the writer")
    idents = [i["identifier"] for i in p["instances"]]
    if len(set(idents)) != len(idents):
        module.fail_json(msg="instances: identifiers must be unique")
    if not p["subnet_ids"]:
        module.fail_json(msg="subnet_ids: give the private DB subnets")
    planned = [v for v in [p["vpc_id"], *p["subnet_ids"], *p["vpc_security_group_ids"]] if is_planned(v)]
    if planned and not module.check_mode:
        module.fail_json(msg=f"planned ids ({', '.join(planned)}) can only be used in check mode: run the network "
                             "stage first")


def main():
    argument_spec = dict(
        identifier=dict(type="str", required=True),
        engine=dict(type="str", default="aurora-postgresql", choices=["aurora-postgresql"]),
        engine_version=dict(type="str", required=True),
        allow_major_version_upgrade=dict(type="bool", default=False),
        allow_new_cluster=dict(type="bool", default=False),
        identity_tags=dict(type="dict", default={}),
        vpc_id=dict(type="str", required=True),
        subnet_ids=dict(type="list", elements="str", required=True),
        subnet_group_name=dict(type="str"),
        parameter_group_name=dict(type="str"),
        parameters=dict(type="dict", default={}),
        purge_parameters=dict(type="bool", default=True),
        port=dict(type="int", default=5432),
        database_name=dict(type="str", required=True),
        master_username=dict(type="str"),
        master_username_parameter=dict(type="str"),
        master_password_parameter=dict(type="str", required=True, no_log=False),
        update_password=dict(type="str", default="on_create", choices=["on_create", "always"], no_log=False),
        min_capacity=dict(type="float", required=True),
        max_capacity=dict(type="float", required=True),
        seconds_until_auto_pause=dict(type="int"),
        storage_encrypted=dict(type="bool", default=True),
        kms_key_id=dict(type="str", default="", no_log=False),
        backup_retention_period=dict(type="int", default=7),
        preferred_backup_window=dict(type="str", required=True),
        preferred_maintenance_window=dict(type="str", required=True),
        cloudwatch_logs_exports=dict(type="list", elements="str", default=["postgresql"]),
        copy_tags_to_snapshot=dict(type="bool", default=True),
        deletion_protection=dict(type="bool", default=True),
        vpc_security_group_ids=dict(type="list", elements="str", required=True),
        apply_immediately=dict(type="bool", default=True),
        instances=dict(type="list", elements="dict", required=True, options=dict(
            identifier=dict(type="str", required=True),
            availability_zone=dict(type="str", required=True),
            promotion_tier=dict(type="int", default=1),
        )),
        purge_instances=dict(type="bool", default=False),
        auto_minor_version_upgrade=dict(type="bool", default=True),
        performance_insights=dict(type="bool", default=False),
        performance_insights_retention=dict(type="int", default=7),
        connection_parameters=dict(type="dict", default={}, options=dict(
            host=dict(type="str"),
            port=dict(type="str"),
            database=dict(type="str"),
        )),
        connection_parameters_kms_key_id=dict(type="str", default="", no_log=False),
        tags=dict(type="dict", default={}),
    )
    module = SoloAwsModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[["master_username", "master_username_parameter"]],
        required_one_of=[["master_username", "master_username_parameter"]],
    )
    validate(module)
    cluster = AuroraCluster(module, module.client("rds"), module.client("ssm"), lambda: module.client("kms"))
    try:
        result = cluster.converge()
        if cluster.actions and not module.check_mode:
            cluster.reset()
            cluster.dry = False
            result = cluster.converge()
    except Refused as e:
        module.fail_json(msg=str(e), actions=cluster.actions)
    except SoloAwsError as e:
        fail_aws(module, e)
    for warning in cluster.warnings:
        module.warn(warning)
    module.exit_plan(cluster, **result)


if __name__ == "__main__":
    main()
