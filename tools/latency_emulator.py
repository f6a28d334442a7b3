"""The local AWS emulator with realistic latency, and a request journal for the benchmark.

moto makes every resource usable the moment it is created: an Aurora cluster
reads "available" in the response to the next Describe call. Real AWS keeps
it "creating" for minutes, and a playbook that waits for each slow resource in
turn is slow in a way the plain emulator never shows. This wrapper runs moto's
server application behind a WSGI middleware that keeps resources in their
transitional states for durations taken from real AWS, scaled down:

  profile ``realistic`` (minutes on real AWS; ``--scale S`` = S seconds per real minute, default 1)
    aurora_cluster   4   CreateDBCluster      Status "creating" -> "available"
    aurora_instance 10   CreateDBInstance     DBInstanceStatus "creating" -> "available"
    alb              3   CreateLoadBalancer   State.Code "provisioning" -> "active"
    acm_certificate  2   RequestCertificate   Status "PENDING_VALIDATION" -> "ISSUED"
    ecs_service      2   CreateService / UpdateService with a new deployment:
                         rolloutState "IN_PROGRESS" -> "COMPLETED", runningCount 0 -> desiredCount

  profile ``none``: moto unchanged (the journal still works).

Where AWS refuses an operation on a resource in a transitional state, the
middleware refuses it the same way (``--no-refusals`` turns that off):

  - ELBv2 CreateListener / ModifyListener / AddListenerCertificates with a
    certificate that is not ISSUED yet: ``UnsupportedCertificate`` (what ELB
    answers for a PENDING_VALIDATION certificate).
  - WAFv2 AssociateWebACL with a load balancer that is still provisioning:
    ``WAFUnavailableEntityException`` ("AWS WAF couldn't retrieve the resource
    that you requested. Retry your request.").
  - RDS ModifyDBCluster / ModifyDBInstance while the resource is creating:
    ``InvalidDBClusterStateFault`` / ``InvalidDBInstanceState``.

  Allowed, as on AWS: CreateDBInstance in a cluster that is still creating,
  CreateListener / CreateTargetGroup on a load balancer that is provisioning,
  CreateService with a target group of a provisioning load balancer.

The journal records every AWS request with its response and wall-clock times
(moto's own recorder keeps neither), for the benchmark's per-role attribution
and its floor replay. Control endpoints (not AWS APIs):

  GET  /latency-api/                    profile, scale and resources still in transition (JSON)
  POST /latency-api/advance?seconds=N   move the emulator's clock forward (tests)
  POST /latency-api/journal/{start|stop|reset}
  GET  /latency-api/journal             the journal, one JSON object a line

Usage: python -m tools.latency_emulator {start|stop|status|serve} [--profile P] [--scale S] [--no-refusals]
  (start/stop/status work like tools.emulator, on LOCAL_AWS_PORT; serve runs in the foreground.)
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools import emulator

# Durations on real AWS, in minutes (the figures).
PROFILES: dict[str, dict[str, float]] = {
    "none": {},
    "realistic": {
        "aurora_cluster": 4,
        "aurora_instance": 10,
        "alb": 3,
        "acm_certificate": 2,
        "ecs_service": 2,
    },
}
DEFAULT_SCALE = 1.0  # seconds per real minute

CONTROL_PREFIX = "/latency-api/"


def durations(profile: str, scale: float) -> dict[str, float]:
    """Seconds each kind of resource stays in transition under ``profile`` at ``scale``."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {sorted(PROFILES)}")
    if scale < 0:
        raise ValueError(f"scale must be >= 0, got {scale}")
    return {kind: minutes * scale for kind, minutes in PROFILES[profile].items()}


