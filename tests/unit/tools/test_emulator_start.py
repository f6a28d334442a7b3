"""tools.emulator start: one line and a non-zero exit for a busy port or an emulator it did not start."""

from __future__ import annotations

import socket

import pytest

from tools import emulator


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setattr(emulator, "STATE_DIR", tmp_path)
    monkeypatch.delenv("LOCAL_AWS_ADOPT", raising=False)
    return tmp_path


def test_a_port_another_program_holds_is_one_line_and_no_start(state, capsys, monkeypatch):
    spawned = []
    monkeypatch.setattr(emulator, "spawn", lambda *a, **k: spawned.append(a))
    with socket.socket() as busy:
        busy.bind((emulator.HOST, 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert emulator.cmd_start(port) == 1
    err = capsys.readouterr().err
    assert err == (f"port {port} is taken by another program, which is not an emulator: choose another port "
                   "(LOCAL_AWS_PORT=<port>)\n")
    assert spawned == []


def test_an_emulator_this_checkout_did_not_start_is_refused_unless_adopted(state, capsys, monkeypatch):
    monkeypatch.setattr(emulator, "is_up", lambda port, timeout=2.0: True)
    assert emulator.cmd_start(4999) == 1
    assert capsys.readouterr().err.startswith(
        "an emulator this checkout did not start already answers on http://127.0.0.1:4999: stop it")
    monkeypatch.setenv("LOCAL_AWS_ADOPT", "1")
    assert emulator.cmd_start(4999) == 0
    assert "LOCAL_AWS_ADOPT=1" in capsys.readouterr().out


def test_its_own_emulator_is_reused(state, capsys, monkeypatch):
    import os

    monkeypatch.setattr(emulator, "is_up", lambda port, timeout=2.0: True)
    (state / "emulator-4999.pid").write_text(f"{os.getpid()}\n")
    assert emulator.cmd_start(4999) == 0
    assert capsys.readouterr().out == "emulator already running on http://127.0.0.1:4999\n"


def test_an_emulator_that_exits_at_once_is_one_line(state, capsys, monkeypatch):
    def spawn(port, log_path, *args, **kwargs):
        raise RuntimeError(f"the emulator exited with code 1; see {log_path}")

    monkeypatch.setattr(emulator, "spawn", spawn)
    monkeypatch.setattr(emulator, "port_taken", lambda port: False)
    monkeypatch.setattr(emulator, "is_up", lambda port, timeout=2.0: False)
    assert emulator.cmd_start(4999) == 1
    assert capsys.readouterr().err == f"the emulator did not start: the emulator exited with code 1; see " \
                                      f"{state / 'emulator-4999.log'}\n"
