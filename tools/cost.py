"""Estimate an environment's monthly AWS cost from its inventory, beside a NAT-gateway design.

Usage: python -m tools.cost [--env local] [--json] [-u NAME=VALUE ...]

Inputs come from the environment's inventory (tools/stack_view: task sizes and
counts, Aurora capacity and readers, zones, endpoints, WAF rules, log
retention); prices and the usage the inventory cannot tell (traffic, storage,
requests) from tools/prices/<region>.yml, which names its sources and date.
The arithmetic is pure functions of plain numbers (unit-tested).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PRICES = ROOT / "tools" / "prices"


# -- pure arithmetic ----------------------------------------------------------
def fargate(cpu_units: float, memory_mib: float, tasks: float, vcpu_hour: float, gb_hour: float,
            hours: float) -> float:
    """Fargate: vCPU-hours and GB-hours of ``tasks`` tasks of one size."""
    return tasks * hours * (cpu_units / 1024 * vcpu_hour + memory_mib / 1024 * gb_hour)


def aurora(acu_per_instance: float, instances: int, storage_gb: float, io_million: float, acu_hour: float,
           storage_gb_month: float, io_price_million: float, hours: float) -> float:
    """Aurora Serverless v2: every instance (writer and readers) bills its ACUs; storage and I/O once."""
    compute = acu_per_instance * instances * hours * acu_hour
    return compute + storage_gb * storage_gb_month + io_million * io_price_million


def alb(hours: float, hour_price: float, average_lcu: float, lcu_hour: float, public_ips: int,
        ipv4_hour: float) -> float:
    """ALB hours, LCU-hours and the public IPv4 address of each of its zones."""
    return hours * (hour_price + average_lcu * lcu_hour + public_ips * ipv4_hour)


def interface_endpoints(services: int, azs: int, hours: float, az_hour: float, gb: float, gb_price: float) -> float:
    """Interface endpoints bill per service per zone per hour, plus data processed."""
    return services * azs * hours * az_hour + gb * gb_price


def nat_gateways(azs: int, hours: float, hour_price: float, gb: float, gb_price: float) -> float:
    """One NAT gateway per zone (the highly available layout) plus data processed."""
    return azs * hours * hour_price + gb * gb_price


def waf(rules: int, requests_million: float, acl_month: float, rule_month: float, request_million: float) -> float:
    return acl_month + rules * rule_month + requests_million * request_million


def route53(zones: int, queries_million: float, zone_month: float, query_million: float) -> float:
    return zones * zone_month + queries_million * query_million


def logs(ingest_gb: float, retention_days: float, ingest_price: float, storage_gb_month: float) -> float:
    """Ingestion, plus storage of what the retention keeps (steady state: a month's data per 30 days kept)."""
    return ingest_gb * ingest_price + ingest_gb * min(retention_days, 3653) / 30 * storage_gb_month


# -- the model of the stack ------------------------------------------------------
@dataclass
class Estimate:
    env: str
    lines: list[tuple[str, float, float, str]] = field(default_factory=list)  # item, min, max, basis
    nat_lines: list[tuple[str, float, float, str]] = field(default_factory=list)
    nat_single: float = 0.0
    assumptions: list[str] = field(default_factory=list)

    def add(self, item, low, high, basis):
        self.lines.append((item, round(low, 2), round(high, 2), basis))

    @property
    def total(self):
        return round(sum(x[1] for x in self.lines), 2), round(sum(x[2] for x in self.lines), 2)

    def nat_total(self):
        swap = {x[0] for x in self.nat_lines}
        common = [x for x in self.lines if x[0] not in swap | {"VPC interface endpoints"}]
        rows = common + self.nat_lines
        return round(sum(x[1] for x in rows), 2), round(sum(x[2] for x in rows), 2)


def load_prices(region: str) -> dict:
    path = PRICES / f"{region}.yml"
    if not path.exists():
        raise SystemExit(f"no price file for region {region}: add tools/prices/{region}.yml")
    return yaml.safe_load(path.read_text())


def estimate(view: dict, price_file: dict, overrides: dict | None = None) -> Estimate:
    p = {k: v["value"] for k, v in price_file["prices"].items()}
    u = dict(price_file["usage"])
    u.update(overrides or {})
    h = u["hours_per_month"]
    est = Estimate(view.get("stack_environment", "?"))
    azs = len(view.get("network_azs") or view.get("stack_azs") or []) or 2

    for name in ("frontend", "backend"):
        def var(suffix, default_key, _name=name):
            value = view.get(f"services_{_name}_{suffix}")
            if value is None:
                est.assumptions.append(f"services_{_name}_{suffix} not in the inventory: {u[default_key]}")
                return u[default_key]
            return value

        cpu, memory = var("cpu", "default_task_cpu"), var("memory", "default_task_memory")
        low, high = var("min_capacity", "default_min_tasks"), var("max_capacity", "default_max_tasks")
        est.add(f"Fargate {name}",
                fargate(cpu, memory, low, p["fargate_vcpu_hour"], p["fargate_gb_hour"], h),
                fargate(cpu, memory, high, p["fargate_vcpu_hour"], p["fargate_gb_hour"], h),
                f"{cpu} CPU units, {memory} MiB, {low}-{high} tasks x {h} h")

    readers = int(view.get("database_reader_count", 1))
    instances = 1 + readers
    acu_min = float(view.get("database_min_capacity", 0.5))
    acu_max = float(view.get("database_max_capacity", 4))
    args = (u["aurora_storage_gb"], u["aurora_io_million_per_month"], p["aurora_acu_hour"],
            p["aurora_storage_gb_month"], p["aurora_io_million"], h)
    est.add("Aurora Serverless v2", aurora(acu_min, instances, *args), aurora(acu_max, instances, *args),
            f"{instances} instances x {acu_min}-{acu_max} ACU, {u['aurora_storage_gb']} GB, "
            f"{u['aurora_io_million_per_month']} M I/O")

    lb = alb(h, p["alb_hour"], u["alb_average_lcu"], p["alb_lcu_hour"], azs, p["public_ipv4_hour"])
    est.add("Application Load Balancer", lb, lb, f"{u['alb_average_lcu']} LCU average, {azs} public IPv4")

    services = len(view.get("endpoints_interface") or []) + len(view.get("endpoints_extra_interface") or [])
    endpoint_azs = len(view.get("endpoints_azs") or []) or azs
    vpce = interface_endpoints(services, endpoint_azs, h, p["interface_endpoint_az_hour"],
                               u["endpoint_gb_per_month"], p["interface_endpoint_gb"])
    est.add("VPC interface endpoints", vpce, vpce,
            f"{services} services x {endpoint_azs} zones, {u['endpoint_gb_per_month']} GB; S3 gateway free")

    rules = len(view.get("edge_waf_rules") or [])
    w = waf(rules, u["waf_requests_million_per_month"], p["waf_web_acl_month"], p["waf_rule_month"],
            p["waf_requests_million"])
    est.add("AWS WAF", w, w, f"1 web ACL, {rules} rules, {u['waf_requests_million_per_month']} M requests")

    zones = 2  # the public zone of the domain and Cloud Map's private zone
    r53 = route53(zones, u["route53_queries_million_per_month"], p["route53_hosted_zone_month"],
                  p["route53_queries_million"])
    est.add("Route 53", r53, r53, f"{zones} hosted zones, {u['route53_queries_million_per_month']} M queries")

    backend_min = view.get("services_backend_min_capacity", u["default_min_tasks"])
    backend_max = view.get("services_backend_max_capacity", u["default_max_tasks"])
    est.add("Cloud Map", backend_min * p["cloudmap_instance_month"], backend_max * p["cloudmap_instance_month"],
            "one registered instance per backend task")

    retention = float(view.get("services_log_retention_days", 30))
    lg = logs(u["logs_ingest_gb_per_month"], retention, p["logs_ingest_gb"], p["logs_storage_gb_month"])
    al = u["alarms"] * p["alarm_month"]
    est.add("CloudWatch Logs and alarms", lg + al, lg + al,
            f"{u['logs_ingest_gb_per_month']} GB/month kept {retention:.0f} days, {u['alarms']} alarms")

    flow = view.get("network_flow_logs") or {"enabled": True, "traffic_type": "REJECT", "retention_days": 90}
    if flow.get("enabled", True):
        traffic = flow.get("traffic_type", "REJECT")
        gb = u["flow_logs_all_gb_per_month" if traffic == "ALL" else "flow_logs_reject_gb_per_month"]
        kept = float(flow.get("retention_days") or 3653)
        fl = logs(gb, kept, p["logs_vended_gb"], p["logs_storage_gb_month"])
        est.add("VPC flow logs", fl, fl, f"{traffic} traffic, {gb} GB/month to CloudWatch Logs kept {kept:.0f} days")

    access = view.get("edge_access_logs") or {"enabled": True, "bucket": "", "retention_days": 90}
    if access.get("enabled", True) and not access.get("bucket"):
        # Storage in the stack's own bucket at steady state: a month of logs times the months the lifecycle keeps.
        kept = float(access.get("retention_days") or 90)
        gb = u["alb_access_logs_gb_per_month"]
        puts = u["alb_access_log_objects_per_month"] / 1000 * p["s3_put_thousand"]
        s3 = gb * kept / 30 * p["s3_standard_gb_month"] + puts
        est.add("ALB access logs (S3)", s3, s3, f"{gb} GB/month kept {kept:.0f} days, "
                f"{u['alb_access_log_objects_per_month']} objects/month")

    est.add("SSM Parameter Store", u["ssm_parameters"] * p["ssm_standard_parameter_month"],
            u["ssm_parameters"] * p["ssm_standard_parameter_month"], "standard parameters (free)")
    # The alarm topic's customer key, unless the inventory brings its own; its requests (alarms and RDS events
    # only) stay inside KMS's free 20,000 a month.
    keys = 0 if view.get("services_alarm_sns_kms_key_id") else 1
    est.add("KMS", keys * p["kms_key_month"], keys * p["kms_key_month"],
            f"{keys} customer managed key (the alarm topic's)" if keys else "the inventory's own key (not counted)")
    ecr = u["ecr_storage_gb"] * p["ecr_storage_gb_month"]
    est.add("ECR", ecr, ecr, f"{u['ecr_storage_gb']} GB of images")

    nat = nat_gateways(azs, h, p["nat_gateway_hour"], u["nat_gb_per_month"], p["nat_gateway_gb"])
    est.nat_single = round(nat_gateways(1, h, p["nat_gateway_hour"], u["nat_gb_per_month"], p["nat_gateway_gb"]), 2)
    est.nat_lines.append(("NAT gateways", round(nat, 2), round(nat, 2),
                          f"{azs} NAT gateways (one per zone), {u['nat_gb_per_month']} GB processed"))
    return est


def format_table(est: Estimate, price_file: dict) -> str:
    out = [f"Monthly cost estimate - {est.env} ({price_file['region']}, prices as of {price_file['as_of']}, "
           f"{price_file['currency']})", ""]
    out.append(f"{'item':<30}{'min':>10}{'max':>10}  basis")
    for item, low, high, basis in est.lines:
        out.append(f"{item:<30}{low:>10.2f}{high:>10.2f}  {basis}")
    low, high = est.total
    out.append(f"{'total (endpoints design)':<30}{low:>10.2f}{high:>10.2f}")
    out.append("")
    out.append("The same stack with NAT gateways instead of interface endpoints (the design the spec rejected):")
    for item, nlow, nhigh, basis in est.nat_lines:
        out.append(f"{item:<30}{nlow:>10.2f}{nhigh:>10.2f}  {basis}")
    nlow, nhigh = est.nat_total()
    out.append(f"{'total (NAT design)':<30}{nlow:>10.2f}{nhigh:>10.2f}")
    vpce = next(x[1] for x in est.lines if x[0] == "VPC interface endpoints")
    nat = sum(x[1] for x in est.nat_lines)
    out.append(f"{'endpoints save':<30}{nat - vpce:>10.2f}{nat - vpce:>10.2f}  per month")
    single = est.nat_single
    out.append(f"(one NAT gateway, not zone-redundant, would cost {single:.2f}: "
               f"{'more' if single > vpce else 'less'} than the endpoints, and an AZ failure cuts egress)")
    if est.assumptions:
        out += ["", "Assumed (not in the inventory):", *[f"  - {a}" for a in est.assumptions]]
    unverified = [k for k, v in price_file["prices"].items() if not v.get("verified")]
    if unverified:
        out += ["", f"{len(unverified)} prices are unverified assumptions: see tools/prices/{price_file['region']}.yml"]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    from tools.stack_view import StackViewError, load

    parser = argparse.ArgumentParser(description="Estimate the monthly cost of an environment.")
    parser.add_argument("--env", default="local")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("-u", "--usage", action="append", default=[], metavar="NAME=VALUE",
                        help="override a usage assumption of the price file")
    args = parser.parse_args(argv)
    try:
        view = load(args.env)
    except StackViewError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    prices = load_prices(view.get("stack_region", "ap-northeast-1"))
    overrides = {}
    for item in args.usage:
        name, _, value = item.partition("=")
        if name not in prices["usage"]:
            print(f"error: unknown usage {name!r}; known: {', '.join(prices['usage'])}", file=sys.stderr)
            return 2
        overrides[name] = float(value)
    est = estimate(view, prices, overrides)
    if args.json:
        print(json.dumps({"env": est.env, "lines": est.lines, "total": est.total, "nat_lines": est.nat_lines,
                          "nat_total": est.nat_total(), "assumptions": est.assumptions}, indent=2))
    else:
        print(format_table(est, prices))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
