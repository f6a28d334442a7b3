"""Fixtures of the unit tests."""

from __future__ import annotations

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils import common


class FakeClock:
    """The retry loop's clock and sleep (module_utils.common), in simulated seconds."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_clock(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(common, "_clock", clock)
    monkeypatch.setattr(common, "_sleep", clock.sleep)
    common.RETRIED.clear()
    yield clock
    common.RETRIED.clear()
