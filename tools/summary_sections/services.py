"""The services layer: the ECS cluster and services, their task definitions, discovery, scaling and alarms."""

TITLE = "services"
ORDER = 70


def lines(ctx):
    ecs = ctx.client("ecs")
    cluster = ctx.prefix
    clusters = [c for c in ecs.describe_clusters(clusters=[cluster], include=["SETTINGS"])["clusters"]
                if c.get("status") == "ACTIVE"]
    if not clusters:
        return []
    insights = {s["name"]: s["value"] for s in clusters[0].get("settings", [])}.get("containerInsights", "disabled")
    out = [f"ECS cluster {cluster} (Container Insights {insights})"]
    services = ecs.describe_services(cluster=cluster, services=["backend", "frontend"])["services"]
    targets = {t["ResourceId"]: t for t in ctx.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs")["ScalableTargets"]}
    for service in services:
        definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
        container = definition["containerDefinitions"][0]
        vpc = service["networkConfiguration"]["awsvpcConfiguration"]
        target = targets.get(f"service/{cluster}/{service['serviceName']}", {})
        reached = ("ALB target group" if service.get("loadBalancers")
                   else "Cloud Map" if service.get("serviceRegistries") else "nothing")
        out.append(f"service {service['serviceName']:<9} {definition['family']}:{definition['revision']} "
                   f"{container['image'].rsplit('/', 1)[-1]}  {service['desiredCount']} tasks "
                   f"({target.get('MinCapacity', '?')}-{target.get('MaxCapacity', '?')})  "
                   f"public IP {vpc.get('assignPublicIp')}, reached through {reached}, "
                   f"{len(container.get('secrets', []))} secrets by ARN")
    namespaces = [n["Name"] for n in ctx.client("servicediscovery").list_namespaces()["Namespaces"]
                  if n["Name"] == f"{cluster}.internal"]
    if namespaces:
        out.append(f"backend URL http://backend.{namespaces[0]}")
    alarms = ctx.client("cloudwatch").describe_alarms(AlarmNamePrefix=f"{cluster}-alarm-")["MetricAlarms"]
    out.append(f"alarms: {len(alarms)} to SNS topic {cluster}-alarms")
    return out
