"""Pure analysis of one measured run: the emulator's journal and the playbook's task timeline.

A journal entry is what tools.latency_emulator records for one AWS request:
``t0``/``t1`` (wall clock), ``method``, ``url``, ``headers``, ``body`` (base64),
``service``, ``action``, ``status`` and ``response`` (base64). A timeline
event is what bench/callback_plugins/bench_timeline.py writes: plays and tasks
with their start and end times.
"""

from __future__ import annotations

import base64
import bisect
import json
import re
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass

# The same rule as the tests' no-write assertions, plus the batch reads of ECR.
READ_PREFIXES = ("Describe", "List", "Get", "Check", "Search", "Lookup", "BatchGet", "BatchCheck")
REST_READ_METHODS = ("GET", "HEAD")
# Query-protocol parameters that do not change what is read.
VOLATILE_PARAMS = {"Version"}


def is_write(entry: dict) -> bool:
    action = entry.get("action") or ""
    if " " in action:  # REST protocol (Route 53): the method decides
        return action.split(" ", 1)[0] not in REST_READ_METHODS
    return not action.startswith(READ_PREFIXES)


def body_bytes(entry: dict, key: str = "body") -> bytes:
    raw = entry.get(key) or ""
    if key == "body" and not entry.get("body_encoded", True):
        return raw.encode()
    try:
        return base64.b64decode(raw)
    except ValueError:
        return b""


def label(entry: dict) -> str:
    return f"{entry.get('service') or '?'}:{entry.get('action') or '?'}"


def read_signature(entry: dict) -> str:
    """What a read asks for, independent of signing, dates and request ids."""
    body = body_bytes(entry)
    url = urllib.parse.urlsplit(entry.get("url", ""))
    headers = {k.lower(): v for k, v in (entry.get("headers") or {}).items()}
    if headers.get("x-amz-target"):
        try:
            params = json.dumps(json.loads(body or b"{}"), sort_keys=True, separators=(",", ":"))
        except ValueError:
            params = body.decode("utf-8", "replace")
    else:
        pairs = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        if body and b"=" in body[:200]:
            pairs += urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        params = "&".join(f"{k}={v}" for k, v in sorted(pairs) if k not in VOLATILE_PARAMS and k != "Action")
        if " " in (entry.get("action") or ""):
            params = f"{url.path}?{params}" if params else url.path
    return f"{label(entry)} {params}"


# -- the task timeline -------------------------------------------------------------
@dataclass
class Task:
    stage: str
    role: str
    name: str
    action: str
    t0: float
    t1: float
    status: str = "ok"
    changed: bool = False

    @property
    def seconds(self) -> float:
        return max(0.0, self.t1 - self.t0)


def stage_of(play_name: str) -> str:
    """'Network - VPC, tiered subnets ...' -> 'network'; 'Pre-flight - ...' -> 'pre-flight'."""
    head = play_name.split(" - ", 1)[0].strip().lower()
    return re.sub(r"[^a-z0-9]+", "-", head).strip("-") or "play"


def parse_timeline(lines: list[str]) -> tuple[list[tuple[float, str]], list[Task], float | None, float | None]:
    """(play starts [(t, stage)], tasks, playbook start, playbook end) from the callback's JSON lines."""
    plays: list[tuple[float, str]] = []
    tasks: list[Task] = []
    start = end = None
    for line in lines:
        if not line.strip():
            continue
        event = json.loads(line)
        kind = event.get("event")
        if kind == "start":
            start = event["t"]
        elif kind == "play":
            plays.append((event["t"], stage_of(event.get("name", ""))))
        elif kind == "task":
            tasks.append(Task(stage=stage_of(event.get("play", "")), role=event.get("role") or "",
                              name=event.get("name", ""), action=event.get("action", ""), t0=event["t0"],
                              t1=event["t1"], status=event.get("status", "ok"),
                              changed=bool(event.get("changed"))))
        elif kind == "end":
            end = event["t"]
    tasks.sort(key=lambda t: t.t0)
    return plays, tasks, start, end


def attribute(entries: list[dict], plays: list[tuple[float, str]], tasks: list[Task]) -> list[tuple[str, str, str]]:
    """(stage, role, task name) of each request: the task running when it was sent, else the play."""
    starts = [t.t0 for t in tasks]
    play_starts = [p[0] for p in plays]
    out = []
    for entry in entries:
        when = entry.get("t0", 0.0)
        i = bisect.bisect_right(starts, when) - 1
        if i >= 0 and tasks[i].t0 <= when <= tasks[i].t1 + 0.05:
            task = tasks[i]
            out.append((task.stage, task.role or task.stage, task.name))
            continue
        j = bisect.bisect_right(play_starts, when) - 1
        stage = plays[j][1] if j >= 0 else "outside"
        out.append((stage, stage, "(between tasks)"))
    return out


