"""The wizard's state: answers in progress as plain data. No Textual here.

`data` is YAML-shaped (the answers file's keys) and holds secrets only as references
({env: VAR} / {file: PATH}); a value typed into the wizard sits in `typed`, in memory only,
and is used for the live checks. So saving `data` (progress, the answers file) can never
leak a secret.
"""

from __future__ import annotations

import copy
import typing
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wbinstall.checks.result import Result

# The answers model (pydantic) loads on the first step, not before the welcome screen.
API_VERSION = "wbinstall/v1"

Key = tuple[str, ...]

# Stand-ins that let checks for one step run before later steps are answered. Never saved.
_PLACEHOLDERS: dict[Key, Any] = {
    ("workload",): "models", ("environment",): "test", ("cloud",): "other",
    ("host",): "wandb.example.com", ("license",): {"env": "WBINSTALL_LICENSE_NOT_SET"},
    ("mysql", "host"): "mysql.invalid", ("mysql", "password"): {"env": "WBINSTALL_PASSWORD_NOT_SET"},
    ("storage", "provider"): "s3", ("storage", "bucket"): "bucket-not-set",
}


DEFAULT_ANSWERS_NAME = "wbinstall-answers.yaml"


_WHERE_FROM = ": env:VARIABLE or file:PATH, where its value will come from"


@cache
def _field(name: str):
    """A validator for one top-level answer, and whether it is a section (a mapping of fields)."""
    from pydantic import BaseModel, TypeAdapter

    from wbinstall.answers.secrets import SecretRef

    info = next(f for n, f in _model()[0].model_fields.items() if (f.alias or n) == name)
    kind = info.annotation
    section = isinstance(kind, type) and issubclass(kind, BaseModel) and kind is not SecretRef
    typed = typing.Annotated[info.annotation, *info.metadata] if info.metadata and not section else info.annotation
    return TypeAdapter(typed), section


def _model():
    """The answers model and its secret and file fields (pydantic loads on the first step)."""
    from wbinstall.answers.fields import path_fields, secret_paths
    from wbinstall.answers.model import Answers

    return Answers, secret_paths(Answers), path_fields(Answers)



@dataclass
class CheckRecord:
    result: Result
    at: float  # the app clock's reading when the result arrived


