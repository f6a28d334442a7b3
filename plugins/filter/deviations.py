# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The spec's rules that depend on the inventory, and the deviations an environment may acknowledge.

``verify.yml`` (the stack_audit module) checks a deployed stack against the spec's security design.
Some of its rules hold only if the inventory asks for what the spec says: a reader in a second zone,
the managed WAF rule groups, a geo and a rate-based rule, alarms on every layer, secrets by ARN.
``deviation_errors`` checks those inputs in the pre-flight, before any write, so that a stack verify
would reject is never deployed. An environment that may differ from the spec (a cheaper dev without a
reader) says so by name in ``stack_deviations``; the pre-flight then accepts the input, verify reports
the finding as an acknowledged deviation instead of failing (``audit_verdict``), and the summary lists
it. Production takes no deviation.
"""

from __future__ import annotations

import difflib
import re

from ansible.errors import AnsibleFilterError

# What verify.yml requires whatever the inventory adds (spec sections 3.1 and 3.3); a test keeps
# playbooks/verify.yml's lists equal to these.
REQUIRED_WAF_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesSQLiRuleSet",
                       "AWSManagedRulesKnownBadInputsRuleSet")
REQUIRED_INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "logs", "ssm")
# The names verify (module_utils/audit.py, SECRET_NAME) takes for secrets in a task's environment.
SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.IGNORECASE)
# The alarm thresholds of each namespace verify wants an alarm on (services_alarm_<name>_threshold).
ALARM_NAMESPACES = {
    "AWS/ECS": ("ecs_cpu", "ecs_memory"),
    "AWS/ApplicationELB": ("alb_5xx", "target_5xx", "unhealthy_targets"),
    "AWS/RDS": ("aurora_cpu", "aurora_acu", "aurora_connections"),
}

# Each deviation: the verify rule it relaxes, the text of the findings it accepts, and what it means.
DEVIATIONS = {
    "single_az_database": {
        "rule": "aurora-two-azs", "finding": "DB instances span",
        "what": "the Aurora instances in one availability zone (database_azs lists one zone)"},
    "no_db_reader": {
        "rule": "aurora-two-azs", "finding": "DB instances span",
        "what": "no Aurora reader to fail over to (database_reader_count: 0)"},
    "no_managed_waf_rules": {
        "rule": "waf-associated-with-required-rules", "finding": "lacks the managed rule group",
        "what": "the web ACL without some of the AWS managed rule groups of the spec (edge_waf_rules)"},
    "no_waf_geo_rule": {
        "rule": "waf-associated-with-required-rules", "finding": "has no geo rule",
        "what": "the web ACL without a geo rule (edge_waf_rules)"},
    "no_waf_rate_limit": {
        "rule": "waf-associated-with-required-rules", "finding": "has no rate-based rule",
        "what": "the web ACL without a rate-based rule (edge_waf_rules)"},
    "missing_alarms": {
        "rule": "alarms-notify-sns", "finding": "no alarm on",
        "what": "a layer (ECS, ALB or RDS) without an alarm (services_alarm_*_threshold: null)"},
}


def _acknowledge(name):
    return (f"or acknowledge the deviation with stack_deviations: [{name}] (in stack.yml of the environment; "
            "not in production)")


def _database_errors(spec, used, errors):
    azs = spec.get("database_azs")
    production = bool(spec.get("is_production"))
    if isinstance(azs, list) and azs and len(set(azs)) < 2:
        used.add("single_az_database")
        if not production and "single_az_database" not in spec["deviations"]:
            errors.append(f"database_azs = {azs!r}: the spec puts the Aurora writer and its reader in two "
                          "availability zones (verify: aurora-two-azs); list two zones of network_azs, "
                          + _acknowledge("single_az_database"))
    readers = spec.get("database_reader_count")
    if readers == 0 or readers == "0":
        used.add("no_db_reader")
        if not production and "no_db_reader" not in spec["deviations"]:
            errors.append("database_reader_count = 0: the spec has a reader in a second zone to fail over to "
                          "(verify: aurora-two-azs); set it to 1, " + _acknowledge("no_db_reader"))
    # In production the database role's own rules refuse both, in their words.


def _waf_errors(spec, used, errors):
    rules = spec.get("waf_rules")
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        return  # the edge role's rules say what is wrong with the list itself
    deviations = spec["deviations"]
    managed = {r.get("managed") for r in rules if r.get("managed")}
    missing = [g for g in REQUIRED_WAF_GROUPS if g not in managed]
    if missing:
        used.add("no_managed_waf_rules")
        if "no_managed_waf_rules" not in deviations:
            errors.append(f"edge_waf_rules lacks {', '.join(missing)}: the spec's web ACL has the AWS managed rule "
                          f"groups {', '.join(REQUIRED_WAF_GROUPS)} (verify: waf-associated-with-required-rules); "
                          "add an entry {managed: <group>} for each, " + _acknowledge("no_managed_waf_rules"))
    if not any("geo_allow" in r or "geo_block" in r for r in rules):
        used.add("no_waf_geo_rule")
        if "no_waf_geo_rule" not in deviations:
            errors.append("edge_waf_rules has no geo rule: the spec blocks traffic by country (verify: "
                          "waf-associated-with-required-rules); add an entry like {geo_allow: [JP]}, "
                          + _acknowledge("no_waf_geo_rule"))
    if not any("rate_limit" in r for r in rules):
        used.add("no_waf_rate_limit")
        if "no_waf_rate_limit" not in deviations:
            errors.append("edge_waf_rules has no rate-based rule: the spec limits requests per IP address (verify: "
                          "waf-associated-with-required-rules); add an entry like {rate_limit: 2000}, "
                          + _acknowledge("no_waf_rate_limit"))


def _alarm_errors(spec, used, errors):
    thresholds = spec.get("alarm_thresholds")
    if not isinstance(thresholds, dict):
        return
    for namespace, names in ALARM_NAMESPACES.items():
        if all(thresholds.get(name) is None for name in names if name in thresholds) and \
                any(name in thresholds for name in names):
            used.add("missing_alarms")
            if "missing_alarms" not in spec["deviations"]:
                variables = ", ".join(f"services_alarm_{name}_threshold" for name in names)
                errors.append(f"no alarm on {namespace}: {variables} are all null; the spec wires alarms on ECS, "
                              "the ALB and RDS to SNS (verify: alarms-notify-sns); give one of them a threshold, "
                              + _acknowledge("missing_alarms"))


def _endpoint_errors(spec, errors):
    for index, entry in enumerate(spec.get("interface_endpoints") or []):
        if isinstance(entry, dict) and entry.get("service") in REQUIRED_INTERFACE_ENDPOINTS \
                and entry.get("private_dns", True) is not True:
            errors.append(f"endpoints_interface[{index}] ({entry['service']}): private_dns must stay on - without it "
                          "the tasks resolve the public endpoint, which they cannot reach without a NAT gateway "
                          "(verify: vpc-endpoints-present-and-private); remove private_dns")


def _task_errors(spec, errors):
    for variable, environment in sorted((spec.get("environments") or {}).items()):
        if not isinstance(environment, dict):
            continue  # the services role's rules say it must be a mapping
        for name in sorted(environment, key=str):
            if SECRET_NAME.search(str(name)) and not re.search(r"(?i)(password|secret|token|api[_-]?key)", str(name)):
                errors.append(f"{variable}.{name} looks like a secret (verify: task-definitions-reference-secrets-"
                              "by-arn): put it in Parameter Store (secrets_api_keys) and reference it in the "
                              "service's secrets instead")
    secrets = spec.get("backend_secrets")
    if isinstance(secrets, dict) and not secrets:
        errors.append("services_backend_secrets is empty: the backend reads its database credentials from Parameter "
                      "Store (verify: task-definitions-reference-secrets-by-arn); keep at least DB_PASSWORD: "
                      "db_password")


def deviation_errors(spec):
    """Every input verify would reject once deployed, unless acknowledged; [] when all is well.

    ``spec`` keys: deviations (stack_deviations), is_production, database_azs, database_reader_count,
    waf_rules (edge_waf_rules), alarm_thresholds ({name: number or None}), environments ({variable:
    mapping}), backend_secrets (services_backend_secrets), interface_endpoints (endpoints_interface).
    """
    errors = []
    deviations = spec.get("deviations")
    if deviations is None:
        deviations = []
    if not isinstance(deviations, list) or not all(isinstance(d, str) for d in deviations):
        errors.append(f"stack_deviations = {deviations!r} must be a list of deviation names, like [no_db_reader]; "
                      f"the deviations are {', '.join(DEVIATIONS)}")
        deviations = []
    for index, name in enumerate(deviations):
        if name not in DEVIATIONS:
            close = difflib.get_close_matches(name, DEVIATIONS, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            errors.append(f"stack_deviations[{index}] = '{name}' is not a deviation: {hint}the deviations are "
                          f"{', '.join(DEVIATIONS)}")
    if deviations and spec.get("is_production"):
        errors.append(f"stack_deviations = {deviations!r}: production (stack_is_production) follows the spec "
                      "without deviations; remove them and give the inputs the spec asks for")
    spec = dict(spec, deviations=deviations)
    used = set()
    _database_errors(spec, used, errors)
    _waf_errors(spec, used, errors)
    _alarm_errors(spec, used, errors)
    _endpoint_errors(spec, errors)
    _task_errors(spec, errors)
    for name in deviations:
        if name in DEVIATIONS and name not in used:
            errors.append(f"stack_deviations lists '{name}' ({DEVIATIONS[name]['what']}), but the inputs follow the "
                          "spec there: remove it, so that verify does not excuse that rule")
    return errors


def audit_verdict(results, deviations=None):
    """stack_audit's results, with the findings the acknowledged deviations accept set apart.

    Returns {holding: [rule], broken: [rule], violations: [line], acknowledged: [line]}: a rule holds when
    every finding of it is acknowledged; each line is ``rule: resource: message``.
    """
    deviations = [d for d in deviations or [] if d in DEVIATIONS]
    verdict = {"holding": [], "broken": [], "violations": [], "acknowledged": []}
    for result in results:
        broken = False
        for finding in result.get("findings") or []:
            line = f"{result['rule']}: {finding['resource']}: {finding['message']}"
            accepted = [d for d in deviations if DEVIATIONS[d]["rule"] == result["rule"]
                        and DEVIATIONS[d]["finding"] in finding["message"]]
            if accepted:
                verdict["acknowledged"].append(f"{line} (acknowledged deviation: {', '.join(accepted)})")
            else:
                verdict["violations"].append(line)
                broken = True
        verdict["broken" if broken else "holding"].append(result["rule"])
    return verdict


def _deviation_errors(spec):
    if not isinstance(spec, dict):
        raise AnsibleFilterError(f"deviation_errors expects a mapping, got {type(spec).__name__}")
    return deviation_errors(spec)


def _audit_verdict(results, deviations=None):
    if not isinstance(results, list) or not all(isinstance(r, dict) and "rule" in r for r in results):
        raise AnsibleFilterError("audit_verdict expects the results list of solo_saving.infra.stack_audit")
    if deviations is not None and not isinstance(deviations, list):
        raise AnsibleFilterError("audit_verdict expects the list stack_deviations as its argument")
    return audit_verdict(results, deviations)


class FilterModule:
    def filters(self):
        return {"deviation_errors": _deviation_errors, "audit_verdict": _audit_verdict}
