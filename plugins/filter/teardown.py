# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of a teardown request (teardown_* variables), before any AWS call."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

BOOLEANS = ("lift_deletion_protection", "final_snapshot", "delete_secrets", "delete_images", "delete_access_logs",
            "delete_hosted_zone")
# -e key=value gives strings: these are the ones Ansible's bool filter reads as such.
TRUE_TEXT = ("true", "yes", "on", "1")
FALSE_TEXT = ("false", "no", "off", "0")


def as_bool(value):
    """True / False for a boolean or its usual text forms; None for anything else."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, (str, int)) else None
    if text in TRUE_TEXT:
        return True
    if text in FALSE_TEXT:
        return False
    return None


def as_int(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def teardown_errors(spec):
    """Messages for every reason to refuse the teardown; [] when it may go ahead.

    ``spec`` keys: confirm, environment, is_production, name_prefix, wait_timeout, wait_delay, and the
    booleans lift_deletion_protection, final_snapshot, delete_secrets, delete_images, delete_access_logs,
    delete_hosted_zone.
    """
    errors = []
    environment = str(spec.get("environment") or "")
    confirm = spec.get("confirm")
    confirm = "" if confirm is None else str(confirm)
    if not environment:
        errors.append("stack_environment is empty: the teardown needs the inventory of one environment "
                      "(-i inventories/<env>)")
    elif confirm != environment:
        got = f"got '{confirm}'" if confirm else "it is not set"
        errors.append(f"teardown_confirm must equal the environment name '{environment}' ({got}): run with "
                      f"-e teardown_confirm={environment} to delete every resource of {environment}")
    for key in BOOLEANS:
        if as_bool(spec.get(key)) is None:
            errors.append(f"teardown_{key} = {spec.get(key)!r}: use true or false")
    for key, low in (("wait_timeout", 1), ("wait_delay", 0)):
        value = as_int(spec.get(key))
        if value is None or value < low:
            errors.append(f"teardown_{key} = {spec.get(key)!r}: use a whole number of seconds, at least {low}")
    production = as_bool(spec.get("is_production"))
    if production is None:
        errors.append(f"stack_is_production = {spec.get('is_production')!r}: use true or false")
    elif production and as_bool(spec.get("lift_deletion_protection")) is not True:
        errors.append(f"{environment or 'this environment'} is a production environment (stack_is_production): "
                      "its Aurora cluster and load balancer are protected from deletion; add "
                      "-e teardown_lift_deletion_protection=true to lift the protection explicitly (the cluster is "
                      f"deleted with a final snapshot {spec.get('name_prefix') or '<prefix>'}-final-YYYYMMDD-HHMM)")
    return errors


def _teardown_errors(spec):
    if not isinstance(spec, dict):
        raise AnsibleFilterError(f"teardown_errors expects a mapping, got {type(spec).__name__}")
    return teardown_errors(spec)


class FilterModule:
    def filters(self):
        return {"teardown_errors": _teardown_errors}
