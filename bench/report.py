"""The benchmark's table, the issue's targets, and the README's Performance section (pure)."""

from __future__ import annotations

import re
import textwrap

README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"

FIGURES = [
    # key, label, compared with (floor phase)
    ("cold", "cold deploy (site.yml, empty account)", "create"),
    ("noop", "no-op re-run (site.yml)", "create"),
    ("change", "one inventory change", "create"),
    ("check", "--check --diff, converged", "create"),
    ("verify", "verify (playbooks/verify.yml)", "read"),
    ("floor_create", "floor: the cold deploy's create calls", "create"),
    ("floor_read", "floor: the no-op run's reads", "read"),
]


def _ratio(value: float | None, base: float | None) -> str:
    if value is None or not base:
        return "n/a"
    return f"{value / base:.1f}x"


def rows(results: dict) -> list[list[str]]:
    """[figure, seconds, API calls, changed, x floor] for each figure measured (n/a when not)."""
    figures, floor = results.get("figures", {}), results.get("floor", {})
    out = []
    for key, text, base in FIGURES:
        if key.startswith("floor_"):
            phase = floor.get(key.split("_", 1)[1])
            if not phase:
                out.append([text, "n/a", "n/a", "", ""])
                continue
            out.append([text, f"{phase['seconds']:.2f}", str(phase["api_calls"]), "",
                        _ratio(phase["seconds"], (floor.get(base) or {}).get("seconds"))])
            continue
        fig = figures.get(key)
        if not fig or fig.get("skipped"):
            out.append([text, "n/a", "n/a", "", (fig or {}).get("skipped", "not run")])
            continue
        seconds = fig["seconds"]
        failed = "" if fig.get("rc", 0) == 0 else f" (failed, rc={fig['rc']})"
        out.append([text + failed, f"{seconds:.1f}", str(fig["api_calls"]), str(fig.get("changed", "")),
                    f"{_ratio(seconds, (floor.get(base) or {}).get('seconds'))} floor {base}"])
    real = figures.get("realistic_cold")
    if real and not real.get("skipped"):
        cp = results.get("critical_path", {})
        bound = cp.get("seconds", 0.0) + (figures.get("cold") or {}).get("seconds", 0.0)
        failed = "" if real.get("rc", 0) == 0 else f" (failed, rc={real['rc']})"
        out.append([f"cold deploy, realistic latency (scale {results.get('scale', 1):g}){failed}",
                    f"{real['seconds']:.1f}", str(real["api_calls"]), str(real.get("changed", "")),
                    f"{_ratio(real['seconds'], bound)} (critical path {cp.get('seconds', 0):.0f} s + plain cold)"])
    return out


def table(results: dict, markdown: bool = True) -> str:
    header = ["figure", "seconds", "API calls", "changed", "ratio"]
    body = rows(results)
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in body]
        return "\n".join(lines)
    widths = [max(len(str(r[i])) for r in [header, *body]) for i in range(len(header))]
    fmt = "  ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths))
    return "\n".join(fmt.format(*r) for r in [header, *body])


def targets(results: dict) -> list[dict]:
    """The issue's targets: measured value, limit, met (None = could not be measured)."""
    figures, floor = results.get("figures", {}), results.get("floor", {})

    def secs(key: str) -> float | None:
        fig = figures.get(key) or {}
        return None if fig.get("skipped") or "seconds" not in fig or fig.get("rc", 0) != 0 else fig["seconds"]

    create = (floor.get("create") or {}).get("seconds")
    noop, cold, check, real = secs("noop"), secs("cold"), secs("check"), secs("realistic_cold")
    cp = (results.get("critical_path") or {}).get("seconds")
    out = []

    def add(name: str, value: float | None, limit: float | None, text: str, met: bool | None = None):
        if met is None and value is not None and limit is not None:
            met = value <= limit
        out.append({"target": name, "value": None if value is None else round(value, 2),
                     "limit": None if limit is None else round(limit, 2), "met": met, "how": text})

    add("no-op re-run ≤ 3x floor create", noop, None if create is None else 3 * create,
        "no-op seconds vs 3 x floor create seconds")
    add("no-op re-run ≤ 20 s", noop, 20.0, "no-op seconds")
    add("cold deploy ≤ 5x floor create", cold, None if create is None else 5 * create,
        "cold seconds vs 5 x floor create seconds")
    add("realistic cold ≤ 1.2x (critical path + plain cold)", real,
        None if cp is None or cold is None else 1.2 * (cp + cold),
        "realistic-profile cold seconds vs 1.2 x (critical path + plain cold)")
    if noop is not None and check is not None:
        add("--check --diff within 10% of no-op", check, round(1.1 * noop, 2), "check seconds vs no-op ± 10%",
            abs(check - noop) <= 0.1 * noop)
    else:
        add("--check --diff within 10% of no-op", check, None, "check seconds vs no-op ± 10%")
    repeats = (figures.get("noop") or {}).get("repeated_reads")
    add("no role reads the same resource twice (no-op)", None if repeats is None else float(len(repeats)), 0.0,
        "roles with a read repeated with identical parameters",
        None if repeats is None else not repeats)
    return out


def targets_table(results: dict) -> str:
    lines = ["| target | measured | limit | met |", "|---|---|---|---|"]
    for t in targets(results):
        met = {True: "yes", False: "**no**", None: "n/a"}[t["met"]]
        value = "n/a" if t["value"] is None else f"{t['value']:g}"
        limit = "n/a" if t["limit"] is None else f"{t['limit']:g}"
        lines.append(f"| {t['target']} | {value} | {limit} | {met} |")
    return "\n".join(lines)


