"""Run every benchmark, collect the headline numbers in one Markdown table, write bench/RESULTS.md.

    python bench/run_all.py            # the full benchmarks (about 20 minutes on 2 cores)
    python bench/run_all.py --quick    # each with its quick settings (about 5 minutes)
    python bench/run_all.py --only rules cycle

Each script runs in its own process, one after another, so that they do not compete for
the machine. A script that is missing, fails or prints something this collector cannot
read gets its rows marked "missing" with the reason; the others still run (``--strict``
makes the exit code say so). ``ratio`` is ours / baseline; "what" says which
way is better. Each script's own output follows the table in RESULTS.md, as evidence.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "RESULTS.md"
TUI_DATA = Path(tempfile.gettempdir()) / "maas-bench-run-all-tui"  # built once, reused by later runs


@dataclass
class Row:
    what: str
    ours: str
    baseline: str
    ratio: str
    command: str


@dataclass
class Bench:
    name: str
    script: str
    full: list[str]
    quick: list[str]
    read: Callable[[str, str], list[Row]]  # (stdout, command) -> rows
    what: list[str] = field(default_factory=list)  # the rows it should give, for "missing"


class Unreadable(Exception):
    """The script ran but its output does not hold the expected numbers."""


def _ratio(ours: float, baseline: float) -> str:
    return f"x{ours / baseline:.2f}" if baseline else "-"


def _last_json(stdout: str) -> Any:
    """The JSON value at the end of the output: one line, or indented over several."""
    lines = stdout.rstrip().splitlines()
    for i in range(len(lines) - 1, -1, -1):
        if lines[i][:1] in ("{", "["):
            try:
                return json.loads("\n".join(lines[i:]))
            except json.JSONDecodeError:
                continue
    raise Unreadable("no JSON at the end of the output")


# --- readers, one per script ---------------------------------------------------------------


def read_rules(stdout: str, command: str) -> list[Row]:
    data = _last_json(stdout)
    ps = data["per_second"]
    rows = []
    for kind in ("decide", "check_change"):
        ours, ref = ps[f"durable-rules/{kind}"], ps[f"reference/{kind}"]
        rows.append(Row(f"rules: `{kind}` decisions/s, durable-rules vs the tests' reference interpreter "
                        "(higher is better)", f"{ours:,.0f}/s", f"{ref:,.0f}/s", _ratio(ours, ref), command))
    memory = data.get("memory") or {}
    if memory:
        dr, ref = memory["durable-rules"], memory["reference"]
        growth = lambda m: m["rss_end_mb"] - m["rss_warm_mb"]  # noqa: E731
        rows.append(Row(f"rules: RSS growth over {dr['evaluations']:,} evaluations (lower is better)",
                        f"{growth(dr):+.1f} MB", f"{growth(ref):+.1f} MB", "-", command))
    if data["disagreements"]:
        rows.append(Row("rules: answers that differ from the reference", str(data["disagreements"]), "0", "-", command))
    return rows


STORE_ROW = re.compile(r"^\s*([\d,]+)\s{2}(.+?)\s{2,}(\d+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s+([\d.]+)\s*$")


def read_store(stdout: str, command: str) -> list[Row]:
    median: dict[tuple[str, int], float] = {}
    for line in stdout.splitlines():
        m = STORE_ROW.match(line)
        if m:
            median[(m.group(2).strip(), int(m.group(1).replace(",", "")))] = float(m.group(4))
    sizes = sorted({size for _, size in median})
    if len(sizes) != 2 or ("maas store", sizes[1]) not in median:
        raise Unreadable("no maas store rows for two history sizes in the table")
    small, large = sizes
    ours = median[("maas store", large)]
    rows = []
    for baseline in ("sqlite3 WAL FULL", "TinyDB JSONStorage"):
        if (baseline, large) in median:
            theirs = median[(baseline, large)]
            rows.append(Row(f"store: median commit with {large:,} records of history, vs {baseline} (lower is better)",
                            f"{ours:.2f} ms", f"{theirs:.2f} ms", _ratio(ours, theirs), command))
    growth = ours / median[("maas store", small)]
    sqlite = [median[("sqlite3 WAL FULL", s)] for s in sizes if ("sqlite3 WAL FULL", s) in median]
    rows.append(Row(f"store: commit growth, history {large:,} / {small:,} (1.0 = flat)", f"x{growth:.2f}",
                    f"x{sqlite[1] / sqlite[0]:.2f} (sqlite3)" if len(sqlite) == 2 else "-", "-", command))
    return rows


def read_cycle(stdout: str, command: str) -> list[Row]:
    data = _last_json(stdout)
    empty, full = data["rows"]
    rows = [
        Row(f"cycle: Manager's own overhead per cycle, {full['lane']} stored vs an empty store, median "
            "(lower is better)", f"{full['overhead_ms_median']:.0f} ms", f"{empty['overhead_ms_median']:.0f} ms",
            _ratio(full["overhead_ms_median"], empty["overhead_ms_median"]), command),
        Row(f"cycle: same, p95 over {full['cycles']} cycles (lower is better)",
            f"{full['overhead_ms_p95']:.0f} ms", f"{empty['overhead_ms_p95']:.0f} ms",
            _ratio(full["overhead_ms_p95"], empty["overhead_ms_p95"]), command),
        Row("cycle: overhead's share of a cycle (rest: emulation, judging, golden set), median",
            f"{full['share_median']:.0%}", f"{empty['share_median']:.0%}", "-", command),
        Row(f"cycle: engine start (file check, recovery) with {full['lane']} vs empty", f"{full['recover_s']:.2f} s",
            f"{empty['recover_s']:.2f} s", "-", command),
    ]
    if not data["same_path"]:
        rows.append(Row("cycle: WARNING the two stores took different paths", "-", "-", "-", command))
    return rows


def read_tui(stdout: str, command: str) -> list[Row]:
    found: dict[str, float] = {}
    for line in stdout.split("-- over")[-1].splitlines():  # with repeats: the summary over the runs
        m = re.match(r"^(start-up[^0-9]*?|longest [^0-9]*?)\s+([\d,]+\.?\d*)\s*$", line)
        if m:
            found[m.group(1).strip()] = float(m.group(2).replace(",", ""))
    startup = next((v for k, v in found.items() if k.startswith("start-up")), None)
    worst = next((v for k, v in found.items() if k.startswith("longest") and "median" not in k), None)
    median = next((v for k, v in found.items() if k.startswith("longest") and "median" in k), worst)
    if startup is None or worst is None:
        raise Unreadable("no start-up and longest-stall lines in the output")
    return [
        Row("TUI: start-up to a filled main screen (lower is better)", f"{startup:.2f} s", "-", "-", command),
        Row("TUI: longest event-loop stall while browsing, engine committing, median of runs (lower is better)",
            f"{median:.0f} ms", "100 ms (issue 6's bar)", _ratio(median, 100.0), command),
        Row("TUI: same, worst run (lower is better)", f"{worst:.0f} ms", "100 ms (issue 6's bar)",
            _ratio(worst, 100.0), command),
    ]


def read_emulator(stdout: str, command: str) -> list[Row]:
    try:
        data = json.loads(stdout[stdout.index("{"):stdout.rindex("}") + 1])
    except ValueError as exc:
        raise Unreadable(f"no JSON object in the output ({exc})") from None
    rows = [Row("emulator: emulated dialogues per second, 1 worker (higher is better)",
                f"{data['dialogues_per_second']:,.1f}/s", "-", "-", command)]
    if data.get("cycle_seconds_median") is not None:
        rows.append(Row("emulator: MaaS work of one cycle (2 batches of 30, verdict, golden check)",
                        f"{data['cycle_seconds_median']:.2f} s", "-", "-", command))
    return rows


def read_tuning(stdout: str, command: str) -> list[Row]:
    results = _last_json(stdout)
    if not isinstance(results, list):
        raise Unreadable("the JSON line is not a list of results")
    by_method: dict[str, list[float]] = {}
    reached: dict[str, str] = {}
    for method in ("manager", "random", "tpe"):
        mine = [r for r in results if r["method"] == method]
        if mine:
            by_method[method] = [r["dialogues_to_target"] if r["reached"] else float("inf") for r in mine]
            reached[method] = f"{sum(r['reached'] for r in mine)}/{len(mine)} reached"
    if "manager" not in by_method:
        raise Unreadable("no manager results")
    show = lambda v: "not reached" if v == float("inf") else f"{v:,.0f}"  # noqa: E731
    ours = statistics.median(by_method["manager"])
    rows = []
    for baseline, label in (("random", "random search"), ("tpe", "Optuna TPE")):
        if baseline not in by_method:
            rows.append(Row(f"tuning: dialogues to reach every target, vs {label}", show(ours),
                            "missing (not run)", "-", command))
            continue
        theirs = statistics.median(by_method[baseline])
        ratio = _ratio(ours, theirs) if ours != float("inf") and theirs != float("inf") else "-"
        rows.append(Row(f"tuning: emulated dialogues to reach every target, median of seeds, vs {label} "
                        "(lower is better)", f"{show(ours)} ({reached['manager']})",
                        f"{show(theirs)} ({reached[baseline]})", ratio, command))
    return rows


BENCHES = [
    Bench("rules", "bench_rules.py", ["--json"], ["--quick", "--json"], read_rules,
          ["rules: decisions per second, durable-rules vs the reference interpreter"]),
    Bench("store", "bench_store.py", [], ["--quick"], read_store,
          ["store: commit latency with 1k and 100k history vs sqlite3 and stock TinyDB"]),
    Bench("cycle", "bench_cycle.py", ["--json"], ["--quick", "--json"], read_cycle,
          ["cycle: the Manager's overhead per cycle, 10k experiments vs empty"]),
    Bench("tui", "bench_tui.py", ["--data", str(TUI_DATA)], ["--quick"], read_tui,
          ["TUI: start-up and longest event-loop stall"]),
    Bench("emulator", "bench_emulator.py", [], ["--dialogues", "150", "--cycles", "2"], read_emulator,
          ["emulator: dialogues per second"]),
    Bench("tuning", "bench_tuning.py", ["--json"], ["--quick", "--json"], read_tuning,
          ["tuning: dialogues to target, Manager vs random search and Optuna TPE"]),
]


def tui_quick_args(script: Path) -> list[str]:
    """bench_tui.py's quick settings: its own --quick if it has one, else a smaller store."""
    help_text = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True,
                               timeout=120).stdout
    once = ["--repeat", "1"] if "--repeat" in help_text else []
    if "--quick" in help_text:
        return (["--quick", "--data", str(TUI_DATA)] if "--data" in help_text else ["--quick"]) + once
    if "--experiments" in help_text and "--log" in help_text:
        return ["--data", str(TUI_DATA), "--experiments", "2000", "--log", "20000"]
    return []


