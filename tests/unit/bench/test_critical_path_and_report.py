"""The critical path under a latency profile, and the report: table, targets, README section."""

from __future__ import annotations

import pytest

from bench import report
from bench.critical_path import GRAPH, Node, critical_path, sequential_waits
from tools.latency_emulator import durations

ALL = {"network", "endpoints", "secrets", "registry", "database", "edge", "services"}


def test_the_whole_stack_waits_for_an_instance_then_the_backend():
    seconds, path = critical_path(durations("realistic", 1), ALL)
    assert seconds == 12.0
    assert path[-3:] in (["aurora_writer", "database_available", "backend_service"],
                         ["aurora_reader", "database_available", "backend_service"])


def test_the_path_scales_and_follows_the_layers_present():
    assert critical_path(durations("realistic", 60), ALL)[0] == 720.0
    assert critical_path(durations("realistic", 1), ALL - {"services"})[0] == 10.0
    assert critical_path(durations("realistic", 1), {"network", "edge"}) == (3.0, ["network", "alb"])
    assert critical_path(durations("none", 1), ALL)[0] == 0.0


def test_every_dependency_names_a_node():
    for name, node in GRAPH.items():
        assert set(node.after) <= set(GRAPH), name


def test_a_cycle_is_an_error():
    graph = {"a": Node("x", "alb", ("b",)), "b": Node("x", None, ("a",))}
    with pytest.raises(ValueError, match="cycle"):
        critical_path({"alb": 1.0}, None, graph)


def test_sequential_waits_add_every_slow_resource():
    assert sequential_waits(durations("realistic", 1), ALL) == 4 + 10 + 10 + 2 + 3 + 2 + 2


RESULTS = {
    "figures": {
        "cold": {"seconds": 100.0, "api_calls": 500, "changed": 40, "rc": 0},
        "noop": {"seconds": 30.0, "api_calls": 90, "changed": 0, "rc": 0, "repeated_reads": {},
                 "stages": {"network": {"seconds": 5.0, "tasks": 4, "calls": 8, "reads": 8, "writes": 0,
                                        "roles": {"network": 8}}}},
        "check": {"seconds": 32.0, "api_calls": 90, "changed": 0, "rc": 0},
        "change": {"seconds": 35.0, "api_calls": 95, "changed": 1, "rc": 0},
        "verify": {"skipped": "playbooks/verify.yml does not exist yet"},
        "realistic_cold": {"seconds": 120.0, "api_calls": 600, "changed": 40, "rc": 0},
    },
    "floor": {"create": {"seconds": 4.0, "api_calls": 300}, "read": {"seconds": 0.5, "api_calls": 90}},
    "critical_path": {"seconds": 12.0},
    "scale": 1.0,
}


def test_targets():
    targets = {t["target"]: t for t in report.targets(RESULTS)}
    assert targets["no-op re-run ≤ 3x floor create"] | {} == {
        "target": "no-op re-run ≤ 3x floor create", "value": 30.0, "limit": 12.0, "met": False,
        "how": "no-op seconds vs 3 x floor create seconds"}
    assert targets["no-op re-run ≤ 20 s"]["met"] is False
    assert targets["cold deploy ≤ 5x floor create"]["limit"] == 20.0
    assert targets["realistic cold ≤ 1.2x (critical path + plain cold)"]["limit"] == pytest.approx(134.4)
    assert targets["realistic cold ≤ 1.2x (critical path + plain cold)"]["met"] is True
    assert targets["--check --diff within 10% of no-op"]["met"] is True
    assert targets["no role reads the same resource twice (no-op)"]["met"] is True


def test_targets_that_could_not_be_measured_are_not_met_nor_failed():
    results = {"figures": {"noop": {"seconds": 10.0, "rc": 2}}, "floor": {}}
    assert {t["met"] for t in report.targets(results)} == {None}


def test_table_rows():
    rows = {r[0]: r for r in report.rows(RESULTS)}
    assert rows["no-op re-run (site.yml)"] == ["no-op re-run (site.yml)", "30.0", "90", "0", "7.5x floor create"]
    assert rows["verify (playbooks/verify.yml)"][1] == "n/a"
    assert rows["floor: the no-op run's reads"][4] == "1.0x"
    assert rows["cold deploy, realistic latency (scale 1)"][4].startswith("1.1x")


def test_the_readme_section_is_replaced_or_appended():
    section = report.readme_section(RESULTS | {"layers": ["network"], "missing_layers": ["services"]})
    assert section.startswith(report.README_START) and section.endswith(report.README_END)
    assert "not yet in site.yml: services" in section
    appended = report.update_readme("# Title\n\nText.\n", section)
    assert "\n## Performance\n" in appended and appended.count(report.README_START) == 1
    replaced = report.update_readme(appended, report.README_START + "\nnew\n" + report.README_END)
    assert "\nnew\n" in replaced and "| figure |" not in replaced
    assert replaced.count("## Performance") == 1


def test_details_say_how_the_floor_was_made_and_flag_repeated_reads():
    results = RESULTS | {"floor": {"create": {"seconds": 4.0, "api_calls": 300, "writes": 290, "dependent_reads": 10},
                                   "read": {"seconds": 0.5, "api_calls": 90}, "reproduced": True,
                                   "ids": {"mapped_ids": 7}}}
    results["figures"] = results["figures"] | {"noop": results["figures"]["noop"] | {
        "samples": [30.0, 31.5],
        "repeated_reads": {"edge": [{"read": "route53:GET /zone", "times": 2, "tasks": ["edge: a", "edge: b"]}]}}}
    lines = report.details(results)
    assert "no-op: median of 2 alternating runs (30.0, 31.5 s)." in lines
    assert any(line.startswith("Floor: 290 write requests of the cold deploy plus the 10 reads") and
               "stack reproduced: yes (7 recorded ids" in line for line in lines)
    assert "Repeated read in the no-op run, role `edge`: `route53:GET /zone` 2 times (edge: a; edge: b)." in lines
