"""The stack's dependency graph under a latency profile, and its critical path.

Each node is a step of the deployment; its weight is how long AWS keeps the
resource in a transitional state under the profile (0 for what AWS makes
usable at once). An edge says "cannot start before that one is usable". The
critical path is the longest chain of waits: the least time any tool,
however parallel, spends waiting for AWS on a cold deploy. bench/README.md
draws the same graph.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Node:
    layer: str  # the stage (role) that creates it; nodes of absent layers drop out
    weight: str | None  # a latency-profile kind, or None for "usable at once"
    after: tuple[str, ...] = ()
    note: str = ""


GRAPH: dict[str, Node] = {
    "network": Node("network", None, (), "VPC, subnets, route tables, security groups"),
    "endpoints": Node("endpoints", None, ("network",), "interface endpoints: minutes on AWS too, "
                                                       "but not in the issue's profile"),
    "secrets": Node("secrets", None, (), "SSM parameters"),
    "registry": Node("registry", None, (), "ECR repositories"),
    "aurora_cluster": Node("database", "aurora_cluster", ("network", "secrets"), "CreateDBCluster"),
    # AWS accepts CreateDBInstance while the cluster is still creating: both clocks run together.
    "aurora_writer": Node("database", "aurora_instance", ("network", "secrets"), "CreateDBInstance (writer)"),
    "aurora_reader": Node("database", "aurora_instance", ("network", "secrets"), "CreateDBInstance (reader)"),
    "database_available": Node("database", None, ("aurora_cluster", "aurora_writer", "aurora_reader"),
                               "the database role's wait"),
    "hosted_zone": Node("edge", None, (), "Route 53 zone and the validation record"),
    "acm_certificate": Node("edge", "acm_certificate", ("hosted_zone",), "DNS validation"),
    "alb": Node("edge", "alb", ("network",), "CreateLoadBalancer"),
    # ELB refuses an HTTPS listener until the certificate is ISSUED; it accepts one on a provisioning ALB.
    "https_listener": Node("edge", None, ("acm_certificate",), "target group + HTTPS listener"),
    # WAF cannot find a load balancer that is still provisioning (WAFUnavailableEntityException).
    "waf_association": Node("edge", None, ("alb",), "AssociateWebACL"),
    # The services role waits for the database before deploying the backend (the contract).
    "backend_service": Node("services", "ecs_service", ("database_available", "endpoints", "registry", "secrets"),
                            "backend steady state"),
    "frontend_service": Node("services", "ecs_service", ("https_listener", "endpoints", "registry"),
                             "frontend steady state (its target group must be behind a listener)"),
}


def critical_path(durations: dict[str, float], layers: set[str] | None = None,
                  graph: dict[str, Node] | None = None) -> tuple[float, list[str]]:
    """(seconds, nodes along the longest chain) for the given per-kind durations and present layers."""
    graph = GRAPH if graph is None else graph
    nodes = {name: node for name, node in graph.items() if layers is None or node.layer in layers}
    finish: dict[str, tuple[float, list[str]]] = {}

    def visit(name: str, trail: tuple[str, ...]) -> tuple[float, list[str]]:
        if name in trail:
            raise ValueError(f"the graph has a cycle through {name}")
        if name not in finish:
            node = nodes[name]
            best: tuple[float, list[str]] = (-1.0, [])
            for dep in node.after:
                if dep in nodes:
                    candidate = visit(dep, (*trail, name))
                    if candidate[0] > best[0]:
                        best = candidate
            best = (max(best[0], 0.0), best[1])
            own = durations.get(node.weight, 0.0) if node.weight else 0.0
            finish[name] = (best[0] + own, [*best[1], name])
        return finish[name]

    total: tuple[float, list[str]] = (-1.0, [])
    for name in nodes:
        candidate = visit(name, ())
        if candidate[0] > total[0]:
            total = candidate
    return round(max(total[0], 0.0), 3), total[1]


def sequential_waits(durations: dict[str, float], layers: set[str] | None = None,
                     graph: dict[str, Node] | None = None) -> float:
    """What a playbook that waits for every slow resource in turn would spend waiting (for comparison)."""
    graph = GRAPH if graph is None else graph
    return round(sum(durations.get(n.weight, 0.0) for n in graph.values()
                     if n.weight and (layers is None or n.layer in layers)), 3)
