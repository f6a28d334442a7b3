"""The benchmark behind `make bench`: wall time and AWS API calls of the stack's runs, against a floor.

Against private emulators on free ports (never the one `make up` uses), in one session:

  1. plain emulator, seeded: cold deploy (site.yml on an empty account), no-op re-run,
     --check --diff on the converged stack, verify, then one inventory change;
  2. a fresh, identically seeded plain emulator: the floor — the cold deploy's create calls, then the
     no-op run's reads, replayed from one Python process (bench/replay.py);
  3. the realistic-latency emulator (tools/latency_emulator.py): a cold deploy, against the stack's
     critical path under that profile (bench/critical_path.py).

Prints the table, writes bench/results/<UTC time>.json and bench/results/latest.json, and with
--update-readme rewrites the README's Performance section. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import recording, report  # noqa: E402
from bench.critical_path import critical_path, sequential_waits  # noqa: E402
from bench.replay import Replayer, floor_plan, summarize_ids  # noqa: E402
from tests.support.aws import Emulator, run_playbook  # noqa: E402
from tools import emulator, latency_emulator  # noqa: E402

RESULTS = ROOT / "bench" / "results"
STAGES = ["preflight", "network", "endpoints", "secrets", "registry", "database", "edge", "services"]
SEED = 42
# The inventory change: raise the Aurora Serverless v2 maximum capacity (ACU).
CHANGE = ("-e", "database_max_capacity=8")


# -- one emulator --------------------------------------------------------------------
# The plain emulator has no transition delay at all: the tests' emulator issues a certificate after
# 1 s so that they go through the module's wait, but AWS's own delays belong to the realistic profile,
# and the plain figures measure what the playbooks add to the API calls.
PLAIN_ENV = {"MOTO_ACM_VALIDATION_WAIT": "0"}


class BenchEmulator:
    def __init__(self, workdir: Path, name: str, profile: str = "none", scale: float = 1.0, refuse: bool = True):
        self.port = emulator.free_port()
        self.log = workdir / f"emulator-{name}.log"
        self.proc = latency_emulator.spawn(self.port, self.log, profile=profile, scale=scale, refuse=refuse,
                                           extra_env=PLAIN_ENV if profile == "none" else None)
        self.handle = Emulator(port=self.port, url=emulator.url(self.port), log=self.log)

    def _call(self, path: str, method: str = "POST") -> bytes:
        req = urllib.request.Request(f"{self.handle.url}{path}", method=method)
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.read()

    def fresh(self) -> None:
        """Empty and seeded, so identifiers are reproducible."""
        self._call("/moto-api/reset")
        self._call(f"/moto-api/seed?a={SEED}")

    def journal_start(self) -> None:
        self._call("/latency-api/journal/reset")
        self._call("/latency-api/journal/start")

    def journal_stop(self) -> list[dict]:
        self._call("/latency-api/journal/stop")
        raw = self._call("/latency-api/journal", method="GET").decode()
        return [json.loads(line) for line in raw.splitlines() if line.strip()]

    def status(self) -> dict:
        return json.loads(self._call("/latency-api/", method="GET"))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# -- one measured run ------------------------------------------------------------------
def run_figure(emu: BenchEmulator, workdir: Path, key: str, args: list[str]) -> tuple[dict, list[dict]]:
    timeline = workdir / f"{key}.timeline.jsonl"
    timeline.unlink(missing_ok=True)
    env = {
        "ANSIBLE_CALLBACKS_ENABLED": "bench_timeline",
        "ANSIBLE_CALLBACK_PLUGINS": str(ROOT / "bench" / "callback_plugins"),
        "BENCH_TIMELINE_PATH": str(timeline),
    }
    print(f"bench: {key}: ansible-playbook {' '.join(args)}", flush=True)
    emu.journal_start()
    wall_start = time.time()
    started = time.monotonic()
    run = run_playbook(emu.handle, *args, env=env, timeout=1800)
    seconds = time.monotonic() - started
    entries = emu.journal_stop()
    (workdir / f"{key}.out").write_text(run.output)
    (workdir / f"{key}.journal.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries))
    lines = timeline.read_text().splitlines() if timeline.exists() else []
    figure = {"args": args, "seconds": round(seconds, 3), "rc": run.rc, **recording.summarize(entries, lines)}
    plays, _, _, _ = recording.parse_timeline(lines)
    if plays:
        # ansible-playbook's own start (interpreter, collections, inventory) before the first play
        figure["startup_seconds"] = round(plays[0][0] - wall_start, 3)
    with contextlib.suppress(AssertionError):
        recap = run.recap()
        figure.update({"changed": recap.get("changed"), "failed": recap.get("failed"), "ok": recap.get("ok")})
    if run.rc != 0:
        figure["output_tail"] = run.output.strip().splitlines()[-25:]
    print(f"bench: {key}: {seconds:.1f} s, {len(entries)} API calls, rc={run.rc}, "
          f"changed={figure.get('changed')}", flush=True)
    return figure, entries


def median_run(runs: list[tuple[dict, list[dict]]]) -> tuple[dict, list[dict]]:
    """The run with the median wall time (the lower middle one of an even count), with every sample's time."""
    ordered = sorted(runs, key=lambda run: run[0]["seconds"])
    figure, entries = ordered[(len(ordered) - 1) // 2]
    if len(runs) > 1:
        figure["samples"] = [run[0]["seconds"] for run in runs]
    return figure, entries


def prune(figure: dict, keep_writes: bool) -> dict:
    if not keep_writes:
        figure.pop("write_calls", None)
    return figure


# -- what exists in the emulator -----------------------------------------------------------
def inventory(url: str) -> dict:
    """Resource counts (and the stack's VPC ids), to check that the floor rebuilt the same stack."""
    import boto3

    def client(service: str):
        return boto3.client(service, region_name="ap-northeast-1", endpoint_url=url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    probes = {
        "ec2 vpcs": lambda: len(client("ec2").describe_vpcs()["Vpcs"]),
        "ec2 subnets": lambda: len(client("ec2").describe_subnets()["Subnets"]),
        "ec2 route tables": lambda: len(client("ec2").describe_route_tables()["RouteTables"]),
        "ec2 security groups": lambda: len(client("ec2").describe_security_groups()["SecurityGroups"]),
        "ec2 vpc endpoints": lambda: len(client("ec2").describe_vpc_endpoints()["VpcEndpoints"]),
        "ssm parameters": lambda: len(client("ssm").describe_parameters(MaxResults=50)["Parameters"]),
        "ecr repositories": lambda: len(client("ecr").describe_repositories()["repositories"]),
        "rds clusters": lambda: len(client("rds").describe_db_clusters()["DBClusters"]),
        "rds instances": lambda: len(client("rds").describe_db_instances()["DBInstances"]),
        "route53 zones": lambda: len(client("route53").list_hosted_zones()["HostedZones"]),
        "acm certificates": lambda: len(client("acm").list_certificates()["CertificateSummaryList"]),
        "elbv2 load balancers": lambda: len(client("elbv2").describe_load_balancers()["LoadBalancers"]),
        "elbv2 target groups": lambda: len(client("elbv2").describe_target_groups()["TargetGroups"]),
        "wafv2 web acls": lambda: len(client("wafv2").list_web_acls(Scope="REGIONAL")["WebACLs"]),
        "ecs clusters": lambda: len(client("ecs").list_clusters()["clusterArns"]),
        "ecs task definitions": lambda: len(client("ecs").list_task_definitions()["taskDefinitionArns"]),
        "servicediscovery namespaces": lambda: len(client("servicediscovery").list_namespaces()["Namespaces"]),
        "iam roles": lambda: len(client("iam").list_roles()["Roles"]),
        "logs groups": lambda: len(client("logs").describe_log_groups()["logGroups"]),
        "cloudwatch alarms": lambda: len(client("cloudwatch").describe_alarms()["MetricAlarms"]),
        "sns topics": lambda: len(client("sns").list_topics()["Topics"]),
    }
    counts: dict = {}
    for name, probe in probes.items():
        try:
            counts[name] = probe()
        except Exception as exc:  # a layer the emulator cannot list is reported, not fatal
            counts[name] = f"error: {type(exc).__name__}"
    vpcs = client("ec2").describe_vpcs(Filters=[{"Name": "is-default", "Values": ["false"]}])["Vpcs"]
    return {"counts": counts, "vpc_ids": sorted(v["VpcId"] for v in vpcs)}


# -- the session ---------------------------------------------------------------------------
def layers_present() -> list[str]:
    text = (ROOT / "playbooks" / "site.yml").read_text()
    return [s for s in STAGES if f"import_playbook: {s}.yml" in text]


def machine() -> dict:
    info = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "load_before": ", ".join(f"{x:.2f}" for x in os.getloadavg())}
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().splitlines()[0].split()[1])
        info["memory_gb"] = round(kb / 1024 / 1024)
    for dist, key in (("ansible-core", "ansible_core"), ("moto", "moto"), ("boto3", "boto3")):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            info[key] = importlib.metadata.version(dist)
    return info


