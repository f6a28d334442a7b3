# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RDS API wrappers: one function per call, each retried, one error type.

Describes of a single resource return ``None`` when it does not exist; reads
by cluster take the identifier (never a planned id: the callers check).
"""

from __future__ import annotations

from ansible_collections.solo_saving.infra.plugins.module_utils.common import aws_call

# ModifyDBClusterParameterGroup / ResetDBClusterParameterGroup take at most 20 parameters per call.
PARAMETER_BATCH = 20
# A cluster (or member) that is still being created or changed rejects some calls for a while.
STATE_RETRY_CODES = ["InvalidDBClusterStateFault", "InvalidDBInstanceState", "InvalidDBSubnetGroupStateFault"]


def _paginate(client, operation, key, **kwargs):
    paginator = client.get_paginator(operation)
    items = []
    for page in paginator.paginate(**kwargs):
        items.extend(page.get(key, []))
    return items


# -- clusters ------------------------------------------------------------------
@aws_call("describe the DB clusters")
def describe_db_clusters(client):
    """Every DB cluster of the region (to find the stack's cluster under any identifier)."""
    return _paginate(client, "describe_db_clusters", "DBClusters")


@aws_call("describe the DB cluster", not_found=["DBClusterNotFoundFault"])
def describe_db_cluster(client, identifier):
    return client.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0]


@aws_call("list the engine versions")
def describe_db_engine_versions(client, engine):
    """Every available version of ``engine`` in the region (EngineVersion, SupportsServerlessV2, ...)."""
    versions = []
    for page in client.get_paginator("describe_db_engine_versions").paginate(Engine=engine):
        versions.extend(page.get("DBEngineVersions", []))
    return versions


@aws_call("create the DB cluster")
def create_db_cluster(client, **params):
    return client.create_db_cluster(**params)["DBCluster"]


@aws_call("modify the DB cluster", retry_codes=STATE_RETRY_CODES)
def modify_db_cluster(client, identifier, **changes):
    return client.modify_db_cluster(DBClusterIdentifier=identifier, **changes)["DBCluster"]


# -- event subscriptions ------------------------------------------------------
SUBSCRIPTION_NOT_FOUND = ["SubscriptionNotFound"]
# A topic just created, or whose policy just changed, can be unknown to RDS for a moment (SNSNoAuthorization,
# SNSTopicArnNotFound: Amazon RDS API Reference, CreateEventSubscription errors); a source just created too.
SUBSCRIPTION_RETRY_CODES = ["SNSTopicArnNotFound", "SNSNoAuthorization", "SourceNotFound"]


@aws_call("describe the RDS event subscriptions")
def describe_event_subscriptions(client):
    """Every event subscription of the region (the stack's are found by their names)."""
    return _paginate(client, "describe_event_subscriptions", "EventSubscriptionsList")


@aws_call("create an RDS event subscription", retry_codes=SUBSCRIPTION_RETRY_CODES)
def create_event_subscription(client, name, topic_arn, source_type, categories, source_ids, tags):
    params = dict(SubscriptionName=name, SnsTopicArn=topic_arn, SourceType=source_type,
                  EventCategories=list(categories), Enabled=True, Tags=tags)
    if source_ids:
        params["SourceIds"] = list(source_ids)
    return client.create_event_subscription(**params)["EventSubscription"]


@aws_call("modify an RDS event subscription", retry_codes=SUBSCRIPTION_RETRY_CODES)
def modify_event_subscription(client, name, **changes):
    """Changes: SnsTopicArn, SourceType, EventCategories, Enabled (the source ids have their own calls)."""
    return client.modify_event_subscription(SubscriptionName=name, **changes)["EventSubscription"]


@aws_call("add a source to an RDS event subscription", retry_codes=SUBSCRIPTION_RETRY_CODES)
def add_source_identifier(client, name, source_id):
    client.add_source_identifier_to_subscription(SubscriptionName=name, SourceIdentifier=source_id)


@aws_call("remove a source from an RDS event subscription", not_found=SUBSCRIPTION_NOT_FOUND)
def remove_source_identifier(client, name, source_id):
    client.remove_source_identifier_from_subscription(SubscriptionName=name, SourceIdentifier=source_id)


@aws_call("delete an RDS event subscription", not_found=SUBSCRIPTION_NOT_FOUND,
          retry_codes=["InvalidEventSubscriptionState"])
def delete_event_subscription(client, name):
    client.delete_event_subscription(SubscriptionName=name)


# -- subnet groups -----------------------------------------------------------
@aws_call("describe the DB subnet group", not_found=["DBSubnetGroupNotFoundFault"])
def describe_db_subnet_group(client, name):
    return client.describe_db_subnet_groups(DBSubnetGroupName=name)["DBSubnetGroups"][0]


@aws_call("create the DB subnet group")
def create_db_subnet_group(client, name, description, subnet_ids, tags):
    return client.create_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription=description,
                                         SubnetIds=list(subnet_ids), Tags=tags)["DBSubnetGroup"]


@aws_call("modify the DB subnet group", retry_codes=STATE_RETRY_CODES)
def modify_db_subnet_group(client, name, description, subnet_ids):
    return client.modify_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription=description,
                                         SubnetIds=list(subnet_ids))["DBSubnetGroup"]


# -- cluster parameter groups --------------------------------------------------
@aws_call("describe the DB cluster parameter group", not_found=["DBParameterGroupNotFound"])
def describe_db_cluster_parameter_group(client, name):
    return client.describe_db_cluster_parameter_groups(
        DBClusterParameterGroupName=name)["DBClusterParameterGroups"][0]


@aws_call("create the DB cluster parameter group")
def create_db_cluster_parameter_group(client, name, family, description, tags):
    return client.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=name, DBParameterGroupFamily=family, Description=description,
        Tags=tags)["DBClusterParameterGroup"]


