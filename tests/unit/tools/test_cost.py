"""The cost estimate's arithmetic, on plain numbers."""

from __future__ import annotations

import pytest

from tools import cost


@pytest.mark.parametrize(("cpu", "memory", "tasks", "expected"), [
    (1024, 1024, 1, 730 * (0.05 + 0.005)),            # 1 vCPU, 1 GB, one task
    (256, 512, 2, 2 * 730 * (0.25 * 0.05 + 0.5 * 0.005)),
    (512, 1024, 0, 0.0),
])
def test_fargate_bills_vcpu_and_gb_hours_per_task(cpu, memory, tasks, expected):
    assert cost.fargate(cpu, memory, tasks, 0.05, 0.005, 730) == pytest.approx(expected)


def test_aurora_bills_acus_of_every_instance_and_storage_and_io_once():
    # 2 instances x 0.5 ACU x 730 h x 0.15 + 10 GB x 0.12 + 5 M x 0.24
    assert cost.aurora(0.5, 2, 10, 5, 0.15, 0.12, 0.24, 730) == pytest.approx(109.5 + 1.2 + 1.2)


def test_alb_adds_lcus_and_a_public_ipv4_per_zone():
    assert cost.alb(730, 0.0243, 1, 0.008, 2, 0.005) == pytest.approx(730 * (0.0243 + 0.008 + 0.01))


def test_interface_endpoints_bill_per_service_per_zone():
    assert cost.interface_endpoints(4, 2, 730, 0.014, 20, 0.01) == pytest.approx(4 * 2 * 730 * 0.014 + 0.2)


def test_nat_gateways_bill_per_zone_and_per_gb():
    assert cost.nat_gateways(2, 730, 0.062, 20, 0.062) == pytest.approx(2 * 730 * 0.062 + 20 * 0.062)


def test_waf_route53_and_logs():
    assert cost.waf(5, 3, 5.0, 1.0, 0.6) == pytest.approx(11.8)
    assert cost.route53(2, 1, 0.5, 0.4) == pytest.approx(1.4)
    # 5 GB ingested a month, kept 90 days: 15 GB stored at steady state.
    assert cost.logs(5, 90, 0.76, 0.033) == pytest.approx(3.8 + 15 * 0.033)


PRICES = cost.load_prices("ap-northeast-1")


def view(**extra):
    base = {"stack_environment": "prod", "stack_region": "ap-northeast-1",
            "network_azs": ["ap-northeast-1a", "ap-northeast-1c"],
            "services_frontend_cpu": 256, "services_frontend_memory": 512,
            "services_frontend_min_capacity": 2, "services_frontend_max_capacity": 6,
            "services_backend_cpu": 512, "services_backend_memory": 1024,
            "services_backend_min_capacity": 2, "services_backend_max_capacity": 6,
            "database_min_capacity": 0.5, "database_max_capacity": 8, "database_reader_count": 1,
            "endpoints_interface": [{"service": s} for s in ("ecr.api", "ecr.dkr", "logs", "ssm")],
            "edge_waf_rules": [{"rate_limit": 2000}, {"geo_allow": ["JP"]}], "services_log_retention_days": 90}
    base.update(extra)
    return base


def line(est, item):
    return next(x for x in est.lines if x[0] == item)


def test_estimate_reads_task_counts_and_capacity_from_the_inventory():
    est = cost.estimate(view(), PRICES)
    p = {k: v["value"] for k, v in PRICES["prices"].items()}
    low, high = line(est, "Fargate backend")[1:3]
    assert low == pytest.approx(cost.fargate(512, 1024, 2, p["fargate_vcpu_hour"], p["fargate_gb_hour"], 730), abs=0.01)
    assert high == pytest.approx(3 * low, abs=0.02)
    aurora_low, aurora_high = line(est, "Aurora Serverless v2")[1:3]
    assert aurora_high > aurora_low
    assert est.total[0] == pytest.approx(sum(x[1] for x in est.lines), abs=0.05)
    assert not est.assumptions


def test_more_readers_and_zones_cost_more():
    base = cost.estimate(view(), PRICES)
    more = cost.estimate(view(database_reader_count=2, network_azs=["a", "b", "c"]), PRICES)
    assert line(more, "Aurora Serverless v2")[1] > line(base, "Aurora Serverless v2")[1]
    assert line(more, "VPC interface endpoints")[1] > line(base, "VPC interface endpoints")[1]
    assert more.nat_lines[0][1] > base.nat_lines[0][1]


