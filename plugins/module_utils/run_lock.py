# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run at a time per environment: a lease in a DynamoDB table, taken and released atomically.

Held in AWS so that every place a run starts from (CI, a laptop, AWX) sees it. A run takes the lock
with a conditional write (nobody holds it, or the holder's lease has expired, or it is this run's
own), waits a bounded time while another run holds it, and releases it at its end - also when it
fails (the collection's run_lock callback). A run killed outright leaves its lock until the lease
expires, or until it is broken by hand (playbooks/break-lock.yml).

Shared by the run_lock module and the run_lock callback.
"""

from __future__ import annotations

import datetime
import time

from ansible_collections.solo_saving.infra.plugins.module_utils import dynamodb

# How long a table DescribeTable shows may take to accept writes (DynamoDB is eventually consistent too).
TABLE_VISIBLE_SECONDS = 60


class LockHeld(Exception):
    """Another run holds the lock; ``holder`` is its item."""

    def __init__(self, message, holder):
        super().__init__(message)
        self.holder = holder


def describe_holder(holder, now):
    started = datetime.datetime.fromtimestamp(int(holder.get("started", 0)), datetime.timezone.utc)  # noqa: UP017
    left = int(holder.get("expires", 0)) - now
    return (f"{holder.get('owner', 'an unknown run')} ({holder.get('playbook', '?')}) since "
            f"{started:%Y-%m-%d %H:%M:%S} UTC, lease ending in {max(left, 0) // 60} min")


def acquire(client, table, lock_id, run_id, owner, playbook, lease, wait_timeout, delay=10, sleep=None, clock=None,
            wall=None, tags=None):
    """Take the lock for ``run_id``; the item written. Waits up to ``wait_timeout`` s for another holder.

    The conditional write comes first: a run that finds the lock free makes one call. The table is created
    when the write finds none (``tags``).
    """
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    wall = wall or (lambda: int(time.time()))
    deadline = clock() + wait_timeout
    while True:
        now = wall()
        item = {"lock_id": lock_id, "run_id": run_id, "owner": owner, "playbook": playbook, "started": now,
                "expires": now + lease}
        written = dynamodb.put_lock(client, table, item, now)
        if written is None:  # no table yet: the project's first run in this account
            if not ensure_table(client, table, tags or {}):
                # DescribeTable sees it, PutItem does not yet (a table created a moment ago elsewhere).
                if clock() >= deadline + TABLE_VISIBLE_SECONDS:
                    raise LockHeld(f"the run lock table {table} exists but DynamoDB does not take writes to it",
                                   {})
                sleep(min(delay, 2))
            continue
        if written:
            return item
        holder = dynamodb.get_lock(client, table, lock_id) or {}
        if clock() >= deadline:
            raise LockHeld(f"another run holds the lock of {lock_id}: {describe_holder(holder, now)}. Wait for it to "
                           "end, or, if it died, break the lock: ansible-playbook playbooks/break-lock.yml "
                           f"-i <inventory> -e break_lock_confirm={lock_id}", holder)
        sleep(delay)


def release(client, table, lock_id, run_id):
    """Release the lock if ``run_id`` holds it; True when it did."""
    return dynamodb.delete_lock(client, table, lock_id, run_id)


def ensure_table(client, table, tags):
    """Create the table on first use (one per account and project, shared by its environments)."""
    if dynamodb.describe_table(client, table) is None:
        dynamodb.create_table(client, table, tags)
        dynamodb.wait_table_active(client, table)
        return True
    return False