@aws_call("read the DB cluster parameters")
def describe_db_cluster_parameters(client, name, source=None):
    """The group's parameters; ``source='user'`` gives only those set by hand or by us."""
    kwargs = {"DBClusterParameterGroupName": name}
    if source:
        kwargs["Source"] = source
    return _paginate(client, "describe_db_cluster_parameters", "Parameters", **kwargs)


@aws_call("set DB cluster parameters")
def modify_db_cluster_parameter_group(client, name, parameters):
    """``parameters``: [{ParameterName, ParameterValue, ApplyMethod}], sent 20 at a time."""
    for start in range(0, len(parameters), PARAMETER_BATCH):
        client.modify_db_cluster_parameter_group(DBClusterParameterGroupName=name,
                                                 Parameters=parameters[start:start + PARAMETER_BATCH])


@aws_call("reset DB cluster parameters to the engine default")
def reset_db_cluster_parameters(client, name, parameters):
    """``parameters``: [{ParameterName, ApplyMethod}], sent 20 at a time."""
    for start in range(0, len(parameters), PARAMETER_BATCH):
        client.reset_db_cluster_parameter_group(DBClusterParameterGroupName=name, ResetAllParameters=False,
                                                Parameters=parameters[start:start + PARAMETER_BATCH])


# -- instances -------------------------------------------------------------------
@aws_call("describe the cluster's DB instances")
def describe_cluster_instances(client, cluster_identifier):
    return _paginate(client, "describe_db_instances", "DBInstances",
                     Filters=[{"Name": "db-cluster-id", "Values": [cluster_identifier]}])


@aws_call("create a DB instance", retry_codes=STATE_RETRY_CODES)
def create_db_instance(client, **params):
    return client.create_db_instance(**params)["DBInstance"]


@aws_call("modify a DB instance", retry_codes=STATE_RETRY_CODES)
def modify_db_instance(client, identifier, **changes):
    return client.modify_db_instance(DBInstanceIdentifier=identifier, **changes)["DBInstance"]


# -- tags ----------------------------------------------------------------------------
@aws_call("read the tags of an RDS resource")
def list_tags(client, arn):
    return client.list_tags_for_resource(ResourceName=arn).get("TagList", [])


@aws_call("tag an RDS resource", retry_codes=STATE_RETRY_CODES)
def add_tags(client, arn, tags):
    client.add_tags_to_resource(ResourceName=arn, Tags=tags)


@aws_call("delete a DB instance", not_found=["DBInstanceNotFound", "DBInstanceNotFoundFault"])
def delete_db_instance(client, identifier):
    """Delete a cluster member (its data lives in the cluster volume, which stays)."""
    client.delete_db_instance(DBInstanceIdentifier=identifier)


# -- teardown (stack_teardown) ----------------------------------------------------
@aws_call("delete the DB cluster", not_found=["DBClusterNotFoundFault"],
          retry_codes=["InvalidDBClusterStateFault"])
def delete_db_cluster(client, identifier, final_snapshot_identifier=None):
    """Delete the cluster (its members must be gone or going), with a final snapshot when one is named."""
    kwargs = {"DBClusterIdentifier": identifier, "DeleteAutomatedBackups": True}
    if final_snapshot_identifier:
        kwargs["FinalDBSnapshotIdentifier"] = final_snapshot_identifier
    else:
        kwargs["SkipFinalSnapshot"] = True
    client.delete_db_cluster(**kwargs)


@aws_call("describe the DB cluster snapshots", not_found=["DBClusterSnapshotNotFoundFault"])
def describe_db_cluster_snapshots(client, cluster_identifier=None, snapshot_identifier=None):
    """The snapshots of a cluster, or one snapshot by identifier; None when that snapshot does not exist."""
    kwargs = {}
    if cluster_identifier:
        kwargs["DBClusterIdentifier"] = cluster_identifier
    if snapshot_identifier:
        kwargs["DBClusterSnapshotIdentifier"] = snapshot_identifier
    return _paginate(client, "describe_db_cluster_snapshots", "DBClusterSnapshots", **kwargs)


@aws_call("delete an automated DB cluster snapshot",
          not_found=["DBClusterSnapshotNotFoundFault", "InvalidDBClusterSnapshotStateFault"])
def delete_automated_cluster_snapshot(client, identifier):
    """Delete an automated snapshot left behind by a deleted cluster.

    AWS removes automated snapshots itself when the cluster goes (and refuses to
    delete them, InvalidDBClusterSnapshotStateFault: counted as done); the local
    emulator keeps them, and deletes them on request.
    """
    client.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier=identifier)


@aws_call("describe the DB subnet groups")
def describe_db_subnet_groups(client):
    return _paginate(client, "describe_db_subnet_groups", "DBSubnetGroups")


@aws_call("delete a DB subnet group", not_found=["DBSubnetGroupNotFoundFault"],
          retry_codes=["InvalidDBSubnetGroupStateFault"])
def delete_db_subnet_group(client, name):
    client.delete_db_subnet_group(DBSubnetGroupName=name)


@aws_call("describe the DB cluster parameter groups")
def describe_db_cluster_parameter_groups(client):
    return _paginate(client, "describe_db_cluster_parameter_groups", "DBClusterParameterGroups")


@aws_call("delete a DB cluster parameter group", not_found=["DBParameterGroupNotFound"],
          retry_codes=["InvalidDBParameterGroupState"])
def delete_db_cluster_parameter_group(client, name):
    client.delete_db_cluster_parameter_group(DBClusterParameterGroupName=name)


@aws_call("describe a DB instance", not_found=["DBInstanceNotFound", "DBInstanceNotFoundFault"])
def describe_db_instance(client, identifier):
    return client.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
