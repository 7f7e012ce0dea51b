"""Benchmark: `validate` on hostile answers files, against a normal one parsed in the same run.

    .venv/bin/python bench/answers_hostile.py [--rounds 5]

Each hostile file must be refused (exit 2) in about the time and memory of a normal file, not in
seconds and gigabytes. Reports, per input: wall time (median of rounds), the ratio to the normal
file's time, and peak Python memory (tracemalloc) in KiB. No absolute targets: ratios and peaks
are what to compare between revisions.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wbinstall.answers import AnswersError, parse  # noqa: E402
from wbinstall.answers import yamlread  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def laughs(levels: int = 9, width: int = 9) -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


INPUTS = {
    "normal (the template)": (REPO / "assets" / "answers-template.yaml").read_text(),
    "billion laughs (9 levels x 9)": laughs(),
    "3,000 nested lists": "workload: " + "[" * 3000 + "]" * 3000 + "\n",
    "250,000 '[' on one line": "workload: " + "[" * 250_000 + "\n",
    "a mapping of 6,000 keys": "".join(f"k{i}: {i}\n" for i in range(6000)),
    "a 250 KiB scalar": "host: " + "x" * (250 * 1024) + "\n",
    f"a file over {yamlread.MAX_BYTES // 1024} KiB": "# " + "x" * (yamlread.MAX_BYTES + 1) + "\n",
}


def once(text: str) -> tuple[float, int, str]:
    tracemalloc.start()
    start = time.perf_counter()
    try:
        parse(text)
        outcome = "loaded"
    except AnswersError as exc:
        outcome = exc.problems[0].message[:60]
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, peak, outcome


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rows = []
    for name, text in INPUTS.items():
        runs = [once(text) for _ in range(args.rounds)]
        rows.append((name, statistics.median(r[0] for r in runs), max(r[1] for r in runs), runs[0][2]))
    base = rows[0][1]
    print(f"{'input':32} {'median s':>9} {'x normal':>9} {'peak KiB':>9}  outcome")
    for name, seconds, peak, outcome in rows:
        print(f"{name:32} {seconds:9.4f} {seconds / base:9.1f} {peak // 1024:9d}  {outcome}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