def git_commit() -> str:
    proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        return "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return proc.stdout.strip() + ("+changes" if dirty else "")


def measure(args: argparse.Namespace, workdir: Path) -> dict:
    layers = layers_present()
    results: dict = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "machine": machine(),
        "layers": layers,
        "missing_layers": [s for s in STAGES if s not in layers],
        "scale": args.scale,
        "repeat": args.repeat,
        "figures": {},
        "notes": [],
    }
    figures = results["figures"]

    # 1. the plain emulator
    plain = BenchEmulator(workdir, "plain")
    try:
        plain.fresh()
        figures["cold"], cold_entries = run_figure(plain, workdir, "cold", ["site.yml"])
        built = inventory(plain.handle.url)
        # No-op and plan alternate, so that a burst of load on the shared machine hits both alike.
        samples: dict[str, list[tuple[dict, list[dict]]]] = {"noop": [], "check": []}
        for i in range(args.repeat):
            suffix = f"-{i + 1}" if args.repeat > 1 else ""
            samples["noop"].append(run_figure(plain, workdir, f"noop{suffix}", ["site.yml"]))
            samples["check"].append(run_figure(plain, workdir, f"check{suffix}", ["site.yml", "--check", "--diff"]))
        figures["noop"], noop_entries = median_run(samples["noop"])
        figures["check"], _ = median_run(samples["check"])
        if (ROOT / "playbooks" / "verify.yml").exists():
            figures["verify"], _ = run_figure(plain, workdir, "verify", ["playbooks/verify.yml"])
        else:
            figures["verify"] = {"skipped": "playbooks/verify.yml does not exist yet"}
        if "database" in layers:
            figures["change"], _ = run_figure(plain, workdir, "change", ["site.yml", *CHANGE])
            figures["change"]["change"] = " ".join(CHANGE)
        else:
            figures["change"] = {"skipped": "the database layer (whose max ACU the change raises) is absent"}
    finally:
        plain.stop()
    for key, fig in figures.items():
        prune(fig, keep_writes=key in ("noop", "check", "verify"))

    # 2. the floor
    results["floor"] = floor(workdir, cold_entries, noop_entries, built)

    # 3. the realistic-latency profile
    seconds = latency_emulator.durations("realistic", args.scale)
    cp_seconds, cp_path = critical_path(seconds, set(layers))
    results["critical_path"] = {"seconds": cp_seconds, "path": cp_path, "profile_seconds": seconds,
                                "sequential_waits": sequential_waits(seconds, set(layers))}
    if args.skip_realistic:
        figures["realistic_cold"] = {"skipped": "--skip-realistic"}
    else:
        figures["realistic_cold"] = realistic(workdir, args.scale, refuse=True)
        refused = figures["realistic_cold"].get("refusals_seen")
        if figures["realistic_cold"]["rc"] != 0 and refused:
            results["notes"].append(
                f"Under the realistic profile the cold deploy failed on what AWS refuses while a resource is in "
                f"transition ({', '.join(refused)}); the figure shown is a second run with those refusals off.")
            figures["realistic_cold_strict"] = figures["realistic_cold"]
            figures["realistic_cold"] = realistic(workdir, args.scale, refuse=False)
    if results["missing_layers"]:
        results["notes"].append(f"Measured without the layers not yet in site.yml: "
                                f"{', '.join(results['missing_layers'])}.")
    results["targets"] = report.targets(results)
    return results


