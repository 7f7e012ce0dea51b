"""Benchmark (not a test): wizard start-up and key-press latency under load.

    .venv/bin/python bench/wizard_start.py [--rounds 7] [--keys 40]

1. Process start -> first screen interactive (headless, 80x24): imports, the App, and the
   first frame that shows the Welcome screen's widgets (keys are handled from then on). Reported as a ratio to a
   minimal Textual app (one Static) started the same way in the same run (target <= 1.3).
2. Key press -> repaint while 10 slow probes run in the background (target median <= 50 ms):
   the Database step's check run is replaced by 10 threads that mix sleeping (waiting on a
   server) with bursts of pure-Python work (parsing a reply), for the whole measurement.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MINIMAL = """
from textual.app import App
from textual.widgets import Static
class Minimal(App):
    def compose(self):
        yield Static("hello")
app = Minimal()
"""

WIZARD = """
from wbinstall.screens.app import make_app
app = make_app()
"""

# `wbinstall` itself: the CLI module is imported (and its arguments parsed) before the app.
WIZARD_VIA_CLI = """
from wbinstall import cli
cli._parser().parse_args([])
from wbinstall.screens.app import make_app
app = make_app()
"""

CHILD = """
import sys
sys.path.insert(0, {root!r})
{setup}
display = app._display
def first_frame(screen, renderable):
    display(screen, renderable)
    # The first frame that shows the first screen's widgets: from here keys are handled.
    if screen.children and not getattr(app, "bench_done", False):
        app.bench_done = True
        print("ready", flush=True)
        app.call_later(app.exit)
app._display = first_frame
app.run(headless=True, size=(80, 24))
"""


def start_time(setup: str, env: dict[str, str]) -> float:
    code = CHILD.format(root=str(ROOT), setup=setup)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=env, text=True)
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - t0
    proc.wait(30)
    if line.strip() != "ready":
        raise SystemExit(f"child did not start: {line!r}")
    return elapsed


def bench_start(rounds: int) -> tuple[float, float, float]:
    env = {**os.environ, "WBINSTALL_STATE_DIR": tempfile.mkdtemp(prefix="wbinstall-bench-")}
    env.pop("NO_COLOR", None)
    setups = (MINIMAL, WIZARD, WIZARD_VIA_CLI)
    for setup in setups:
        start_time(setup, env)  # warm the .pyc caches
    times: list[list[float]] = [[], [], []]
    for _ in range(rounds):  # interleaved, so machine noise hits all alike
        for i, setup in enumerate(setups):
            times[i].append(start_time(setup, env))
    return tuple(statistics.median(t) for t in times)  # type: ignore[return-value]


class SlowProbes:
    """A check runner whose run is 10 busy probe threads until `stop` is set."""

    def __init__(self) -> None:
        self.stop = threading.Event()

    def __call__(self, answers, secrets, base_dir, only, on_result):
        def probe() -> None:
            reply = json.dumps({"rows": [{"Variable_name": f"v{i}", "Value": "x" * 20} for i in range(200)]})
            while not self.stop.is_set():
                time.sleep(0.02)          # waiting on the network
                json.loads(reply)         # then a little parsing, holding the GIL
        threads = [threading.Thread(target=probe, daemon=True) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return []


async def bench_keys(keys: int) -> list[float]:
    sys.path.insert(0, str(ROOT))
    from textual.widgets import Input

    from tests.wizard.support import FakeClock, fake_services, loaded_answers
    from wbinstall.screens.app import make_app

    probes = SlowProbes()
    app = make_app(loaded_answers(), clock=FakeClock(), state_dir=Path(tempfile.mkdtemp()),
                   services=fake_services(probes))
    frames: list[float] = []
    display = app._display

    def timed_display(screen, renderable):
        frames.append(time.perf_counter())
        return display(screen, renderable)

    app._display = timed_display  # type: ignore[method-assign]
    latencies = []
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            app.push_step("database")
            await pilot.pause(0.3)
            assert app.screen.running, "the slow probes should be running"
            app.screen.query_one("#mysql-host", Input).focus()
            await pilot.pause(0.1)
            for i in range(keys):
                before = len(frames)
                t0 = time.perf_counter()
                await pilot.press("x" if i % 2 else "backspace")
                while len(frames) == before:
                    await asyncio.sleep(0.001)
                latencies.append(frames[before] - t0)
                await asyncio.sleep(0.05)
            probes.stop.set()
    finally:
        probes.stop.set()
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--keys", type=int, default=40)
    args = parser.parse_args()

    minimal, wizard, via_cli = bench_start(args.rounds)
    ratio = wizard / minimal
    print(f"start to first screen (median of {args.rounds}): minimal Textual app {minimal * 1000:.0f} ms; "
          f"wizard app {wizard * 1000:.0f} ms, ratio {ratio:.2f} (target <= 1.3); "
          f"through wbinstall.cli {via_cli * 1000:.0f} ms, ratio {via_cli / minimal:.2f}")

    latencies = asyncio.run(bench_keys(args.keys))
    median = statistics.median(latencies) * 1000
    p90 = sorted(latencies)[int(len(latencies) * 0.9)] * 1000
    print(f"key press -> repaint with 10 slow probes running: median {median:.1f} ms, p90 {p90:.1f} ms, "
          f"max {max(latencies) * 1000:.1f} ms over {len(latencies)} keys (target median <= 50 ms)")
    return 0 if ratio <= 1.3 and median <= 50 else 1


if __name__ == "__main__":
    raise SystemExit(main())
