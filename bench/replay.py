"""The floor: the cold deploy's create calls, then the no-op run's reads, sent from one Python process.

The requests are the recorded ones, re-sent as they were (method, path,
headers, body; the emulator does not check signatures) to a fresh, identically
seeded emulator. Identifiers still differ from the recording — moto draws every
request id from the same seeded generator, so skipping the reads shifts every
later id — so the replay keeps a map from recorded ids to new ones: it pairs
the id-like tokens of each recorded response with those of the replayed one
and rewrites later requests through the map. A write that needs an id only a
read revealed (a VPC's main route table, its default security group) pulls
that read into the floor too: a boto3 script would have to make it.

Only the HTTP round trips are timed; the bookkeeping is not.
"""

from __future__ import annotations

import difflib
import http.client
import json
import re
import time
import urllib.parse
from dataclasses import dataclass, field

from bench.recording import body_bytes, is_write, label

TOKEN_RE = re.compile(r"[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")
HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "accept-encoding"}


def id_like(token: str) -> bool:
    """A token that may be a generated identifier: long, with letters and digits, not a date."""
    return (len(token) >= 8 and any(c.isdigit() for c in token) and any(c.isalpha() for c in token)
            and not DATE_RE.match(token))


def id_tokens(text: str) -> set[str]:
    return {t for t in TOKEN_RE.findall(text) if id_like(t)}


def pair_ids(old: str, new: str) -> dict[str, str]:
    """Recorded id -> replayed id, from two responses to the same request."""
    a, b = TOKEN_RE.findall(old), TOKEN_RE.findall(new)
    if a == b:
        return {}
    pairs: dict[str, str] = {}
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace" and i2 - i1 == j2 - j1:
            for x, y in zip(a[i1:i2], b[j1:j2], strict=True):
                if x != y and id_like(x) and id_like(y):
                    pairs[x] = y
    return pairs


def substitute(text: str, ids: dict[str, str]) -> str:
    if not ids:
        return text
    return TOKEN_RE.sub(lambda m: ids.get(m.group(0), m.group(0)), text)


def _substitute_form(text: str, ids: dict[str, str]) -> str:
    pairs = urllib.parse.parse_qsl(text, keep_blank_values=True)
    return urllib.parse.urlencode([(k, substitute(v, ids)) for k, v in pairs])


def rewrite_request(entry: dict, ids: dict[str, str]) -> tuple[str, str, dict[str, str], bytes]:
    """(method, path?query, headers, body) of a recorded request with recorded ids replaced."""
    url = urllib.parse.urlsplit(entry.get("url", ""))
    path = substitute(url.path or "/", ids)
    target = path + (f"?{_substitute_form(url.query, ids)}" if url.query else "")
    headers = {k: v for k, v in (entry.get("headers") or {}).items() if k.lower() not in HOP_HEADERS}
    body = body_bytes(entry)
    ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if body and ids:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = None  # binary: sent as recorded
        if text is not None:
            text = _substitute_form(text, ids) if "x-www-form-urlencoded" in ctype else substitute(text, ids)
            body = text.encode("utf-8")
    return entry.get("method", "GET"), target, headers, body


def floor_plan(entries: list[dict]) -> list[int]:
    """Indexes of the requests the floor sends: every write, plus the reads whose answers a write needs."""
    first_seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        for token in id_tokens(body_bytes(entry, "response").decode("utf-8", "replace")):
            first_seen.setdefault(token, i)
    needed = {i for i, e in enumerate(entries) if is_write(e)}
    work = sorted(needed)
    while work:
        i = work.pop()
        entry = entries[i]
        text = entry.get("url", "") + " " + body_bytes(entry).decode("utf-8", "replace")
        for token in id_tokens(text):
            j = first_seen.get(token)
            if j is not None and j < i and j not in needed:
                needed.add(j)
                work.append(j)
    return sorted(needed)


# -- sending -------------------------------------------------------------------------
@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    calls: int = 0
    writes: int = 0
    dependent_reads: int = 0
    mismatches: list[dict] = field(default_factory=list)
    timings: list[tuple[float, str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        slowest = sorted(self.timings, reverse=True)[:10]
        return {"seconds": round(self.seconds, 3), "api_calls": self.calls, "writes": self.writes,
                "dependent_reads": self.dependent_reads, "status_mismatches": self.mismatches[:20],
                "status_mismatch_count": len(self.mismatches),
                "slowest_calls": [{"call": call, "seconds": round(sec, 3)} for sec, call in slowest]}


class Replayer:
    """Sends recorded requests to one emulator, keeping the recorded -> new id map across phases."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.ids: dict[str, str] = {}
        self._conn: http.client.HTTPConnection | None = None

    def _send(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, float]:
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                started = time.perf_counter()
                self._conn.request(method, target, body=body or None, headers=headers)
                response = self._conn.getresponse()
                data = response.read()
                elapsed = time.perf_counter() - started
                if response.getheader("connection", "").lower() == "close":
                    self._conn.close()
                    self._conn = None
                return response.status, data, elapsed
            except (http.client.HTTPException, ConnectionError):
                self._conn.close()
                self._conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def run(self, name: str, entries: list[dict], indexes: list[int] | None = None) -> Phase:
        phase = Phase(name)
        for i in indexes if indexes is not None else range(len(entries)):
            entry = entries[i]
            method, target, headers, body = rewrite_request(entry, self.ids)
            status, data, elapsed = self._send(method, target, headers, body)
            phase.seconds += elapsed
            phase.calls += 1
            phase.timings.append((elapsed, label(entry)))
            if is_write(entry):
                phase.writes += 1
            elif indexes is not None:
                phase.dependent_reads += 1
            recorded = int(entry.get("status", 200))
            if (status >= 400) != (recorded >= 400):
                phase.mismatches.append({"call": label(entry), "recorded": recorded, "replayed": status,
                                         "response": data[:300].decode("utf-8", "replace")})
            old = body_bytes(entry, "response").decode("utf-8", "replace")
            self.ids.update(pair_ids(substitute(old, self.ids), data.decode("utf-8", "replace")))
        return phase

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def summarize_ids(ids: dict[str, str]) -> dict:
    """How many recorded ids the replay had to map (0 = the seeded emulator reproduced them exactly)."""
    sample = dict(list(ids.items())[:5])
    return {"mapped_ids": len(ids), "sample": json.loads(json.dumps(sample))}