def test_missing_service_sizes_fall_back_to_documented_assumptions():
    partial = {k: v for k, v in view().items() if not k.startswith("services_frontend")}
    est = cost.estimate(partial, PRICES)
    assert any("services_frontend_cpu not in the inventory" in a for a in est.assumptions)
    assert line(est, "Fargate frontend")[3].startswith(f"{PRICES['usage']['default_task_cpu']} CPU units")


def test_nat_design_replaces_the_interface_endpoints_only():
    est = cost.estimate(view(), PRICES)
    vpce = line(est, "VPC interface endpoints")[1]
    nat = est.nat_lines[0][1]
    assert est.nat_total()[0] == pytest.approx(est.total[0] - vpce + nat, abs=0.05)


def test_usage_overrides_change_the_estimate():
    base = cost.estimate(view(), PRICES)
    heavy = cost.estimate(view(), PRICES, {"endpoint_gb_per_month": 1000, "nat_gb_per_month": 1000})
    assert line(heavy, "VPC interface endpoints")[1] - line(base, "VPC interface endpoints")[1] == pytest.approx(
        980 * 0.01, abs=0.02)
    assert heavy.nat_lines[0][1] - base.nat_lines[0][1] == pytest.approx(980 * 0.062, abs=0.02)


def test_price_file_is_dated_and_names_a_source_for_every_price():
    assert PRICES["region"] == "ap-northeast-1" and PRICES["as_of"]
    for name, entry in PRICES["prices"].items():
        assert entry["source"].startswith("https://aws.amazon.com/"), name
        assert isinstance(entry["value"], int | float) and "verified" in entry, name


def test_report_names_both_designs_and_the_saving():
    text = cost.format_table(cost.estimate(view(), PRICES), PRICES)
    assert "total (endpoints design)" in text and "total (NAT design)" in text and "endpoints save" in text


def test_flow_logs_cost_by_traffic_type_and_nothing_when_off():
    p = {k: v["value"] for k, v in PRICES["prices"].items()}
    u = PRICES["usage"]
    reject = line(cost.estimate(view(network_flow_logs={"enabled": True, "traffic_type": "REJECT",
                                                        "retention_days": 90}), PRICES), "VPC flow logs")
    assert reject[1] == pytest.approx(cost.logs(u["flow_logs_reject_gb_per_month"], 90, p["logs_vended_gb"],
                                                p["logs_storage_gb_month"]), abs=0.01)
    everything = line(cost.estimate(view(network_flow_logs={"enabled": True, "traffic_type": "ALL",
                                                            "retention_days": 90}), PRICES), "VPC flow logs")
    assert everything[1] > reject[1] and everything[3].startswith("ALL traffic")
    off = cost.estimate(view(network_flow_logs={"enabled": False}), PRICES)
    assert [x for x in off.lines if x[0] == "VPC flow logs"] == []


def test_access_logs_cost_the_stacks_bucket_by_retention_and_nothing_elsewhere():
    p = {k: v["value"] for k, v in PRICES["prices"].items()}
    u = PRICES["usage"]
    own = line(cost.estimate(view(edge_access_logs={"enabled": True, "bucket": "", "retention_days": 90}), PRICES),
               "ALB access logs (S3)")
    requests = u["alb_access_log_objects_per_month"] / 1000 * p["s3_put_thousand"]
    assert own[1] == pytest.approx(u["alb_access_logs_gb_per_month"] * 3 * p["s3_standard_gb_month"] + requests,
                                   abs=0.01)
    longer = line(cost.estimate(view(edge_access_logs={"enabled": True, "bucket": "", "retention_days": 365}),
                                PRICES), "ALB access logs (S3)")
    assert longer[1] > own[1] and "kept 365 days" in longer[3]
    for access in ({"enabled": False}, {"enabled": True, "bucket": "central-logs", "retention_days": 90}):
        est = cost.estimate(view(edge_access_logs=access), PRICES)
        assert [x for x in est.lines if x[0] == "ALB access logs (S3)"] == [], access