def run_one(bench: Bench, quick: bool, timeout_s: float) -> tuple[list[Row], str, float]:
    script = BENCH / bench.script
    args = bench.quick if quick else bench.full
    if not script.exists():
        raise Unreadable(f"bench/{bench.script} does not exist (yet)")
    if bench.name == "tui" and quick:
        args = tui_quick_args(script)
    command = " ".join(["python", f"bench/{bench.script}", *map(shlex.quote, args)])
    started = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                              timeout=timeout_s, cwd=BENCH.parent)
    except subprocess.TimeoutExpired:
        raise Unreadable(f"no result within {timeout_s:.0f} s") from None
    elapsed = time.perf_counter() - started
    output = proc.stdout + (f"\n[stderr]\n{proc.stderr.strip()}" if proc.stderr.strip() else "")
    if proc.returncode != 0:
        last = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()[-1]
        raise Unreadable(f"exited with {proc.returncode}: {last}\n{output}")
    try:
        return bench.read(proc.stdout, command), output, elapsed
    except (Unreadable, KeyError, IndexError, TypeError, ValueError) as exc:
        raise Unreadable(f"output not understood ({type(exc).__name__}: {exc})\n{output}") from None


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_table(rows: list[Row]) -> str:
    lines = ["| what | ours | baseline | ratio | command |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {_cell(r.what)} | {_cell(r.ours)} | {_cell(r.baseline)} | {_cell(r.ratio)} | "
                     f"`{_cell(r.command)}` |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="run each benchmark with its quick settings")
    parser.add_argument("--only", nargs="+", choices=[b.name for b in BENCHES], help="run only these benchmarks")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed per benchmark (default 3600)")
    parser.add_argument("--strict", action="store_true", help="exit with 1 when a benchmark's rows are missing")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"where to write the results (default {RESULTS})")
    args = parser.parse_args(raw)

    rows: list[Row] = []
    sections: list[str] = []
    missing = 0
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    started = time.perf_counter()
    for bench in BENCHES:
        if args.only and bench.name not in args.only:
            continue
        print(f"running {bench.script} ...", file=sys.stderr, flush=True)
        try:
            got, output, elapsed = run_one(bench, args.quick, args.timeout)
            rows += got
            sections.append(f"### {bench.script} ({elapsed:.0f} s)\n\n```\n{output.strip()}\n```")
            print(f"  done in {elapsed:.0f} s", file=sys.stderr, flush=True)
        except Unreadable as exc:
            reason, _, output = str(exc).partition("\n")
            missing += 1
            rows += [Row(what, "missing", "-", "-", f"bench/{bench.script}: {reason}") for what in bench.what]
            sections.append(f"### {bench.script}: missing\n\n{reason}"
                            + (f"\n\n```\n{output.strip()[-4000:]}\n```" if output.strip() else ""))
            print(f"  missing: {reason}", file=sys.stderr, flush=True)

    table = render_table(rows)
    command = " ".join(["python bench/run_all.py", *map(shlex.quote, raw)])
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    if load_before is not None:  # other work on the machine moves the numbers
        machine += f", load average {load_before:.2f} at the start and {os.getloadavg()[0]:.2f} at the end"
    print(table)
    print(f"\nreproduce: {command}\n{machine}; {time.perf_counter() - started:.0f} s in all")
    args.out.write_text(
        "# Benchmark results\n\n"
        f"Generated by `{command}` on {when} ({machine}). Do not edit: run it again.\n"
        "ratio = ours / baseline; each row says which way is better.\n\n"
        f"{table}\n\n## Each script's output\n\n" + "\n\n".join(sections) + "\n",
        encoding="utf-8")
    print(f"wrote {args.out}" + (f"; {missing} benchmark(s) missing" if missing else ""), file=sys.stderr)
    return 1 if missing and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
