"""Canary secrets typed into the wizard's masked fields, in a real terminal, then a search of
everything the session left.

The wizard runs in a pty (its controlling terminal, as over SSH) against real servers: the
sandbox cluster (through an `exec` credential plugin that records its argv and environment),
a MySQL whose login takes only the typed password, and an S3 endpoint. The answers name
environment variables that are not set, so the checks can only have the values the user
typed: the license, the MySQL password and both bucket keys, each into its masked field (found
on the screen a VT emulator draws, as a user finds it). The checks passing shows each value
arrived. Then Review saves the answers and the user quits.

Searched: every byte the wizard sent to the terminal, the screen, the saved answers, the state
directory (progress, log file), the command line and environment of wbinstall and of every
process of its session (sampled while it ran, and the plugin's own record), and the sandbox's
logs (its servers' records, the Kubernetes binaries' files).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from pathlib import Path

import pytest

from sandbox.license import valid_license
from sandbox.mysql_mimic_server import DEFAULT_DATABASE, DEFAULT_USER, MysqlUser, grant_lines
from sandbox.s3 import wandb_cors_rules
from sandbox.terminal import Terminal
from tests.reliability.test_secrets_never_leave import canary_answers, plugin_kubeconfig, server_logs

pytest_plugins = ["sandbox.fixtures_net"]

REPO = Path(__file__).resolve().parents[2]
SIZE = (24, 80)
CTRL_N, CTRL_S, CTRL_Q, TAB = "\x0e", "\x13", "\x11", "\t"
SECRET_ENV = ("WB_TYPED_LICENSE", "WB_TYPED_MYSQL", "WB_TYPED_ACCESS", "WB_TYPED_SECRET")  # left unset


def next_step(term: Terminal, step: int) -> None:
    term.send(CTRL_N)
    term.wait_screen(lambda lines: f"step {step} of 11" in lines[0], f"step {step}")


def passed(check_id: str):
    return lambda lines: any(line.strip().startswith(f"✔ {check_id} ") for line in lines)


def type_masked(term: Terminal, label: str, value: str) -> None:
    """Focus the masked value field of the row labelled `label` (Tab, as a user would, until the
    cursor is in the row's reference field: the value field comes next), then type `value`."""
    for _ in range(30):
        term.send(TAB)
        shown = term.screen()
        row = shown.display[shown.cursor.y]
        value_at = row.find("value (checks only)")
        if row.lstrip().startswith(label) and 0 <= shown.cursor.x < value_at:
            break
    else:
        raise AssertionError(f"never reached the {label} row:\n" + "\n".join(term.screen().display))
    term.send(TAB)
    term.send(value)
    masked = "•" * min(len(value), 20)
    term.wait_screen(lambda lines: any(line.lstrip().startswith(label) and masked in line for line in lines),
                f"{label}: the typed value, masked")


class SessionSampler:
    """Reads /proc/<pid>/cmdline and environ of every process in the wizard's session, while it runs."""

    def __init__(self, session: int) -> None:
        self.session, self.seen, self._stop = session, {}, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    if os.getsid(int(entry)) != self.session:
                        continue
                    cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
                    environ = Path(f"/proc/{entry}/environ").read_bytes()
                except OSError:
                    continue
                self.seen[(entry, cmdline)] = environ

    def stop(self) -> dict[str, str]:
        self._stop.set()
        self._thread.join(5)
        places = {}
        for (pid, cmdline), environ in self.seen.items():
            name = cmdline.split(b"\0")[0].decode(errors="replace").rsplit("/", 1)[-1]
            places[f"pid {pid} ({name}): cmdline"] = cmdline.decode(errors="replace")
            places[f"pid {pid} ({name}): environ"] = environ.decode(errors="replace")
        return places


def test_secrets_typed_into_the_wizard_in_a_real_terminal_never_leave(sandbox_kube, sandbox_kube_namespace,
                                                                       sandbox_mysql, sandbox_s3, tmp_path, caplog):
    caplog.set_level(logging.INFO)  # the sandbox's servers and stand-ins; their own detail too:
    for name in ("sandbox", "mysql_mimic", "moto"):
        caplog.set_level(logging.DEBUG, logger=name)
    caplog.set_level(logging.INFO, logger="werkzeug")  # the S3 server's request lines
    canary = {"license": valid_license(), "mysql": "canary-TYPEDPW-41c7e2", "access": "CANARYTYPEDAK9F3B",
              "secret": "canary-TYPEDSK-d81f05"}
    login = MysqlUser(DEFAULT_USER, canary["mysql"], grants=grant_lines(DEFAULT_USER, "%", [DEFAULT_DATABASE]),
                      databases=[DEFAULT_DATABASE])  # W&B's user, whose password is the canary
    mysql = sandbox_mysql("mysql-8.0.36", users=[login])
    record = plugin_kubeconfig(tmp_path, sandbox_kube, sandbox_kube_namespace)
    answers = canary_answers(tmp_path / "answers.yaml", sandbox_kube_namespace, mysql, DEFAULT_USER, sandbox_s3,
                             "typed-canary-bucket",
                             {"license": "{env: WB_TYPED_LICENSE}", "mysql": "{env: WB_TYPED_MYSQL}",
                              "access": "{env: WB_TYPED_ACCESS}", "secret": "{env: WB_TYPED_SECRET}"})
    sandbox_s3.create_bucket("typed-canary-bucket", wandb_cors_rules())
    state = tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if k not in SECRET_ENV}
    env.update({"WBINSTALL_STATE_DIR": str(state), "NO_COLOR": "1"})

    with Terminal([sys.executable, "-m", "wbinstall", "--answers", str(answers), "--interactive"], env=env,
                  cwd=str(REPO), size=SIZE) as term:
        sampler = SessionSampler(term.proc.pid)
        try:
            term.wait_for("Welcome")
            term.send(CTRL_N)
            term.send(CTRL_N)
            term.wait_for("Environment and license")
            type_masked(term, "License", canary["license"])
            term.wait_screen(passed("license.valid"), "license.valid passing on the typed license")
            next_step(term, 4)
            next_step(term, 5)
            term.wait_screen(passed("k8s.connect"), "k8s.connect passing through the exec plugin")
            next_step(term, 6)
            type_masked(term, "Password", canary["mysql"])
            term.wait_screen(passed("mysql.connect"), "mysql.connect passing on the typed password")
            next_step(term, 7)
            type_masked(term, "Access key", canary["access"])
            type_masked(term, "Secret key", canary["secret"])
            term.wait_screen(passed("storage.access"), "storage.access passing on the typed keys")
            for step in (8, 9, 10):
                next_step(term, step)
            term.send(CTRL_S)
            term.wait_for("Saved to")
            term.send(CTRL_Q)
            term.wait(20)
        finally:
            places = sampler.stop()
            stream = term.seen.decode("utf-8", "replace")

    saved = tmp_path / "wbinstall-answers.yaml"
    assert saved.is_file(), sorted(p.name for p in tmp_path.iterdir())
    wizard_pid = term.proc.pid
    assert f"pid {wizard_pid} (python): cmdline" in places, places.keys()  # the sampler saw the wizard
    places["terminal stream"] = stream
    places["terminal screen"] = "\n".join(term.screen().display)
    for file in [saved, *sorted(state.rglob("*"))]:
        if file.is_file():
            places[f"file: {file.relative_to(tmp_path)}"] = file.read_text(errors="replace")
    places["exec plugin record"] = record.read_text()
    # The typed access key did reach S3 (it signs every request): the request log shows it as the
    # credential of the presigned requests, which server_logs takes out before the search.
    assert any(canary["access"] in r.getMessage() for r in caplog.records if r.name == "werkzeug")
    logs = server_logs(caplog.records, sandbox_kube.workdir / "logs", canary["access"])
    places.update(logs)

    signature = canary["license"].rsplit(".", 1)[1]
    leaks = [(where, name) for where, text in places.items() for name, value in
             [*canary.items(), ("license signature", signature)] if value in text]
    print(f"\nwizard secrets sweep: {len(places)} places searched, {len(leaks)} leaks: {sorted(places)}")
    assert leaks == [], leaks
    assert "typed-canary-bucket" in places["terminal stream"]  # the search looked at what was shown