def floor(workdir: Path, cold_entries: list[dict], noop_entries: list[dict], built: dict) -> dict:
    emu = BenchEmulator(workdir, "floor")
    try:
        emu.fresh()
        replayer = Replayer(emulator.HOST, emu.port)
        plan = floor_plan(cold_entries)
        print(f"bench: floor: replaying {len(plan)} of the cold deploy's {len(cold_entries)} requests", flush=True)
        create = replayer.run("create", cold_entries, plan)
        rebuilt = inventory(emu.handle.url)
        print(f"bench: floor: replaying the no-op run's {len(noop_entries)} requests", flush=True)
        read = replayer.run("read", noop_entries)
        replayer.close()
    finally:
        emu.stop()
    mapped_vpcs = sorted(replayer.ids.get(v, v) for v in built["vpc_ids"])
    diff = {k: [built["counts"][k], rebuilt["counts"].get(k)] for k in built["counts"]
            if built["counts"][k] != rebuilt["counts"].get(k)}
    out = {
        "create": create.as_dict(),
        "read": read.as_dict(),
        "ids": summarize_ids(replayer.ids),
        "inventory": built["counts"],
        "inventory_differences": diff,
        "same_vpc_ids": mapped_vpcs == rebuilt["vpc_ids"],
        "reproduced": not diff and mapped_vpcs == rebuilt["vpc_ids"],
        "method": "replay of the recorded requests (bench/replay.py); only HTTP round trips are timed",
    }
    print(f"bench: floor: create {create.seconds:.2f} s ({create.calls} calls), read {read.seconds:.2f} s "
          f"({read.calls} calls), stack reproduced: {out['reproduced']}", flush=True)
    return out


