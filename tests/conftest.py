"""Shared fixtures: a private AWS emulator per test session, reset per test.

Every test that talks to "AWS" talks to a moto server this session started on
a free loopback port; nothing here can reach real AWS.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# `ansible_collections.solo_saving.infra` resolves through the checkout's symlink.
sys.path.insert(0, str(ROOT / "collections"))

from tests.support.aws import Emulator, PlaybookRun, run_playbook  # noqa: E402
from tests.support.modules import run_module_fixture  # noqa: E402
from tools import emulator  # noqa: E402

run_module = run_module_fixture


@pytest.fixture(scope="session")
def aws_emulator(tmp_path_factory) -> Emulator:
    port = emulator.free_port()
    log = tmp_path_factory.mktemp("emulator") / "moto.log"
    proc = emulator.spawn(port, log, extra_env={"MOTO_ENABLE_RECORDING": "True",
                                                 "MOTO_RECORDER_FILEPATH": str(log.with_suffix(".jsonl"))})
    try:
        yield Emulator(port=port, url=emulator.url(port), log=log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def aws(aws_emulator) -> Emulator:
    """The session's emulator, emptied before the test."""
    aws_emulator.reset()
    return aws_emulator


@pytest.fixture
def playbook(aws):
    def _run(*args: str, **kwargs) -> PlaybookRun:
        return run_playbook(aws, *args, **kwargs)

    return _run
