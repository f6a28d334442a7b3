"""The summary lists the deviations from the spec an environment acknowledges (stack_deviations)."""

from __future__ import annotations

from types import SimpleNamespace

from tools.summary_sections import deviations


def test_no_deviation_prints_nothing(monkeypatch):
    monkeypatch.setattr(deviations, "stack_setting", lambda name, environment: [])
    assert deviations.lines(SimpleNamespace(environment="local")) == []


def test_each_acknowledged_deviation_is_named_with_what_it_means(monkeypatch):
    seen = []
    monkeypatch.setattr(deviations, "stack_setting",
                        lambda name, environment: seen.append((name, environment)) or ["no_db_reader", "no_reader"])
    assert deviations.lines(SimpleNamespace(environment="dev")) == [
        "no_db_reader: no Aurora reader to fail over to (database_reader_count: 0); verify reports its rule "
        "aurora-two-azs as acknowledged",
        "no_reader: not a deviation the collection knows (the pre-flight refuses it)"]
    assert seen == [("stack_deviations", "dev")]