def stage_table(results: dict, key: str = "noop") -> str:
    stages = ((results.get("figures") or {}).get(key) or {}).get("stages") or {}
    lines = ["| stage | seconds | tasks run | API calls | reads | writes | calls per role |",
             "|---|---|---|---|---|---|---|"]
    for stage, row in stages.items():
        roles = ", ".join(f"{r} {n}" for r, n in sorted(row["roles"].items(), key=lambda kv: -kv[1]))
        lines.append(f"| {stage} | {row['seconds']:.1f} | {row['tasks']} | {row['calls']} | {row['reads']} | "
                     f"{row['writes']} | {roles} |")
    return "\n".join(lines)


def machine_line(machine: dict) -> str:
    return (f"{machine.get('cpus', '?')} CPUs ({machine.get('cpu_model', '?')}), "
            f"{machine.get('memory_gb', '?')} GB RAM, load average {machine.get('load_before', '?')} at start, "
            f"Python {machine.get('python', '?')}, ansible-core {machine.get('ansible_core', '?')}, "
            f"moto {machine.get('moto', '?')}")


def readme_section(results: dict) -> str:
    layers = ", ".join(results.get("layers", [])) or "?"
    missing = results.get("missing_layers") or []
    lines = [
        README_START,
        f"Measured by `make bench` on {results.get('date', '?')} (commit `{results.get('commit', '?')}`), "
        f"on {machine_line(results.get('machine', {}))}. Layers present: {layers}"
        + (f"; not yet in site.yml: {', '.join(missing)}." if missing else "."),
        "",
        table(results),
        "",
        "Targets of the performance issue:",
        "",
        targets_table(results),
        "",
        "Where the no-op run spends its time:",
        "",
        stage_table(results),
    ]
    lines += ["", *[f"- {n}" for n in details(results)]]
    lines.append(README_END)
    return "\n".join(lines)


def details(results: dict) -> list[str]:
    """How the figures were obtained, and what they flag, one sentence each."""
    figures, floor = results.get("figures", {}), results.get("floor", {})
    out = []
    for key, text in (("noop", "no-op"), ("check", "--check --diff")):
        samples = (figures.get(key) or {}).get("samples")
        if samples:
            out.append(f"{text}: median of {len(samples)} alternating runs "
                       f"({', '.join(f'{x:.1f}' for x in samples)} s).")
    if floor.get("create") and floor.get("read"):
        create = floor["create"]
        out.append(f"Floor: {create.get('writes', 0)} write requests of the cold deploy plus the "
                   f"{create.get('dependent_reads', 0)} reads they depend on, replayed on a fresh seeded emulator, "
                   f"then the no-op run's {floor['read'].get('api_calls', 0)} requests; stack reproduced: "
                   f"{'yes' if floor.get('reproduced') else 'NO'} ({floor.get('ids', {}).get('mapped_ids', 0)} "
                   f"recorded ids mapped to new ones).")
    real = figures.get("realistic_cold") or {}
    if "seconds" in real:
        cp = results.get("critical_path", {})
        out.append(f"Realistic profile at {results.get('scale', 1):g} s per AWS minute: critical path "
                   f"{cp.get('seconds', 0):g} s ({' → '.join(cp.get('path', []))}); a playbook waiting for each slow "
                   f"resource in turn would wait {cp.get('sequential_waits', 0):g} s. Refusals met: "
                   f"{', '.join(real.get('refusals_seen') or []) or 'none'}; still in transition when the run "
                   f"ended: {', '.join(real.get('still_in_transition_at_end') or {}) or 'nothing'}.")
    repeats = (figures.get("noop") or {}).get("repeated_reads") or {}
    for role, reads in repeats.items():
        for read in reads:
            out.append(f"Repeated read in the no-op run, role `{role}`: `{read['read'][:120]}` "
                       f"{read['times']} times ({'; '.join(read.get('tasks', []))}).")
    out += results.get("notes") or []
    return out


def update_readme(text: str, section: str) -> str:
    """Replace the marked section, or append a Performance section with it."""
    pattern = re.compile(re.escape(README_START) + r".*?" + re.escape(README_END), re.S)
    if pattern.search(text):
        return pattern.sub(lambda _: section, text)
    intro = ("\n## Performance\n\n"
             "`make bench` measures the stack against private emulators: a cold deploy, a no-op re-run, one "
             "inventory change, `--check --diff` on the converged stack and the verification, each against a "
             "floor (the same create calls, then the same reads, sent from one Python process), and a cold "
             "deploy under a realistic-latency profile against the stack's critical path. It writes "
             "`bench/results/<time>.json` and `latest.json`; `make bench BENCH_ARGS=--update-readme` refreshes "
             "this section. `bench/README.md` explains each figure, the floor, the latency profile and the "
             "dependency graph. The machine below was shared with other work while it ran (see its load "
             "average): compare figures of one session, not across sessions.\n\n")
    intro = "\n".join(textwrap.fill(part, 78) if part and not part.startswith("#") else part
                      for part in intro.split("\n"))
    return text.rstrip("\n") + "\n" + intro + section + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the tables of a results file; --update-readme rewrites the README's section from it."""
    import argparse
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=main.__doc__)
    parser.add_argument("results", nargs="?", default=str(root / "bench" / "results" / "latest.json"))
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args(argv)
    results = json.loads(Path(args.results).read_text())
    print(table(results, markdown=False), targets_table(results), stage_table(results), sep="\n\n")
    if args.update_readme:
        readme = root / "README.md"
        readme.write_text(update_readme(readme.read_text(), readme_section(results)))
        print("\nREADME.md: Performance section updated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
