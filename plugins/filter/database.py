# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the database layer: inventory validation and instance layout.

``database_errors`` returns every problem with the database inputs as
messages that name the inventory variable and say what to change; the
pre-flight fails on them before any AWS call. ``aurora_instance_layout``
places the writer and the readers in the availability zones.
"""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

from ansible_collections.solo_saving.infra.plugins.module_utils.aurora import instance_layout, parse_version

# Aurora PostgreSQL versions that run Serverless v2 (db.serverless), by major
# version, from AWS's release notes. Kept by hand: a version AWS released after
# this list goes into database_extra_engine_versions until the list catches up.
KNOWN_VERSIONS = {
    "13": ["13.6", "13.7", "13.8", "13.9", "13.10", "13.11", "13.12", "13.13", "13.14", "13.15", "13.16",
           "13.18", "13.20", "13.21", "13.22"],
    "14": ["14.3", "14.4", "14.5", "14.6", "14.7", "14.8", "14.9", "14.10", "14.11", "14.12", "14.13", "14.15",
           "14.17", "14.18", "14.19"],
    "15": ["15.2", "15.3", "15.4", "15.5", "15.6", "15.7", "15.8", "15.10", "15.12", "15.13", "15.14"],
    "16": ["16.1", "16.2", "16.3", "16.4", "16.6", "16.8", "16.9", "16.10"],
    "17": ["17.4", "17.5", "17.6"],
}
# The first version of each major version whose instances can scale to 0 ACU (auto-pause).
AUTO_PAUSE_SINCE = {13: (13, 15), 14: (14, 12), 15: (15, 7), 16: (16, 3), 17: (17, 4)}
MAX_ACU = 256
MAX_READERS = 15
# Instance identifiers are <cluster>-<n> (n up to 16): the cluster identifier keeps room for the suffix.
MAX_IDENTIFIER = 60
IDENTIFIER_RE = re.compile(r"^[a-z](?:[a-z0-9]|-(?!-))*[a-z0-9]$")
DB_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
RESERVED_DB_NAMES = ("postgres", "template0", "template1", "rdsadmin")
BACKUP_WINDOW_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
MAINTENANCE_WINDOW_RE = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KMS_RE = re.compile(r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/.+|alias/.+|(mrk-)?[0-9a-f-]{32,36})$")
# 7 days, a number of months (31 days each, up to 23) or 731 days (two years).
PI_RETENTION = (7, *range(31, 714, 31), 731)
LOG_TYPES = ("postgresql", "iam-db-auth-error", "instance")


def _number(value):
    """A number of ACUs from the inventory (YAML int / float or a numeric string), else None."""
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _integer(value):
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number == int(number) else None


def known_versions(extra=None):
    versions = [v for majors in KNOWN_VERSIONS.values() for v in majors]
    return versions + [str(v) for v in extra or []]


def supports_auto_pause(version):
    parsed = parse_version(version)
    if parsed is None or parsed[0] not in AUTO_PAUSE_SINCE:
        return parsed is not None and parsed[0] > max(AUTO_PAUSE_SINCE)
    return parsed[:2] >= AUTO_PAUSE_SINCE[parsed[0]]


def _capacity_errors(spec, errors):
    values = {}
    for name, key in (("database_min_capacity", "min_capacity"), ("database_max_capacity", "max_capacity")):
        raw = spec.get(key)
        value = _number(raw)
        if value is None:
            errors.append(f"{name} = {raw!r} is not a number of ACUs: give one from 0 to {MAX_ACU} in steps of 0.5")
            continue
        if not 0 <= value <= MAX_ACU:
            errors.append(f"{name} = {value:g}: Aurora Serverless v2 capacity goes from 0 to {MAX_ACU} ACU")
            continue
        if value * 2 != int(value * 2):
            lower, upper = int(value * 2) / 2, int(value * 2) / 2 + 0.5
            errors.append(f"{name} = {value:g}: capacity moves in steps of 0.5 ACU; use {lower:g} or {upper:g}")
            continue
        values[key] = value
    low, high = values.get("min_capacity"), values.get("max_capacity")
    if high is not None and high < 1:
        errors.append(f"database_max_capacity = {high:g}: the maximum must be at least 1 ACU")
    if low is not None and high is not None and low > high:
        errors.append(f"database_min_capacity ({low:g}) is above database_max_capacity ({high:g}): the minimum must "
                      "not exceed the maximum; lower the first or raise the second")
    version = str(spec.get("engine_version") or "")
    if low == 0 and not supports_auto_pause(version):
        since = ", ".join(f"{a}.{b}" for a, b in AUTO_PAUSE_SINCE.values())
        errors.append(f"database_min_capacity = 0 (pause when idle) needs an engine version that supports it "
                      f"({since} or later in the same major version); database_engine_version is '{version}': "
                      "raise the version or set the minimum to 0.5")
    pause = spec.get("seconds_until_auto_pause")
    if low == 0 and pause not in (None, ""):
        seconds = _integer(pause)
        if seconds is None or not 300 <= seconds <= 86400:
            errors.append(f"database_seconds_until_auto_pause = {pause!r}: give seconds from 300 (5 minutes) to "
                          "86400 (one day)")


def _version_errors(spec, errors):
    version = str(spec.get("engine_version") or "")
    extra = spec.get("extra_engine_versions") or []
    if not isinstance(extra, list):
        errors.append("database_extra_engine_versions must be a list of versions such as ['16.11']")
        extra = []
    if spec.get("versions_checked_by_aws") and re.fullmatch(r"\d+\.\d+", version):
        return  # the pre-flight asks AWS (DescribeDBEngineVersions): the list here only stands in for it offline
    if version in known_versions(extra):
        return
    major = version.split(".", maxsplit=1)[0]
    same_major = KNOWN_VERSIONS.get(major)
    hint = (f"known {major}.x versions: {', '.join(same_major)}" if same_major else
            f"known major versions: {', '.join(KNOWN_VERSIONS)}")
    errors.append(f"database_engine_version = '{version}' is not a known Aurora PostgreSQL version with Serverless v2 "
                  f"({hint}); if AWS released it after this collection, add it to database_extra_engine_versions")


def _zone_errors(spec, errors):
    azs = spec.get("azs") or []
    production = bool(spec.get("is_production"))
    if not isinstance(azs, list) or not azs:
        errors.append("database_azs must list the availability zones of the instances, the writer's first")
        return
    if len(set(azs)) != len(azs):
        errors.append(f"database_azs = {azs!r} lists a zone twice: give distinct zones")
    if production and len(set(azs)) < 2:
        errors.append(f"database_azs = {azs!r}: production (stack_is_production) needs at least 2 availability zones "
                      "so that the database survives the loss of one")
    network_azs = spec.get("network_azs")
    if network_azs:
        for i, az in enumerate(azs):
            if az not in network_azs:
                errors.append(f"database_azs[{i}] = '{az}' has no DB subnet: the network's zones are "
                              f"network_azs = {network_azs!r}")
    readers = _integer(spec.get("reader_count"))
    if readers is None or not 0 <= readers <= MAX_READERS:
        errors.append(f"database_reader_count = {spec.get('reader_count')!r}: give 0 to {MAX_READERS} readers")
    elif production and readers < 1:
        errors.append("database_reader_count = 0: production (stack_is_production) needs at least one reader in a "
                      "second zone to fail over to")
    elif readers and len(set(azs)) < 2 and production:
        errors.append("database_reader_count: readers need a second zone in database_azs")


def _minutes(hour, minute):
    return int(hour) * 60 + int(minute)


def _window_errors(spec, errors):
    backup = str(spec.get("backup_window") or "")
    maintenance = str(spec.get("maintenance_window") or "").lower()
    backup_range = None
    match = BACKUP_WINDOW_RE.match(backup)
    if not match:
        errors.append(f"database_backup_window = '{backup}': write it as hh24:mi-hh24:mi in UTC, e.g. '18:00-18:30'")
    else:
        start, end = _minutes(*match.group(1, 2)), _minutes(*match.group(3, 4))
        length = (end - start) % 1440
        if length < 30:
            errors.append(f"database_backup_window = '{backup}': AWS needs a window of at least 30 minutes")
        backup_range = (start, length)
    match = MAINTENANCE_WINDOW_RE.match(maintenance)
    if not match:
        errors.append(f"database_maintenance_window = '{spec.get('maintenance_window')}': write it as "
                      "ddd:hh24:mi-ddd:hh24:mi in UTC, e.g. 'sun:19:00-sun:19:30'")
        return
    start = DAYS.index(match.group(1)) * 1440 + _minutes(*match.group(2, 3))
    end = DAYS.index(match.group(4)) * 1440 + _minutes(*match.group(5, 6))
    length = (end - start) % (7 * 1440)
    if length < 30:
        errors.append(f"database_maintenance_window = '{maintenance}': AWS needs a window of at least 30 minutes")
    if backup_range:
        b_start, b_len = backup_range
        for day in range(7):
            day_start = day * 1440 + b_start
            if _overlap(day_start, b_len, start, length):
                errors.append(f"database_backup_window ('{backup}') overlaps database_maintenance_window "
                              f"('{maintenance}'): AWS refuses overlapping windows; move one of them")
                break


def _overlap(a_start, a_len, b_start, b_len, week=7 * 1440):
    """Two ranges on the weekly circle overlap."""
    return any(a_start + shift < b_start + b_len and b_start < a_start + shift + a_len
               for shift in (-week, 0, week))


def _other_errors(spec, errors):
    identifier = str(spec.get("cluster_identifier") or "")
    if not IDENTIFIER_RE.match(identifier) or len(identifier) > MAX_IDENTIFIER:
        errors.append(f"database_cluster_identifier = '{identifier}': use 2 to {MAX_IDENTIFIER} lower-case letters, "
                      "digits and single hyphens, starting with a letter and not ending with a hyphen")
    name = str(spec.get("db_name") or "")
    if not DB_NAME_RE.match(name):
        errors.append(f"database_db_name = '{name}': use up to 63 letters, digits and underscores, starting with a "
                      "letter")
    elif name.lower() in RESERVED_DB_NAMES:
        errors.append(f"database_db_name = '{name}' is a name PostgreSQL or RDS reserves: choose another")
    retention = _integer(spec.get("backup_retention_days"))
    if retention is None or not 7 <= retention <= 35:
        errors.append(f"database_backup_retention_days = {spec.get('backup_retention_days')!r}: keep backups 7 to 35 "
                      "days (the stack's minimum is a week; AWS's maximum is 35)")
    if spec.get("is_production") and spec.get("deletion_protection") is not True:
        errors.append("database_deletion_protection must be true in production (stack_is_production): a deleted "
                      "cluster takes its data with it")
    parameters = spec.get("cluster_parameters")
    if not isinstance(parameters, dict):
        errors.append("database_cluster_parameters must be a mapping of parameter name -> value")
    else:
        ssl = parameters.get("rds.force_ssl")
        if ssl is not None and str(ssl).lower() not in ("1", "true"):
            errors.append(f"database_cluster_parameters['rds.force_ssl'] = {ssl!r}: the stack requires TLS in transit; "
                          "remove the entry (the role sets 1)")
        for key, value in parameters.items():
            if isinstance(value, (dict, list)) or value is None:
                errors.append(f"database_cluster_parameters['{key}'] must be a single value (string or number)")
    exports = spec.get("log_exports")
    if not isinstance(exports, list) or "postgresql" not in exports:
        errors.append(f"database_log_exports = {exports!r} must include 'postgresql': the stack keeps the database "
                      "logs in CloudWatch Logs")
    else:
        for kind in exports:
            if kind not in LOG_TYPES:
                errors.append(f"database_log_exports: '{kind}' is not a log type of Aurora PostgreSQL "
                              f"({', '.join(LOG_TYPES)})")
    kms = str(spec.get("kms_key_id") or "")
    if kms and not KMS_RE.match(kms):
        errors.append(f"database_kms_key_id = '{kms}' is not a KMS key id, key ARN or alias (alias/...); leave it "
                      "empty for the AWS-managed key")
    if spec.get("performance_insights"):
        days = _integer(spec.get("performance_insights_retention"))
        if days not in PI_RETENTION:
            errors.append(f"database_performance_insights_retention = {spec.get('performance_insights_retention')!r}: "
                          "Performance Insights keeps 7 days or a multiple of 31 up to 731")
    for variable, value in sorted((spec.get("parameter_names") or {}).items()):
        if not str(value or "").startswith("/"):
            errors.append(f"{variable} = '{value}': give the full SSM parameter name, e.g. "
                          "/solo-saving/prod/db/password")
    timeout, delay = _integer(spec.get("wait_timeout")), _integer(spec.get("wait_delay"))
    if timeout is None or timeout < 0:
        errors.append(f"database_wait_timeout = {spec.get('wait_timeout')!r}: give the seconds to wait (0 or more)")
    if delay is None or delay < 1:
        errors.append(f"database_wait_delay = {spec.get('wait_delay')!r}: give the seconds between checks (1 or more)")


def database_errors(spec):
    """Every problem with the database inputs, as messages; [] when all is well.

    ``spec`` keys: cluster_identifier, engine_version, extra_engine_versions,
    min_capacity, max_capacity, seconds_until_auto_pause, azs, network_azs,
    reader_count, is_production, deletion_protection, backup_retention_days,
    backup_window, maintenance_window, log_exports, db_name, cluster_parameters,
    kms_key_id, performance_insights, performance_insights_retention,
    parameter_names ({variable: SSM name}), wait_timeout, wait_delay,
    versions_checked_by_aws (the pre-flight asks AWS which versions exist: only the
    version's shape is checked here).
    """
    errors = []
    _version_errors(spec, errors)
    _capacity_errors(spec, errors)
    _zone_errors(spec, errors)
    _window_errors(spec, errors)
    _other_errors(spec, errors)
    return errors


def _database_errors(spec):
    if not isinstance(spec, dict):
        raise AnsibleFilterError(f"database_errors expects a mapping, got {type(spec).__name__}")
    return database_errors(spec)


def _aurora_instance_layout(identifier, azs, reader_count=1):
    if not isinstance(identifier, str) or not isinstance(azs, list):
        raise AnsibleFilterError("aurora_instance_layout expects a cluster identifier and a list of zones")
    count = _integer(reader_count)
    if count is None or count < 0:
        raise AnsibleFilterError(f"aurora_instance_layout: reader_count must be a whole number, got {reader_count!r}")
    return instance_layout(identifier, azs, count)


class FilterModule:
    def filters(self):
        return {"database_errors": _database_errors, "aurora_instance_layout": _aurora_instance_layout}