@dataclass
class WizardState:
    base_dir: Path = field(default_factory=Path.cwd)
    data: dict[str, Any] = field(default_factory=lambda: {"apiVersion": API_VERSION})
    typed: dict[Key, str] = field(default_factory=dict, repr=False)  # secret values: memory only
    step: str = "welcome"
    results: dict[str, CheckRecord] = field(default_factory=dict)
    saved_to: str | None = None
    strict_overrides: tuple[str, ...] = ()  # --override-strict, recorded in the answers

    def record_overrides(self) -> None:
        """checks.strictOverrides says what this run (its command line) lets past, nothing more."""
        self.set(("checks", "strictOverrides"), list(self.strict_overrides) or None)

    # ---- reading and writing answers by key path --------------------------------------
    def get(self, key: Key, default: Any = None) -> Any:
        value: Any = self.data
        for part in key:
            if not isinstance(value, dict) or part not in value:
                return default
            value = value[part]
        return value

    def set(self, key: Key, value: Any) -> None:
        """Set an answer; None or "" removes it (the model's default applies)."""
        if isinstance(value, str):
            value = value.strip()
        node = self.data
        for part in key[:-1]:
            node = node.setdefault(part, {})
        if value in (None, "", {}):
            node.pop(key[-1], None)
            self._prune()
        else:
            node[key[-1]] = value

    def _prune(self) -> None:
        for name in [k for k, v in self.data.items() if v == {}]:
            del self.data[name]

    # ---- skips --------------------------------------------------------------------------
    def skips(self) -> dict[str, str]:
        return {s["id"]: s["reason"] for s in self.get(("checks", "skip"), [])}

    def cannot_skip(self, check_id: str) -> str | None:
        """Why `check_id` may not be skipped (a strict check, or one a strict check needs)."""
        from wbinstall.checklist import needed_by, strict_ids

        held = [i for i in strict_ids() if i not in self.strict_overrides]
        if check_id in held:
            return (f"{check_id} is a strict check (a hard requirement of W&B's reference architecture): it cannot be "
                    f"skipped. Fix what it reports; for a lab only, start wbinstall with --override-strict {check_id}.")
        if strict := [i for i in needed_by(check_id) if i in held]:
            return (f"{check_id} cannot be skipped: the strict check(s) {', '.join(strict)} need it. Fix what it "
                    "reports.")
        return None

    def skip(self, check_id: str, reason: str) -> None:
        kept = [s for s in self.get(("checks", "skip"), []) if s["id"] != check_id]
        self.set(("checks", "skip"), [*kept, {"id": check_id, "reason": reason.strip()}])

    # ---- for checks and saving ----------------------------------------------------------
    def filled(self) -> dict[str, Any]:
        """`data` with stand-ins for what later steps have not asked yet (for checks only)."""
        out = copy.deepcopy(self.data)
        for key, value in _PLACEHOLDERS.items():
            node = out
            for part in key[:-1]:
                node = node.setdefault(part, {})
            node.setdefault(key[-1], value)
        return out

    def problems(self, owned: tuple[Key, ...]) -> list[str]:
        """Validation problems in the answers `owned` (top-level keys: a step's own section and
        fields), as 'field.path: message'. Each is validated on its own, nothing else with it."""
        from pydantic import ValidationError

        from wbinstall.answers.loader import validation_problems

        _, secret_keys, _ = _model()
        out = []
        for (name,) in owned:
            adapter, section = _field(name)
            value = self.get((name,))
            if value is None and not section:
                out.append(f"{name}: is required" + (_WHERE_FROM if (name,) in secret_keys else ""))
                continue
            try:
                adapter.validate_python({} if value is None else value)  # a section: its fields one by one
            except ValidationError as exc:
                for problem in validation_problems(exc, prefix=(name,)):
                    path = tuple(problem.path.split("."))
                    missing_secret = problem.message == "is required" and path in secret_keys
                    out.append(f"{problem.path}: {problem.message}" + (_WHERE_FROM if missing_secret else ""))
        return out

    def answers(self, target_dir: Path | None = None):
        """The complete answers (for saving and deploying); raises pydantic's ValidationError.

        With `target_dir`, relative paths are rewritten for an answers file saved there."""
        from wbinstall.answers.model import Answers

        return Answers.model_validate(self.data if target_dir is None else self.rebased(target_dir))

    def save_path(self) -> str:
        """Where the answers file goes: as saved before, else beside the answers the wizard
        started from (so relative secret files keep working), else the working directory."""
        if self.saved_to:
            return self.saved_to
        if self.base_dir.resolve() == Path.cwd().resolve():
            return DEFAULT_ANSWERS_NAME
        return str(self.base_dir / DEFAULT_ANSWERS_NAME)

    def rebased(self, target_dir: Path) -> dict[str, Any]:
        import os

        out = copy.deepcopy(self.data)
        for key in _model()[2]:
            node: Any = out
            for part in key[:-1]:
                node = node.get(part) if isinstance(node, dict) else None
            value = node.get(key[-1]) if isinstance(node, dict) else None
            if isinstance(value, str) and value and not value.startswith("~") and not Path(value).is_absolute():
                target = os.path.normpath(os.path.abspath(self.base_dir / value))
                node[key[-1]] = os.path.relpath(target, os.path.abspath(target_dir))
        return out

    def answers_for_checks(self):
        from wbinstall.answers.model import Answers

        return Answers.model_validate(self.filled())

    def secrets_for_checks(self):
        """Typed values first, else the reference resolved (env / file). Does file I/O."""
        from wbinstall.answers.loader import Secrets
        from wbinstall.answers.secrets import SecretError, SecretRef

        values: dict[Key, str] = {}
        for key in _model()[1]:
            if self.typed.get(key):
                values[key] = self.typed[key]
                continue
            ref = self.get(key)
            if isinstance(ref, dict):
                try:
                    values[key] = SecretRef.model_validate(ref).resolve(self.base_dir)
                except (SecretError, ValueError):
                    pass
        return Secrets(values)

    def record(self, result: Result, at: float) -> None:
        self.results[result.id] = CheckRecord(result, at)


def from_loaded(loaded) -> WizardState:
    """State prefilled from an answers file. A literal secret becomes a typed (memory) value."""
    from wbinstall.answers.dump import to_data

    answers = loaded.answers
    state = WizardState(base_dir=loaded.base_dir)
    from wbinstall.answers.fields import given_secrets, value_at

    typed: dict[Key, str] = {}
    for key in given_secrets(answers):
        ref = value_at(answers, key)
        if ref.is_literal:
            typed[key] = ref.resolve(loaded.base_dir)
    state.data = to_data(answers, omit_literals=True)
    state.typed = typed
    return state
