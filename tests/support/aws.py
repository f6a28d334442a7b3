"""The emulator handle, request-recording helpers and playbook runner used by the tests."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "collections"))

from tools import emulator  # noqa: E402

BIN = Path(sys.executable).parent

# Request kinds that do not change anything (query and JSON protocols).
READ_PREFIXES = ("Describe", "List", "Get", "Check", "Search", "Lookup")


@dataclass
class Emulator:
    port: int
    url: str
    log: Path

    def reset(self) -> None:
        emulator.reset(self.port)

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "ap-northeast-1",
            "AWS_REGION": "ap-northeast-1",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        })
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            env.pop(key, None)
        env.update(extra)
        return env

    def client(self, service: str):
        import boto3

        return boto3.client(service, region_name="ap-northeast-1", endpoint_url=self.url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    # -- request recording (moto's recorder) -----------------------------------
    def _post(self, path: str) -> bytes:
        req = urllib.request.Request(f"{self.url}{path}", method="POST" if "download" not in path else "GET")
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.read()

    def start_recording(self) -> None:
        self._post("/moto-api/recorder/reset-recording")
        self._post("/moto-api/recorder/start-recording")

    def stop_recording(self) -> list[dict]:
        self._post("/moto-api/recorder/stop-recording")
        raw = self._post("/moto-api/recorder/download-recording").decode()
        return [json.loads(line) for line in raw.splitlines() if line.strip()]


def request_action(record: dict) -> str:
    """The API action of one recorded request ('Service.Action' or the REST method + path)."""
    headers = {k.lower(): v for k, v in (record.get("headers") or {}).items()}
    target = headers.get("x-amz-target")
    if target:
        return target.split(".")[-1]
    body = record.get("body") or ""
    with contextlib.suppress(ValueError, TypeError):
        body = base64.b64decode(body).decode("utf-8", "replace") if record.get("body_encoded", True) else body
    params = urllib.parse.parse_qs(body) if isinstance(body, str) else {}
    query = urllib.parse.parse_qs(urllib.parse.urlparse(record.get("url", "")).query)
    action = (params.get("Action") or query.get("Action") or [None])[0]
    if action:
        return action
    return f"{record.get('method', 'GET')} {urllib.parse.urlparse(record.get('url', '')).path}"


# The environment's run lock (playbooks/run-lock.yml): a real run takes and releases it.
LOCK_TABLE = "solo-saving-run-locks"


def is_lock_request(record: dict) -> bool:
    """A request on the run lock's DynamoDB table (the run's bookkeeping, not the stack)."""
    if request_service(record) != "dynamodb":
        return False
    body = record.get("body") or ""
    with contextlib.suppress(ValueError, TypeError):
        body = base64.b64decode(body).decode("utf-8", "replace") if record.get("body_encoded", True) else body
    return f'"TableName": "{LOCK_TABLE}"' in body or f'"TableName":"{LOCK_TABLE}"' in body


def is_write(record: dict) -> bool:
    """A request that changes the stack. The run lock's own writes (every real run of a writing playbook
    takes and releases it) are bookkeeping, not changes: is_lock_request tells them."""
    if is_lock_request(record):
        return False
    action = request_action(record)
    if " " in action:  # REST protocol: the method decides
        method = action.split(" ", 1)[0]
        return method not in ("GET", "HEAD")
    return not action.startswith(READ_PREFIXES)


@dataclass
class PlaybookRun:
    rc: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def recap(self) -> dict[str, int]:
        """The PLAY RECAP counters of the single host."""
        for line in self.stdout.splitlines()[::-1]:
            if line.startswith("localhost") and "ok=" in line:
                return {k: int(v) for k, v in (part.split("=") for part in line.split(":", 1)[1].split())}
        raise AssertionError(f"no PLAY RECAP in the output:\n{self.output[-3000:]}")


def run_playbook(aws: Emulator, *args: str, env: dict[str, str] | None = None, check: bool = False,
                 timeout: int = 900) -> PlaybookRun:
    """Run ansible-playbook from the project root against ``aws``."""
    cmd = [str(BIN / "ansible-playbook"), *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=aws.env(**(env or {})), capture_output=True, text=True,
                          timeout=timeout)
    run = PlaybookRun(proc.returncode, proc.stdout, proc.stderr)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed (rc={proc.returncode}):\n{run.output[-6000:]}")
    return run




def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc), children first listed, whatever their session."""
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            with contextlib.suppress(OSError):
                for child in (task / "children").read_text().split():
                    found.append(int(child))
                    queue.append(int(child))
    return found


def kill_run(proc: subprocess.Popen) -> None:
    """SIGKILL an ansible-playbook run and every process it started, as a crash of the machine would.

    Killing its process group is not enough: ansible-core starts each worker in a session of its own,
    and under mitogen an orphaned worker waits for the dead run instead of exiting.
    """
    below = descendants(proc.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    for pid in below:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def break_lock_after_a_kill(aws: Emulator) -> None:
    """What an operator does after a run was killed (README, "One run at a time"): the killed run's lock
    holds, and the documented playbook breaks it."""
    item = aws.client("dynamodb").get_item(TableName=LOCK_TABLE, Key={"lock_id": {"S": "solo-saving-local"}})
    assert item.get("Item"), "the killed run held no run lock"
    run_playbook(aws, "playbooks/break-lock.yml", "-e", "break_lock_confirm=solo-saving-local", check=True)


def request_service(record: dict) -> str:
    """The AWS service a recorded request was signed for (from the SigV4 scope)."""
    headers = {k.lower(): v for k, v in (record.get("headers") or {}).items()}
    auth = headers.get("authorization", "")
    if "Credential=" in auth:
        return auth.split("Credential=", 1)[1].split("/")[3]
    return "?"
