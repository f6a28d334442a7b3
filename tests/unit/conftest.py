"""Fixtures of the unit tests."""

from __future__ import annotations

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils import common
from tests.support.clock import FakeClock


@pytest.fixture
def fake_clock(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(common, "_clock", clock)
    monkeypatch.setattr(common, "_sleep", clock.sleep)
    common.RETRIED.clear()
    yield clock
    common.RETRIED.clear()
