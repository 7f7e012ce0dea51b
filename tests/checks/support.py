"""Build answers for check tests: a valid base, deep-merged overrides, secrets given directly."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from wbinstall.answers import Answers, Secrets
from wbinstall.checks import engine
from wbinstall.checks.context import CheckInputs, ProbeContext
from wbinstall.requirements import load as load_requirements

BASE: dict[str, Any] = {
    "apiVersion": "wbinstall/v1",
    "workload": "models",
    "environment": "test",
    "cloud": "other",
    "host": "wandb.sandbox.test",
    "license": {"env": "WB_TEST_LICENSE"},
    "mysql": {"host": "127.0.0.1", "password": {"env": "WB_TEST_MYSQL_PASSWORD"}},
    "storage": {"provider": "s3", "bucket": "wandb-bucket", "region": "us-east-1"},
}


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        elif value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def make_answers(**overrides: Any) -> Answers:
    """Answers from BASE with overrides; a None value removes a key."""
    return Answers.model_validate(merge(BASE, overrides))


def make_secrets(**values: str) -> Secrets:
    """Secrets by dotted path: make_secrets(**{"mysql.password": "pw"})."""
    defaults = {"license": "test-license-0001", "mysql.password": "test-mysql-password"}
    defaults.update(values)
    return Secrets({tuple(k.split(".")): v for k, v in defaults.items()})


def probe_context(answers: Answers, secrets: Secrets | None = None, timeout: float = 10.0,
                  base_dir: Path | None = None) -> ProbeContext:
    import time

    return ProbeContext(answers, secrets or make_secrets(), base_dir or Path.cwd(), time.monotonic() + timeout)


def inputs(answers: Answers, base_dir: Path | None = None) -> CheckInputs:
    return CheckInputs(answers, load_requirements(), base_dir or Path.cwd())


def run_checks(answers: Answers, secrets: Secrets | None = None, only: list[str] | None = None,
               timeout: float = 10.0) -> dict[str, Any]:
    """Run through the real engine; results by id."""
    results = engine.run(answers, secrets or make_secrets(), Path.cwd(), only=only, timeout=timeout)
    return {r.id: r for r in results}
