# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: run_lock
type: aggregate
short_description: Release the environment's run lock when a run ends without releasing it
version_added: 0.1.0
description:
  - The M(solo_saving.infra.run_lock) module takes an environment's run lock at the start of a writing playbook,
    and the playbook's last play releases it. A run that fails never reaches that play; this callback releases,
    at the end of the run, every lock the run still holds (only if the run still holds it).
  - It uses the credentials of the run's environment (variables, profile, instance role), and the region,
    endpoint and profile the module reported. A run killed outright runs no callback; its lock expires with its
    lease, or is broken with C(playbooks/break-lock.yml).
  - Enabled in the project's C(ansible.cfg) (C(callbacks_enabled)).
requirements:
  - boto3
"""

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "solo_saving.infra.run_lock"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.locks = {}

    def v2_runner_on_ok(self, result):
        lock = result._result.get("run_lock")
        if isinstance(lock, dict) and lock.get("table") and lock.get("lock_id"):
            key = (lock["table"], lock["lock_id"])
            if lock.get("held"):
                self.locks[key] = dict(lock)
            else:
                self.locks.pop(key, None)

    def v2_playbook_on_stats(self, stats):
        for (table, lock_id), lock in list(self.locks.items()):
            try:
                released = release(lock)
            except Exception as e:  # the run is over: say what to do, never hide the run's own result
                self._display.warning(f"could not release the run lock {lock_id} ({e}); it expires with its lease, "
                                      f"or break it: ansible-playbook playbooks/break-lock.yml "
                                      f"-e break_lock_confirm={lock_id}")
                continue
            if released:
                self._display.display(f"run lock {lock_id} released: the run ended without releasing it")
            self.locks.pop((table, lock_id), None)


def release(lock):
    import boto3

    from ansible_collections.solo_saving.infra.plugins.module_utils import run_lock

    session = boto3.session.Session(profile_name=lock.get("profile") or None)
    client = session.client("dynamodb", region_name=lock.get("region") or None,
                            endpoint_url=lock.get("endpoint_url") or None)
    return run_lock.release(client, lock["table"], lock["lock_id"], lock["run_id"])