def by_stage(entries: list[dict], owners: list[tuple[str, str, str]], tasks: list[Task],
             plays: list[tuple[float, str]], end: float | None) -> dict[str, dict]:
    """Per stage: wall seconds, tasks run, API calls (reads/writes), and calls per role."""
    stages: dict[str, dict] = {}
    order = [stage for _, stage in plays]
    for stage in order:
        stages.setdefault(stage, {"seconds": 0.0, "tasks": 0, "calls": 0, "reads": 0, "writes": 0, "roles": {}})
    bounds = [p[0] for p in plays] + [end if end is not None else (tasks[-1].t1 if tasks else 0.0)]
    for i, stage in enumerate(order):
        stages[stage]["seconds"] = round(stages[stage]["seconds"] + max(0.0, bounds[i + 1] - bounds[i]), 3)
    for task in tasks:
        if task.status != "skipped":
            stages.setdefault(task.stage, {"seconds": 0.0, "tasks": 0, "calls": 0, "reads": 0, "writes": 0,
                                           "roles": {}})["tasks"] += 1
    for entry, (stage, role, _) in zip(entries, owners, strict=True):
        row = stages.setdefault(stage, {"seconds": 0.0, "tasks": 0, "calls": 0, "reads": 0, "writes": 0,
                                        "roles": {}})
        row["calls"] += 1
        row["writes" if is_write(entry) else "reads"] += 1
        row["roles"][role] = row["roles"].get(role, 0) + 1
    return stages


def slowest_tasks(tasks: list[Task], entries: list[dict], owners: list[tuple[str, str, str]],
                  limit: int = 15) -> list[dict]:
    calls = Counter((stage, name) for stage, _, name in owners)
    ranked = sorted(tasks, key=lambda t: t.seconds, reverse=True)[:limit]
    return [{"stage": t.stage, "role": t.role, "task": t.name, "action": t.action, "seconds": round(t.seconds, 3),
             "calls": calls.get((t.stage, t.name), 0), "changed": t.changed} for t in ranked]


def repeated_reads(entries: list[dict], owners: list[tuple[str, str, str]]) -> dict[str, list[dict]]:
    """Per role, the reads it sent more than once with the very same parameters, and the tasks that sent them."""
    seen: dict[str, Counter] = defaultdict(Counter)
    where: dict[tuple[str, str], list[str]] = defaultdict(list)
    for entry, (stage, role, task) in zip(entries, owners, strict=True):
        if not is_write(entry):
            sig = read_signature(entry)
            seen[role][sig] += 1
            where[(role, sig)].append(f"{stage}: {task}")
    out = {}
    for role, counter in seen.items():
        repeats = [{"read": sig[:300], "times": n, "tasks": where[(role, sig)]}
                   for sig, n in counter.most_common() if n > 1]
        if repeats:
            out[role] = repeats
    return out


def reads_across_roles(entries: list[dict], owners: list[tuple[str, str, str]]) -> list[dict]:
    """Identical reads made by more than one role (a later role looking up what an upstream fact gives)."""
    roles: dict[str, set[str]] = defaultdict(set)
    for entry, (_, role, _) in zip(entries, owners, strict=True):
        if not is_write(entry):
            roles[read_signature(entry)].add(role)
    return [{"read": sig[:300], "roles": sorted(r)} for sig, r in roles.items() if len(r) > 1]


def summarize(entries: list[dict], timeline_lines: list[str]) -> dict:
    """Everything the report needs from one run."""
    plays, tasks, _, end = parse_timeline(timeline_lines)
    owners = attribute(entries, plays, tasks)
    calls = Counter(label(e) for e in entries)
    return {
        "api_calls": len(entries),
        "reads": sum(1 for e in entries if not is_write(e)),
        "writes": sum(1 for e in entries if is_write(e)),
        "write_calls": [label(e) for e in entries if is_write(e)],
        "errors": sum(1 for e in entries if int(e.get("status", 200)) >= 400),
        "tasks": sum(1 for t in tasks if t.status != "skipped"),
        "stages": by_stage(entries, owners, tasks, plays, end),
        "slowest_tasks": slowest_tasks(tasks, entries, owners),
        "calls_by_action": dict(calls.most_common()),
        "repeated_reads": repeated_reads(entries, owners),
        "reads_across_roles": reads_across_roles(entries, owners),
    }
