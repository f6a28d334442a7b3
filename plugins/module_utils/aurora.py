# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers of the Aurora modules: versions, layout, comparisons, readiness.

No AWS calls here: unit-tested directly.
"""

from __future__ import annotations

import re

INSTANCE_CLASS = "db.serverless"

# Statuses in which a cluster / instance accepts a modification.
MODIFIABLE = ("available", "backing-up")
# Statuses in which the cluster (or an instance) serves connections: waiting ends.
CLUSTER_READY = ("available", "backing-up")
INSTANCE_READY = ("available", "backing-up", "configuring-log-exports", "configuring-enhanced-monitoring",
                  "storage-optimization")
# Statuses that will not turn into "available" by waiting: fail at once.
CLUSTER_STUCK = ("stopped", "stopping", "deleting", "failed", "inaccessible-encryption-credentials",
                 "inaccessible-encryption-credentials-recoverable", "incompatible-network",
                 "incompatible-parameters", "incompatible-restore", "migration-failed", "cloning-failed")
INSTANCE_STUCK = ("stopped", "stopping", "deleting", "failed", "inaccessible-encryption-credentials",
                  "inaccessible-encryption-credentials-recoverable", "incompatible-network",
                  "incompatible-option-group", "incompatible-parameters", "incompatible-restore",
                  "insufficient-capacity", "restore-error", "storage-full")

_VERSION_RE = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?$")


def parse_version(text):
    """'16.6' -> (16, 6); None when it is not of that form."""
    match = _VERSION_RE.match(str(text or "").strip())
    if not match:
        return None
    return tuple(int(part) for part in match.groups() if part is not None)


def major_version(text):
    parsed = parse_version(text)
    return str(parsed[0]) if parsed else str(text).split(".", maxsplit=1)[0]


def parameter_group_family(engine, version):
    """aurora-postgresql + 16.6 -> aurora-postgresql16 (the family of a cluster parameter group)."""
    return f"{engine}{major_version(version)}"


def version_change(current, desired):
    """How the cluster's engine version relates to the inventory's.

    One of ``same``, ``minor-upgrade``, ``major-upgrade``, ``newer-minor`` (the
    cluster is ahead within the same major version: AWS upgraded it),
    ``downgrade`` (an older major version: impossible in place).
    """
    cur, want = parse_version(current), parse_version(desired)
    if cur is None or want is None:
        return "same" if str(current) == str(desired) else "minor-upgrade"
    if cur == want:
        return "same"
    if cur[0] != want[0]:
        return "major-upgrade" if want[0] > cur[0] else "downgrade"
    return "minor-upgrade" if want > cur else "newer-minor"


def instance_layout(identifier, azs, reader_count):
    """The cluster's instances: the writer in the first zone, then the readers in the next zones.

    Instance n (1-based) is ``<identifier>-<n>``; the writer has promotion tier
    0 and the readers tier 1, so that a reader scales with the writer (Serverless
    v2 readers in tiers 0-1 follow the writer's capacity) and can take over at once.
    """
    azs = list(azs or [])
    if not azs:
        return []
    layout = [{"identifier": f"{identifier}-1", "availability_zone": azs[0], "promotion_tier": 0}]
    for n in range(1, int(reader_count) + 1):
        layout.append({"identifier": f"{identifier}-{n + 1}", "availability_zone": azs[n % len(azs)],
                       "promotion_tier": 1})
    return layout


def scaling_configuration(min_capacity, max_capacity, seconds_until_auto_pause=None):
    """The ServerlessV2ScalingConfiguration for the inventory's range."""
    config = {"MinCapacity": float(min_capacity), "MaxCapacity": float(max_capacity)}
    if float(min_capacity) == 0 and seconds_until_auto_pause:
        config["SecondsUntilAutoPause"] = int(seconds_until_auto_pause)
    return config


def scaling_differs(current, desired):
    """True when the cluster's scaling configuration is not the desired one.

    A key the cluster does not report (older API, the emulator) is not compared.
    """
    if not current:
        return True
    for key in ("MinCapacity", "MaxCapacity"):
        if current.get(key) is None or float(current[key]) != float(desired[key]):
            return True
    if "SecondsUntilAutoPause" in desired and "SecondsUntilAutoPause" in current:
        return int(current["SecondsUntilAutoPause"]) != int(desired["SecondsUntilAutoPause"])
    return False


def parameter_value(value):
    """Inventory value -> the string RDS stores (booleans as 1/0)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def parameter_changes(current, desired, purge=True):
    """Compare a parameter group's user-set parameters with the inventory's.

    ``current``: DescribeDBClusterParameters rows; ``desired``: {name: value}.
    Returns ({name: value} to set, [names] to reset to the engine default).
    """
    have = {row["ParameterName"]: row.get("ParameterValue") for row in current or []
            if row.get("Source", "user") == "user" and row.get("ParameterValue") is not None}
    want = {name: parameter_value(value) for name, value in (desired or {}).items()}
    to_set = {name: value for name, value in want.items() if have.get(name) != value}
    to_reset = sorted(name for name in have if name not in want) if purge else []
    return to_set, to_reset


def apply_method(row):
    """'immediate' for a dynamic parameter, 'pending-reboot' otherwise (always accepted)."""
    return "immediate" if (row or {}).get("ApplyType") == "dynamic" else "pending-reboot"


def window(text):
    """AWS reports maintenance windows in lower case."""
    return str(text or "").lower()


def kms_key_matches(current, desired):
    """True when ``desired`` (key ARN or key id) names the key ARN ``current``; None when it cannot tell."""
    if not desired:
        return True
    if current == desired:
        return True
    if desired.startswith("arn:") and ":key/" in desired:
        return False
    if desired.startswith(("alias/", "arn:")):
        return None
    return str(current or "").endswith(f"key/{desired}") or current == desired


def readiness(cluster, members, expected):
    """Where a cluster and its instances stand, for a waiter.

    Returns (ready, stuck_message or None, summary) where ``summary`` reads like
    "cluster creating; x-1 available, x-2 creating".
    """
    status = cluster.get("Status", "unknown")
    by_id = {m["DBInstanceIdentifier"]: m.get("DBInstanceStatus", "unknown") for m in members}
    names = list(expected) if expected else sorted(by_id)
    parts = [f"{name} {by_id.get(name, 'missing')}" for name in names]
    summary = f"cluster {status}; " + (", ".join(parts) if parts else "no instances")
    if status in CLUSTER_STUCK:
        return False, f"the cluster is {status}, which waiting will not change", summary
    stuck = [f"{name} is {by_id[name]}" for name in names if by_id.get(name) in INSTANCE_STUCK]
    if stuck:
        return False, "instance " + ", ".join(stuck) + ", which waiting will not change", summary
    missing = [name for name in names if name not in by_id]
    if missing:
        return False, (f"instance {', '.join(missing)} does not exist: run the database stage "
                       "(site.yml --tags database) first"), summary
    if not names:
        return False, "the cluster has no instances: run the database stage (site.yml --tags database) first", summary
    ready = status in CLUSTER_READY and all(by_id[name] in INSTANCE_READY for name in names)
    return ready, None, summary