# -- the clock of transitions -------------------------------------------------
class Timeline:
    """When each resource entered its transitional state, and whether it still is in it."""

    def __init__(self, seconds: dict[str, float], clock=time.monotonic):
        self.seconds = dict(seconds)
        self._clock = clock
        self._offset = 0.0
        self._started: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        with self._lock:
            self._started.clear()

    def start(self, kind: str, key: str, restart: bool = False) -> None:
        """Record that ``key`` entered its transition now (a known key keeps its start unless ``restart``)."""
        if not self.seconds.get(kind):
            return
        with self._lock:
            if restart or (kind, key) not in self._started:
                self._started[(kind, key)] = self.now()

    def remaining(self, kind: str, key: str) -> float:
        started = self._started.get((kind, key))
        if started is None:
            return 0.0
        return max(0.0, started + self.seconds.get(kind, 0.0) - self.now())

    def pending(self, kind: str, key: str) -> bool:
        return self.remaining(kind, key) > 0

    def progress(self, kind: str, key: str) -> float:
        """0.0 just started .. 1.0 done (also for unknown keys)."""
        total = self.seconds.get(kind, 0.0)
        if not total or (kind, key) not in self._started:
            return 1.0
        return min(1.0, max(0.0, 1.0 - self.remaining(kind, key) / total))

    def any_pending(self, kind: str) -> bool:
        return any(self.pending(k, key) for k, key in list(self._started) if k == kind)

    def snapshot(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for kind, key in list(self._started):
            left = self.remaining(kind, key)
            if left > 0:
                out.setdefault(kind, {})[key] = round(left, 3)
        return out


# -- requests ----------------------------------------------------------------
@dataclass
class Call:
    """One AWS API request: the service it was signed for, its action and its parameters."""

    service: str
    action: str
    params: dict[str, Any] = field(default_factory=dict)
    region: str = ""


def _scope(authorization: str) -> tuple[str, str]:
    """(service, region) of a SigV4 Authorization header."""
    if "Credential=" in authorization:
        parts = authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        if len(parts) >= 4:
            return parts[3], parts[2]
    return "", ""


def parse_request(method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Call:
    """Service, action and parameters of a request (query, JSON and REST protocols)."""
    low = {k.lower(): v for k, v in headers.items()}
    service, region = _scope(low.get("authorization", ""))
    target = low.get("x-amz-target")
    if target:
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
        return Call(service, target.split(".")[-1], params if isinstance(params, dict) else {}, region)
    params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    if "x-www-form-urlencoded" in low.get("content-type", "") or (body and b"Action=" in body[:200]):
        with contextlib.suppress(UnicodeDecodeError):
            params.update(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    action = params.pop("Action", None)
    if action:
        return Call(service, action, params, region)
    return Call(service, f"{method} {path}", params, region)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml_text(body: bytes, tag: str) -> str | None:
    match = re.search(rb"<%s>([^<]*)</%s>" % (tag.encode(), tag.encode()), body)
    return match.group(1).decode() if match else None


def _cluster_name(value: str | None) -> str:
    return (value or "default").rsplit("/", 1)[-1]


def transitions(call: Call, status: int, response: bytes) -> list[tuple[str, str, bool]]:
    """The (kind, key, restart) transitions a successful request starts."""
    if status >= 300:
        return []
    svc, action, params = call.service, call.action, call.params
    if svc == "rds" and action == "CreateDBCluster":
        return [("aurora_cluster", str(params.get("DBClusterIdentifier", "")).lower(), False)]
    if svc == "rds" and action == "CreateDBInstance":
        return [("aurora_instance", str(params.get("DBInstanceIdentifier", "")).lower(), False)]
    if svc == "elasticloadbalancing" and action == "CreateLoadBalancer":
        arn = _xml_text(response, "LoadBalancerArn")
        return [("alb", arn, False)] if arn else []
    if svc == "acm" and action == "RequestCertificate":
        try:
            arn = json.loads(response).get("CertificateArn")
        except ValueError:
            arn = None
        return [("acm_certificate", arn, False)] if arn else []
    if svc == "ecs" and action in ("CreateService", "UpdateService"):
        name = params.get("serviceName") if action == "CreateService" else params.get("service")
        key = f"{_cluster_name(params.get('cluster'))}/{str(name or '').rsplit('/', 1)[-1]}"
        if action == "CreateService":
            return [("ecs_service", key, False)]
        if params.get("taskDefinition") or params.get("forceNewDeployment"):
            return [("ecs_service", key, True)]
    return []


# -- refusals where AWS refuses ----------------------------------------------
def _query_error(code: str, message: str, namespace: str) -> tuple[int, list[tuple[str, str]], bytes]:
    body = (f'<ErrorResponse xmlns="{namespace}"><Error><Type>Sender</Type><Code>{code}</Code>'
            f"<Message>{message}</Message></Error><RequestId>latency-emulator</RequestId></ErrorResponse>")
    return 400, [("Content-Type", "text/xml")], body.encode()


def _json_error(code: str, message: str) -> tuple[int, list[tuple[str, str]], bytes]:
    body = json.dumps({"__type": code, "Message": message})
    return 400, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)], body.encode()


ELBV2_NS = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
RDS_NS = "http://rds.amazonaws.com/doc/2014-10-31/"


def refusal(call: Call, timeline: Timeline) -> tuple[int, list[tuple[str, str]], bytes] | None:
    """The error AWS answers to ``call`` while a resource it needs is in transition, or None."""
    svc, action, params = call.service, call.action, call.params
    if svc == "elasticloadbalancing" and action in ("CreateListener", "ModifyListener", "AddListenerCertificates"):
        for key, value in params.items():
            if key.endswith(".CertificateArn") and timeline.pending("acm_certificate", value):
                return _query_error(
                    "UnsupportedCertificate",
                    f"The certificate '{value}' must have a fully-qualified domain name, a supported signature, "
                    "and a supported key size.", ELBV2_NS)
    if svc == "wafv2" and action == "AssociateWebACL" and timeline.pending("alb", str(params.get("ResourceArn", ""))):
        return _json_error("WAFUnavailableEntityException",
                               "AWS WAF couldn't retrieve the resource that you requested. Retry your request.")
    if svc == "rds" and action == "ModifyDBCluster":
        ident = str(params.get("DBClusterIdentifier", "")).lower()
        if timeline.pending("aurora_cluster", ident):
            return _query_error("InvalidDBClusterStateFault",
                                f"DB cluster {ident} is not available for modification with status creating",
                                RDS_NS)
    if svc == "rds" and action == "ModifyDBInstance":
        ident = str(params.get("DBInstanceIdentifier", "")).lower()
        if timeline.pending("aurora_instance", ident):
            return _query_error("InvalidDBInstanceState",
                                f"Database instance is not in available state. (instance {ident} is creating)",
                                RDS_NS)
    return None


# -- response rewriting ------------------------------------------------------
@dataclass(frozen=True)
class XmlRule:
    """An element with a direct child ``key`` naming a pending resource reads ``transitional`` at ``path``."""

    kind: str
    key: str
    path: tuple[str, ...]
    settled: str
    transitional: str
    lower: bool = False  # RDS identifiers are case-insensitive (stored lower-case)


XML_RULES: dict[str, list[XmlRule]] = {
    "rds": [
        XmlRule("aurora_cluster", "DBClusterIdentifier", ("Status",), "available", "creating", lower=True),
        XmlRule("aurora_instance", "DBInstanceIdentifier", ("DBInstanceStatus",), "available", "creating",
                lower=True),
    ],
    "elasticloadbalancing": [
        XmlRule("alb", "LoadBalancerArn", ("State", "Code"), "active", "provisioning"),
    ],
}


def _child(element: ET.Element, name: str) -> ET.Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def rewrite_xml(service: str, body: bytes, timeline: Timeline) -> bytes | None:
    """The XML response with pending resources' statuses set back; None when nothing changes."""
    rules = [r for r in XML_RULES.get(service, []) if timeline.any_pending(r.kind)]
    if not rules or not body.lstrip().startswith(b"<"):
        return None
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    changed = False
    for element in root.iter():
        for rule in rules:
            key = _child(element, rule.key)
            if key is None:
                continue
            name = (key.text or "").strip()
            if not timeline.pending(rule.kind, name.lower() if rule.lower else name):
                continue
            node: ET.Element | None = element
            for step in rule.path:
                node = _child(node, step) if node is not None else None
            if node is not None and node.text == rule.settled:
                node.text = rule.transitional
                changed = True
    if not changed:
        return None
    return xml_bytes(root)


def xml_bytes(root: ET.Element) -> bytes:
    """A parsed response written back, in its own default namespace (as AWS writes it)."""
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else None
    try:
        return ET.tostring(root, encoding="utf-8", xml_declaration=True, default_namespace=namespace)
    except ValueError:  # an element outside the namespace
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _rewrite_certificate(cert: dict, timeline: Timeline) -> bool:
    arn = cert.get("CertificateArn", "")
    if cert.get("Status") != "ISSUED" or not timeline.pending("acm_certificate", arn):
        return False
    cert["Status"] = "PENDING_VALIDATION"
    for option in cert.get("DomainValidationOptions") or []:
        if option.get("ValidationStatus") == "SUCCESS":
            option["ValidationStatus"] = "PENDING_VALIDATION"
    return True


def _rewrite_service(service: dict, timeline: Timeline) -> bool:
    key = f"{_cluster_name(service.get('clusterArn'))}/{service.get('serviceName', '')}"
    desired = int(service.get("desiredCount") or 0)
    primary = [d for d in service.get("deployments") or [] if d.get("status") == "PRIMARY"]
    if not timeline.seconds.get("ecs_service"):
        return False
    if timeline.pending("ecs_service", key):
        running = int(desired * timeline.progress("ecs_service", key))
        running = min(running, desired - 1) if desired else 0
        state = "IN_PROGRESS"
    else:
        # AWS reaches steady state; moto never does by itself (runningCount stays 0).
        running, state = desired, "COMPLETED"
    service["runningCount"], service["pendingCount"] = running, desired - running
    for deployment in primary:
        deployment["runningCount"], deployment["pendingCount"] = running, desired - running
        deployment["rolloutState"] = state
        deployment["rolloutStateReason"] = f"ECS deployment {deployment.get('id', '')} " + (
            "completed." if state == "COMPLETED" else "in progress.")
    return True


def rewrite_json(service: str, body: bytes, timeline: Timeline) -> bytes | None:
    """The JSON response with pending resources' statuses set back; None when nothing changes."""
    if service == "acm":
        if not timeline.any_pending("acm_certificate"):
            return None
    elif service != "ecs" or not timeline.seconds.get("ecs_service"):
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    changed = False
    if service == "acm":
        if isinstance(data.get("Certificate"), dict):
            changed |= _rewrite_certificate(data["Certificate"], timeline)
        for summary in data.get("CertificateSummaryList") or []:
            changed |= _rewrite_certificate(summary, timeline)
    else:
        for svc in ([data["service"]] if isinstance(data.get("service"), dict) else []) + list(
                data.get("services") or []):
            changed |= _rewrite_service(svc, timeline)
    return json.dumps(data).encode() if changed else None


def rewrite(call: Call, body: bytes, timeline: Timeline) -> bytes | None:
    if call.service in XML_RULES:
        return rewrite_xml(call.service, body, timeline)
    if call.service in ("acm", "ecs"):
        return rewrite_json(call.service, body, timeline)
    return None


# -- the middleware ------------------------------------------------------------
def _headers_from_environ(environ: dict) -> dict[str, str]:
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").title()] = value
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").title()] = environ[key]
    return headers


def _read_body(environ: dict) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        return stream.read(int(length))
    if environ.get("wsgi.input_terminated"):
        return stream.read()
    return b""


class LatencyMiddleware:
    """WSGI middleware around moto's server application (see the module's docstring)."""

    def __init__(self, app, timeline: Timeline, refuse: bool = True, profile: str = "none", scale: float = 1.0,
                 strict=None):
        self.app = app
        self.timeline = timeline
        self.refuse = refuse
        self.strict = strict  # a tools.strict_aws.StrictProfile, or None
        self.profile = profile
        self.scale = scale
        self.recording = False
        self.journal: list[dict] = []
        self._lock = threading.Lock()

    # control endpoints
    def _control(self, environ, start_response):
        path = environ.get("PATH_INFO", "")[len(CONTROL_PREFIX):].strip("/")
        method = environ.get("REQUEST_METHOD", "GET")
        query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))
        status, body, ctype = "200 OK", b"", "application/json"
        if path == "" and method == "GET":
            body = json.dumps({"profile": self.profile, "scale": self.scale, "seconds": self.timeline.seconds,
                               "refusals": self.refuse, "recording": self.recording,
                               "pending": self.timeline.snapshot(),
                               "strict": self.strict.describe() if self.strict else None}).encode()
        elif path == "advance" and method == "POST":
            self.timeline.advance(float(query.get("seconds", "0")))
            if self.strict:
                self.strict.advance(float(query.get("seconds", "0")))
        elif path == "journal" and method == "GET":
            with self._lock:
                body = "".join(json.dumps(e) + "\n" for e in self.journal).encode()
            ctype = "application/x-ndjson"
        elif path in ("journal/start", "journal/stop", "journal/reset") and method == "POST":
            with self._lock:
                if path.endswith("reset"):
                    self.journal = []
                else:
                    self.recording = path.endswith("start")
        else:
            status, body = "404 Not Found", b'{"error": "unknown control endpoint"}'
        start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(body)))])
        return [body]

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self._control(environ, start_response)
        if path.startswith("/moto-api/"):
            if path.rstrip("/") == "/moto-api/reset":
                self.timeline.reset()
                if self.strict:
                    self.strict.reset()
            return self.app(environ, start_response)

        t0 = time.time()
        body = _read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        headers = _headers_from_environ(environ)
        call = parse_request(environ.get("REQUEST_METHOD", "GET"), path, environ.get("QUERY_STRING", ""),
                             headers, body)

        refused = refusal(call, self.timeline) if self.refuse else None
        if refused is None and self.strict is not None:
            refused = self.strict.refusal(call, json_protocol=bool(headers.get("X-Amz-Target")))
        if refused:
            status_code, out_headers, out = refused
            status_line = f"{status_code} Bad Request"
        else:
            captured: dict[str, Any] = {}
            chunks: list[bytes] = []

            def _start(status, response_headers, exc_info=None):
                captured["status"], captured["headers"] = status, response_headers
                return chunks.append

            result = self.app(environ, _start)
            try:
                chunks.extend(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
            status_line = captured["status"]
            status_code = int(status_line.split(" ", 1)[0])
            out_headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
            out = b"".join(chunks)
            for kind, key, restart in transitions(call, status_code, out):
                self.timeline.start(kind, key, restart)
            if self.strict is not None:
                self.strict.observe(call, status_code, out)
            if status_code < 300:
                out = rewrite(call, out, self.timeline) or out
                if self.strict is not None:
                    out = self.strict.rewrite(call, out) or out
        out_headers = [(k, v) for k, v in out_headers if k.lower() != "content-length"]
        out_headers.append(("Content-Length", str(len(out))))

        if self.recording:
            query = environ.get("QUERY_STRING", "")
            entry = {
                "t0": t0, "t1": time.time(),
                "method": environ.get("REQUEST_METHOD", "GET"),
                "url": f"http://{environ.get('HTTP_HOST', '')}{path}" + (f"?{query}" if query else ""),
                "headers": headers,
                "body": base64.b64encode(body).decode("ascii"), "body_encoded": True,
                "service": call.service, "action": call.action,
                "status": status_code,
                "response": base64.b64encode(out).decode("ascii"),
            }
            with self._lock:
                self.journal.append(entry)
        start_response(status_line, out_headers)
        return [out]


# -- process management (like tools.emulator) --------------------------------
def serve(port: int, profile: str, scale: float, refuse: bool, strict: dict | None = None) -> None:
    from moto.iam import models as iam_models
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import run_simple

    from tools import moto_extensions, strict_aws

    moto_extensions.install()
    # AWS names ECS's service-linked role AWSServiceRoleForECS; moto spells it "...Forecs".
    iam_models.SERVICE_NAME_CONVERSION.setdefault("ecs", "ECS")
    os.environ.setdefault("MOTO_PORT", str(port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    wrapped = LatencyMiddleware(app, Timeline(durations(profile, scale)), refuse=refuse, profile=profile,
                                scale=scale, strict=strict_aws.StrictProfile(**strict) if strict is not None else None)
    run_simple(emulator.HOST, port, wrapped, threaded=True, request_handler=MotoRequestHandler)


def profile_env(profile: str) -> dict[str, str]:
    """moto settings a profile needs: under a latency profile the middleware times ACM, not moto."""
    return {"MOTO_ACM_VALIDATION_WAIT": "0"} if PROFILES[profile].get("acm_certificate") else {}


def strict_flags(strict: dict | None) -> list[str]:
    """The command-line flags of a strict profile's settings (StrictProfile's keyword arguments)."""
    if strict is None:
        return []
    from tools import strict_aws

    strict_aws.StrictProfile(**strict, state=object())  # validate before starting anything
    flags = ["--strict", "--strict-scale", str(strict.get("time_scale", 1.0)), "--seed", str(strict.get("seed", 0))]
    for name in sorted(strict.get("disabled") or ()):
        flags += ["--strict-off", name]
    for name, seconds in sorted((strict.get("windows") or {}).items()):
        flags += ["--strict-window", f"{name}={seconds}"]
    for service, fraction in sorted((strict.get("throttle") or {}).items()):
        flags += ["--throttle", f"{service}={fraction}"]
    return flags


def strict_settings(args) -> dict | None:
    """StrictProfile's keyword arguments from the parsed command line (None without --strict)."""
    if not args.strict:
        return None
    from tools import strict_aws

    def pairs(values, what):
        out = {}
        for value in values or []:
            name, sep, number = value.rpartition("=")
            try:
                out[name if sep else "*"] = float(number)
            except ValueError:
                raise SystemExit(f"--{what} takes NAME=NUMBER or NUMBER, got {value!r}") from None
        return out

    throttle = pairs(args.throttle, "throttle") or {"*": strict_aws.DEFAULT_THROTTLE}
    return {"time_scale": args.strict_scale, "seed": args.seed, "disabled": set(args.strict_off or []),
            "windows": pairs(args.strict_window, "strict-window"), "throttle": throttle}


def spawn(port: int, log_path: Path, profile: str = "none", scale: float = DEFAULT_SCALE, refuse: bool = True,
          extra_env: dict[str, str] | None = None, timeout: float = 30.0,
          strict: dict | None = None) -> subprocess.Popen:
    """Start the wrapped emulator on ``port`` and wait until it answers; return the process.

    ``strict``: the strict-AWS profile's settings (``tools.strict_aws.StrictProfile`` keywords), or None.
    """
    durations(profile, scale)  # validate before starting anything
    log_path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "tools.latency_emulator", "serve", "--port", str(port), "--profile", profile,
           "--scale", str(scale)] + ([] if refuse else ["--no-refusals"]) + strict_flags(strict)
    env = emulator.emulator_env({**profile_env(profile), **(extra_env or {})})
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(cmd, cwd=emulator.ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the latency emulator exited with code {proc.returncode}; see {log_path}")
        if emulator.is_up(port):
            return proc
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"the latency emulator did not answer on {emulator.url(port)} within {timeout:.0f}s")


def _pid_file(port: int) -> Path:
    return emulator.STATE_DIR / f"latency-emulator-{port}.pid"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.latency_emulator", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["start", "stop", "status", "serve"])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="realistic")
    parser.add_argument("--scale", type=float, default=DEFAULT_SCALE,
                        help="seconds of emulator time per minute of real AWS (default 1)")
    parser.add_argument("--no-refusals", action="store_true",
                        help="accept operations AWS refuses while a resource is in transition")
    parser.add_argument("--port", type=int, default=None, help="default: LOCAL_AWS_PORT or 4566")
    strict = parser.add_argument_group("the strict-AWS profile (tools/strict_aws.py)")
    strict.add_argument("--strict", action="store_true", help="answer as AWS does where it is stricter than moto")
    strict.add_argument("--strict-scale", type=float, default=1.0,
                        help="the rules' windows as a fraction of AWS's (default 1: AWS's own time)")
    strict.add_argument("--strict-off", action="append", metavar="RULE", help="switch a rule off (repeatable)")
    strict.add_argument("--strict-window", action="append", metavar="RULE=SECONDS",
                        help="a rule's window on AWS, in seconds (repeatable)")
    strict.add_argument("--throttle", action="append", metavar="[SERVICE=]FRACTION",
                        help="throttle this fraction of the calls (of one service: ecs=0.3); default 0.05 of all")
    strict.add_argument("--seed", type=int, default=0, help="seed of the throttling (default 0)")
    args = parser.parse_args(argv)
    port = args.port or emulator.port_from_env()
    settings = strict_settings(args)
    if args.command == "serve":
        serve(port, args.profile, args.scale, not args.no_refusals, settings)
        return 0
    if args.command == "status":
        up = emulator.is_up(port)
        print(json.dumps({"url": emulator.url(port), "running": up}))
        return 0 if up else 1
    if args.command == "stop":
        try:
            pid = int(_pid_file(port).read_text())
        except (OSError, ValueError):
            print(f"no latency emulator started by this project on port {port}")
            return 0
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        _pid_file(port).unlink(missing_ok=True)
        print(f"latency emulator on port {port} stopped")
        return 0
    if emulator.is_up(port):
        print(f"something already answers on {emulator.url(port)}: stop it first (make down)")
        return 1
    log = emulator.STATE_DIR / f"latency-emulator-{port}.log"
    proc = spawn(port, log, args.profile, args.scale, not args.no_refusals, strict=settings)
    _pid_file(port).write_text(f"{proc.pid}\n")
    mode = f", strict-AWS rules at {args.strict_scale:g} of AWS's time" if settings else ""
    print(f"latency emulator ({args.profile}, {args.scale:g} s per AWS minute{mode}) on {emulator.url(port)} "
          f"(pid {proc.pid}, log {log.relative_to(emulator.ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
