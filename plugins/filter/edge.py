# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of the edge inputs (domain, certificate names, ALB settings, WAF rule spec).

``edge_errors`` takes plain data and returns messages that name the inventory
variable and say what to change; [] when all is well. The pre-flight asserts it
is empty, before any AWS call.
"""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

from ansible_collections.solo_saving.infra.plugins.filter.waf import waf_rule_errors
from ansible_collections.solo_saving.infra.plugins.module_utils.edge import RETENTION_DAYS, partition_of

LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
TLD_RE = re.compile(r"^(?=.*[a-z])[a-z0-9-]{2,63}$")
MATCHER_RE = re.compile(r"^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$")
BUCKET_RE = re.compile(r"^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
TLS13_POLICY_PREFIX = "ELBSecurityPolicy-TLS13-"

# The Elastic Load Balancing account of each region opened before August 2022, which writes the access logs
# there; newer regions use the log delivery service principal instead (Elastic Load Balancing User Guide,
# "Enable access logs for your Application Load Balancer", step 2 "Attach a policy to your S3 bucket").
ELB_LOG_ACCOUNTS = {
    "us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
    "us-west-2": "797873946194", "af-south-1": "098369216593", "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580", "ap-south-1": "718504428378", "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887", "ap-southeast-1": "114774131450", "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864", "ca-central-1": "985666609251", "eu-central-1": "054676820928",
    "eu-west-1": "156460612806", "eu-west-2": "652711504416", "eu-south-1": "635631232127",
    "eu-west-3": "009996457667", "eu-north-1": "897822967062", "me-south-1": "076674570225",
    "sa-east-1": "507241528517", "us-gov-west-1": "048591011584", "us-gov-east-1": "190560391635",
    "cn-north-1": "638102146993", "cn-northwest-1": "037604701340",
}
ELB_LOG_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"
# S3 lifecycle expirations AWS accepts, as whole days.
MAX_RETENTION_DAYS = 3650


def dns_name_problem(name, allow_wildcard=False):
    """Why ``name`` is not a valid DNS name, or None."""
    if not isinstance(name, str) or not name:
        return "it is empty"
    if name != name.lower():
        return "use lower case"
    name = name.rstrip(".")
    if len(name) > 253:
        return "it is longer than 253 characters"
    labels = name.split(".")
    if allow_wildcard and labels[0] == "*":
        labels = labels[1:]
    if len(labels) < 2:
        return "it needs at least two labels, like 'example.com'"
    for label in labels:
        if not LABEL_RE.match(label):
            return f"label {label!r} must be 1-63 letters, digits or hyphens, not starting or ending with a hyphen"
    if not TLD_RE.match(labels[-1]):
        return f"{labels[-1]!r} is not a top-level domain"
    return None


def _int_between(errors, name, value, low, high, what=""):
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(f"{name} = {value!r} must be a whole number{what}")
        return False
    if not low <= value <= high:
        errors.append(f"{name} = {value} must be between {low} and {high}{what}")
        return False
    return True


def edge_errors(spec):
    """Every problem with the edge inputs, as messages; [] when all is well.

    ``spec`` keys: domain, app_host, sans, ssl_policy, health_check {path, interval, timeout,
    healthy_threshold, unhealthy_threshold, matcher}, deregistration_delay, idle_timeout,
    access_logs {enabled, bucket, prefix, retention_days}, account_id, acm_wait_timeout, waf_rules,
    waf_log_retention_days, metric_prefix, inventory_dir.
    """
    errors = []
    where = spec.get("inventory_dir") or "inventories/<env>"
    domain = spec.get("domain")
    problem = dns_name_problem(domain)
    if problem:
        errors.append(f"edge_domain = {domain!r} is not a valid domain name ({problem}): set the domain whose public "
                      f"hosted zone serves the app, like 'example.com', in {where}/group_vars/<env>/edge.yml")
        domain = None
    host = spec.get("app_host")
    fqdn = None
    if not isinstance(host, str):
        errors.append(f"edge_app_host = {host!r} must be a host name inside edge_domain, like 'app' ('' for the "
                      "domain itself)")
    elif domain:
        fqdn = f"{host}.{domain}" if host else domain
        problem = dns_name_problem(fqdn)
        if problem:
            errors.append(f"edge_app_host = {host!r} makes the host name {fqdn!r}, which is not valid ({problem})")
            fqdn = None
    sans = spec.get("sans")
    if not isinstance(sans, list):
        errors.append(f"edge_certificate_sans = {sans!r} must be a list of names inside edge_domain")
    else:
        for index, name in enumerate(sans):
            problem = dns_name_problem(name, allow_wildcard=True)
            if problem:
                errors.append(f"edge_certificate_sans[{index}] = {name!r} is not a valid DNS name ({problem})")
            elif domain and not (name == domain or name.endswith("." + domain)):
                errors.append(f"edge_certificate_sans[{index}] = {name!r} is not inside edge_domain ({domain}): ACM "
                              "validates every name through that zone")
            elif name == fqdn:
                errors.append(f"edge_certificate_sans[{index}] = {name!r} is the app's host name, which the "
                              "certificate covers anyway: remove it")
    policy = spec.get("ssl_policy")
    if not (isinstance(policy, str) and policy.startswith(TLS13_POLICY_PREFIX)):
        errors.append(f"edge_ssl_policy = {policy!r}: the HTTPS listener needs a TLS 1.3 policy "
                      f"({TLS13_POLICY_PREFIX}..., like ELBSecurityPolicy-TLS13-1-2-2021-06)")
    errors.extend(_health_check_errors(spec.get("health_check")))
    _int_between(errors, "edge_deregistration_delay", spec.get("deregistration_delay"), 0, 3600, " of seconds")
    _int_between(errors, "edge_idle_timeout", spec.get("idle_timeout"), 1, 4000, " of seconds")
    _int_between(errors, "edge_acm_wait_timeout", spec.get("acm_wait_timeout"), 60, 7200, " of seconds")
    errors.extend(_access_log_errors(spec.get("access_logs"), spec.get("metric_prefix") or "",
                                     spec.get("account_id") or ""))
    retention = spec.get("waf_log_retention_days")
    if retention not in RETENTION_DAYS or isinstance(retention, bool):
        errors.append(f"edge_waf_log_retention_days = {retention!r} is not a value CloudWatch Logs accepts: "
                      f"{', '.join(str(d) for d in RETENTION_DAYS)}")
    errors.extend(waf_rule_errors(spec.get("waf_rules"), "edge_waf_rules", spec.get("metric_prefix") or "edge"))
    return errors


def _health_check_errors(check):
    errors = []
    if not isinstance(check, dict):
        return ["edge_health_check must be a mapping with path, interval, timeout, healthy_threshold, "
                "unhealthy_threshold and matcher"]
    path = check.get("path")
    if not (isinstance(path, str) and path.startswith("/") and len(path) <= 1024):
        errors.append(f"edge_health_check.path = {path!r} must be a path starting with '/', like '/api/health'")
    interval_ok = _int_between(errors, "edge_health_check.interval", check.get("interval"), 5, 300, " of seconds")
    timeout_ok = _int_between(errors, "edge_health_check.timeout", check.get("timeout"), 2, 120, " of seconds")
    if interval_ok and timeout_ok and check["timeout"] >= check["interval"]:
        errors.append(f"edge_health_check.timeout = {check['timeout']} must be shorter than edge_health_check.interval"
                      f" = {check['interval']}")
    for key in ("healthy_threshold", "unhealthy_threshold"):
        _int_between(errors, f"edge_health_check.{key}", check.get(key), 2, 10)
    matcher = str(check.get("matcher", ""))
    if not MATCHER_RE.match(matcher) or any(not 200 <= int(code) <= 499 for code in re.findall(r"\d{3}", matcher)):
        errors.append(f"edge_health_check.matcher = {check.get('matcher')!r} must be HTTP codes from 200 to 499, "
                      "like '200' or '200-399' or '200,302'")
    return errors


def _access_log_errors(logs, name_prefix, account_id):
    keys = "enabled (true/false), bucket ('' for the stack's own), prefix and retention_days"
    if not isinstance(logs, dict) or not isinstance(logs.get("enabled"), bool):
        return [f"edge_access_logs must be a mapping with {keys}"]
    if not logs["enabled"]:
        return []
    errors = []
    bucket = logs.get("bucket", "")
    if bucket in ("", None):
        bucket = access_log_bucket_name(name_prefix, account_id)
        if len(bucket) > 63:
            errors.append(f"edge_access_logs.bucket = '' makes the stack's own bucket {bucket!r}, longer than the 63 "
                          "characters S3 allows: shorten the name prefix or name an existing bucket")
    elif not (isinstance(bucket, str) and BUCKET_RE.match(bucket)):
        errors.append(f"edge_access_logs.bucket = {bucket!r}: give the name of an existing S3 bucket (3-63 lower-case "
                      "letters, digits, dots, hyphens) whose policy lets the ELB service write to it, or '' for the "
                      "bucket the edge role creates")
    prefix = logs.get("prefix", "")
    if not isinstance(prefix, str) or prefix.startswith("/") or prefix.endswith("/") or "AWSLogs" in prefix:
        errors.append(f"edge_access_logs.prefix = {prefix!r} must not start or end with '/' nor contain 'AWSLogs'")
    _int_between(errors, "edge_access_logs.retention_days", logs.get("retention_days", 90), 1, MAX_RETENTION_DAYS,
                 " of days")
    return errors


def access_log_bucket_name(name_prefix, account_id):
    """The stack's own access log bucket: bucket names are global, the account id makes it unique."""
    return f"{name_prefix}-alb-logs-{account_id}"