REFUSAL_CODES = ("UnsupportedCertificate", "WAFUnavailableEntityException", "InvalidDBClusterStateFault",
                 "InvalidDBInstanceState")


def realistic(workdir: Path, scale: float, refuse: bool) -> dict:
    name = "realistic" if refuse else "realistic-lenient"
    emu = BenchEmulator(workdir, name, profile="realistic", scale=scale, refuse=refuse)
    try:
        emu.fresh()
        # The plain emulator never finishes an ECS deployment, so the inventory skips the steady-state
        # wait there; this profile finishes deployments as AWS does, so the wait is measured as on AWS.
        figure, entries = run_figure(emu, workdir, name, ["site.yml", "-e", "services_wait=true"])
        figure["still_in_transition_at_end"] = emu.status().get("pending", {})
    finally:
        emu.stop()
    seen = sorted({code for e in entries if int(e.get("status", 200)) >= 400
                   for code in REFUSAL_CODES if code.encode() in recording.body_bytes(e, "response")})
    figure["refusals"] = refuse
    figure["refusals_seen"] = seen
    return prune(figure, keep_writes=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=latency_emulator.DEFAULT_SCALE,
                        help="realistic profile: seconds per minute of real AWS (default 1)")
    parser.add_argument("--skip-realistic", action="store_true", help="leave out the realistic-latency run")
    parser.add_argument("--repeat", type=int, default=1, choices=range(1, 6), metavar="N",
                        help="run the no-op and the plan N times each, alternating, and report the median (1-5)")
    parser.add_argument("--update-readme", action="store_true", help="rewrite the README's Performance section")
    parser.add_argument("--keep", action="store_true",
                        help="keep the journals and playbook outputs in .local/bench/ (they hold request bodies)")
    args = parser.parse_args(argv)

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    workdir = ROOT / ".local" / "bench" / stamp
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        results = measure(args, workdir)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    RESULTS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=2, sort_keys=False) + "\n"
    (RESULTS / f"{stamp}.json").write_text(text)
    (RESULTS / "latest.json").write_text(text)
    print()
    print(report.table(results, markdown=False))
    print()
    print(report.targets_table(results))
    print()
    print(report.stage_table(results))
    print(f"\nresults: bench/results/{stamp}.json (and latest.json)")
    if args.update_readme:
        readme = ROOT / "README.md"
        readme.write_text(report.update_readme(readme.read_text(), report.readme_section(results)))
        print("README.md: Performance section updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
