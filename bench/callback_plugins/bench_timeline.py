"""Ansible callback for the benchmark: each play's and task's wall-clock times, as JSON lines."""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bench_timeline
type: aggregate
short_description: Write play and task start/end times to a JSON-lines file for bench/
description:
  - Writes one JSON object a line to the file named by C(BENCH_TIMELINE_PATH)
    (nothing when it is unset) - C(start), C(play) (name, tags, time), C(task)
    (play, role, name, action, start, end, status, changed) and C(end) - so the
    benchmark can attribute the emulator's recorded requests to plays, roles and tasks.
  - Enable with C(ANSIBLE_CALLBACKS_ENABLED=bench_timeline) and
    C(ANSIBLE_CALLBACK_PLUGINS=bench/callback_plugins).
requirements:
  - enabled in callbacks_enabled
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timeline"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._path = os.environ.get("BENCH_TIMELINE_PATH", "")
        self._play = ""
        self._task = None

    def _write(self, event):
        if self._path:
            with open(self._path, "a", encoding="utf-8") as stream:
                stream.write(json.dumps(event) + "\n")

    def _finish(self, status, changed=False):
        if self._task is not None:
            self._task.update({"t1": time.time(), "status": status, "changed": bool(changed)})
            self._write(self._task)
            self._task = None

    def v2_playbook_on_start(self, playbook):
        self._write({"event": "start", "t": time.time()})

    def v2_playbook_on_play_start(self, play):
        self._finish("ok")
        self._play = play.get_name()
        self._write({"event": "play", "name": self._play, "tags": list(play.tags or []), "t": time.time()})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._finish("ok")
        role = task._role.get_name(include_role_fqcn=False) if task._role else ""
        self._task = {"event": "task", "play": self._play, "role": role, "name": task.get_name(),
                      "action": task.action, "t0": time.time()}

    v2_playbook_on_handler_task_start = v2_playbook_on_task_start

    def v2_runner_on_ok(self, result):
        self._finish("ok", result._result.get("changed"))

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._finish("failed")

    def v2_runner_on_skipped(self, result):
        self._finish("skipped")

    def v2_runner_on_unreachable(self, result):
        self._finish("unreachable")

    def v2_playbook_on_stats(self, stats):
        self._finish("ok")
        self._write({"event": "end", "t": time.time()})
