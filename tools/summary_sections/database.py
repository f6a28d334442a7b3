"""The database layer: the Aurora cluster, its capacity range and instances, and the connection settings."""

TITLE = "database"
ORDER = 50


def lines(ctx):
    rds = ctx.client("rds")
    identifier = f"{ctx.prefix}-db"
    clusters = [c for c in rds.describe_db_clusters()["DBClusters"] if c["DBClusterIdentifier"] == identifier]
    if not clusters:
        return []
    cluster = clusters[0]
    scaling = cluster.get("ServerlessV2ScalingConfiguration") or {}
    out = [f"Aurora {cluster['Engine']} {cluster['EngineVersion']} {identifier} ({cluster['Status']}), "
           f"{scaling.get('MinCapacity', 0):g}-{scaling.get('MaxCapacity', 0):g} ACU, "
           f"encrypted={str(cluster.get('StorageEncrypted')).lower()}, "
           f"backups {cluster.get('BackupRetentionPeriod')} days, "
           f"logs: {', '.join(cluster.get('EnabledCloudwatchLogsExports') or []) or 'none'}",
           f"endpoint {cluster.get('Endpoint')}:{cluster.get('Port')}"]
    writers = {m["DBInstanceIdentifier"] for m in cluster.get("DBClusterMembers", []) if m.get("IsClusterWriter")}
    instances = rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": [identifier]}])["DBInstances"]
    for instance in sorted(instances, key=lambda i: i["DBInstanceIdentifier"]):
        role = "writer" if instance["DBInstanceIdentifier"] in writers else "reader"
        out.append(f"instance {instance['DBInstanceIdentifier']:<24} {role:<6} {instance['AvailabilityZone']}  "
                   f"{instance['DBInstanceClass']}  {instance['DBInstanceStatus']}")
    return out