def alb_log_delivery_statements(bucket, prefix, account_id, region):
    """The bucket policy statements that let the load balancers of ``region`` deliver access logs.

    Only this account's logs, under ``<prefix>/AWSLogs/<account>/``: the ELB account of a region opened
    before August 2022, the log delivery service principal in the others.
    """
    partition = partition_of(region)
    path = f"{prefix}/AWSLogs/{account_id}/*" if prefix else f"AWSLogs/{account_id}/*"
    elb_account = ELB_LOG_ACCOUNTS.get(region)
    principal = ({"AWS": f"arn:{partition}:iam::{elb_account}:root"} if elb_account else {"Service": ELB_LOG_SERVICE})
    return [{"Sid": "AllowLoadBalancerAccessLogs", "Effect": "Allow", "Principal": principal,
             "Action": "s3:PutObject", "Resource": f"arn:{partition}:s3:::{bucket}/{path}"}]


def _edge_errors(spec):
    if not isinstance(spec, dict):
        raise AnsibleFilterError(f"edge_errors expects a mapping, got {type(spec).__name__}")
    return edge_errors(spec)


class FilterModule:
    def filters(self):
        return {"edge_errors": _edge_errors, "alb_log_delivery_statements": alb_log_delivery_statements,
                "access_log_bucket_name": access_log_bucket_name}
