"""Load an answers file: YAML -> validated Answers, every problem reported with line:column."""

from __future__ import annotations

import difflib
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

import yaml
from pydantic import ValidationError

from wbinstall import redact
from wbinstall.answers import fields, files, positions, rules, yamlread
from wbinstall.answers.model import Answers
from wbinstall.answers.problems import AnswersError, Problem
from wbinstall.answers.secrets import SecretError, SecretRef

Path = fields.Path


@dataclass
class LoadedAnswers:
    answers: Answers
    filename: str | None
    base_dir: FsPath  # relative paths in the answers (secret files, kubeconfig) start here
    warnings: list[Problem] = field(default_factory=list)
    where: positions.Positions = field(default_factory=positions.Positions)


class Secrets(Mapping[Path, str]):
    """Resolved secret values by field path. Its repr never shows a value."""

    def __init__(self, values: dict[Path, str]):
        self._values = values
        redact.remember(values.values())  # so that a traceback in the log is cleared of them

    def __getitem__(self, path: Path) -> str:
        return self._values[path]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Secrets({', '.join(fields.dotted(p) for p in self._values)})"


def load(path: str | os.PathLike[str], strict_overrides: Collection[str] = ()) -> LoadedAnswers:
    p = FsPath(path)
    try:
        text = files.read_text(p, shown="the answers file")  # a bound past yamlread's, which names the line
    except files.FileError as exc:
        raise AnswersError([Problem("", str(exc))], str(p)) from None
    return parse(text, filename=str(p), base_dir=p.resolve().parent, strict_overrides=strict_overrides)


def parse(text: str, *, filename: str | None = None, base_dir: FsPath | None = None,
          strict_overrides: Collection[str] = ()) -> LoadedAnswers:
    """`strict_overrides`: the strict check ids given with --override-strict; recorded in
    checks.strictOverrides of the answers returned."""
    base_dir = base_dir or FsPath.cwd()
    data, where = _read_yaml(text, filename)

    problems = [
        Problem(fields.dotted(path), "duplicate key; the later value would silently win", *mark)
        for path, mark in where.duplicates
    ]
    try:
        answers = Answers.model_validate(data, strict=True)
    except ValidationError as exc:
        problems += validation_problems(exc, where)
        problems += _secret_problems(data, where, base_dir, os.environ)
        raise AnswersError(_ordered(problems), filename) from None

    answers = _with_overrides(answers, strict_overrides, where, problems)
    for path, message, severity in rules.cross_field(answers, base_dir):
        line, column = where.of_value(path) or (None, None)
        problems.append(Problem(fields.dotted(path), message, line, column, severity))  # type: ignore[arg-type]
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    if errors:
        raise AnswersError(_ordered(problems), filename)
    return LoadedAnswers(answers, filename, base_dir, warnings, where)


def _with_overrides(answers: Answers, given: Collection[str], where, problems: list[Problem]) -> Answers:
    """The file's record of strict overrides is honoured only when the flag names them again."""
    recorded = answers.checks.strict_overrides
    for n, check_id in enumerate(recorded):
        if check_id not in given:
            line, column = where.of_value(("checks", "strictOverrides", n)) or (None, None)
            problems.append(Problem(fields.dotted(("checks", "strictOverrides", n)),
                                    f"{check_id} was let past with --override-strict when this file was saved; that "
                                    f"holds only with --override-strict {check_id} on the command line (or remove it "
                                    "here)", line, column))
    merged = sorted(set(recorded) | set(given))
    return answers.model_copy(update={"checks": answers.checks.model_copy(update={"strict_overrides": merged})})


def resolve_secrets(loaded: LoadedAnswers, environ: Mapping[str, str] | None = None) -> Secrets:
    """Every secret's value; all unresolvable ones reported together, with their lines."""
    environ = os.environ if environ is None else environ
    values: dict[Path, str] = {}
    problems: list[Problem] = []
    for path in fields.given_secrets(loaded.answers):
        ref = fields.value_at(loaded.answers, path)
        try:
            values[path] = ref.resolve(loaded.base_dir, environ)
        except SecretError as exc:
            line, column = loaded.where.of_value(path) or (None, None)
            problems.append(Problem(fields.dotted(path), str(exc), line, column))
    if problems:
        raise AnswersError(problems, loaded.filename)
    return Secrets(values)


def _read_yaml(text: str, filename: str | None) -> tuple[Any, positions.Positions]:
    try:
        document = yamlread.read(text)
    except yamlread.LimitError as exc:
        line, column = _at(exc)
        raise AnswersError([Problem("", f"refused: {exc.problem}", line, column)], filename) from None
    except yamlread.SeveralDocuments as exc:
        raise AnswersError([Problem("", "expected one YAML document, found several", exc.line, exc.column)],
                           filename) from None
    except yaml.MarkedYAMLError as exc:
        line, column = _at(exc)
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        raise AnswersError([Problem("", f"malformed YAML: {what}", line, column)], filename) from None
    except yaml.YAMLError as exc:
        raise AnswersError([Problem("", f"malformed YAML: {exc}")], filename) from None
    data = document.data
    if data is None:
        raise AnswersError([Problem("", "the answers file is empty; `wbinstall init` writes a template")], filename)
    if not isinstance(data, dict):
        raise AnswersError([Problem("", "the answers file must be a mapping of keys to values", 1, 1)], filename)
    return data, positions.index(document.root)


def _at(exc: yaml.MarkedYAMLError) -> tuple[int | None, int | None]:
    mark = exc.problem_mark or exc.context_mark
    return (mark.line + 1, mark.column + 1) if mark else (None, None)


def validation_problems(exc: ValidationError, where: positions.Positions | None = None,
                        prefix: Path = ()) -> list[Problem]:
    """pydantic's errors as Problems: the one wording of every face (lines when `where` is given;
    `prefix`: where the validated value sits in the answers, for a part validated on its own)."""
    where = where or positions.index(None)
    return [_problem(err, where, prefix) for err in exc.errors(include_url=False)]


def _problem(err: Any, where: positions.Positions, prefix: Path = ()) -> Problem:
    loc: Path = (*prefix, *err["loc"])
    kind = err["type"]
    secret = next((p for p in fields.secret_paths(Answers) if loc[: len(p)] == p), None)
    if kind == "extra_forbidden" and secret is not None:
        # Under a secret, a stray key is often the value itself ({MyPassw0rd} is a mapping): never echo it.
        line, column = where.of_key(loc) or (None, None)
        return Problem(fields.dotted(secret), "unknown key under a secret (not shown: it may be the value); "
                       "give {env: VARIABLE} or {file: PATH}", line, column)
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = fields.allowed_keys(Answers, loc[:-1])
        near = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"; did you mean '{near[0]}'?" if near else (f"; allowed here: {', '.join(allowed)}" if allowed else "")
        line, column = where.of_key(loc) or (None, None)
        return Problem(fields.dotted(loc), f"unknown key '{key}'{hint}", line, column)
    if kind == "missing":
        line, column = where.of_value(loc[:-1]) or (None, None)
        return Problem(fields.dotted(loc), "is required", line, column)
    line, column = where.of_value(loc) or (None, None)
    if kind in ("model_type", "dict_type") and loc in fields.secret_paths(Answers):
        got = {bool: "a boolean", int: "a number", float: "a number", list: "a list"}.get(type(err.get("input")),
                                                                                         "a " + type(err.get("input")).__name__)
        return Problem(fields.dotted(loc), f"must be {{env: VARIABLE}} or {{file: PATH}} (or quoted text), not {got}",
                       line, column)
    if kind in _TYPE_ERRORS and not _is_secret(loc):
        return Problem(fields.dotted(loc), _wrong_type(kind, err.get("input"), where.texts.get(loc)), line, column)
    message = err["msg"].removeprefix("Value error, ")
    if kind.startswith(("literal_", "enum")) or "type" in kind or kind.endswith("_parsing"):
        message += f" (got {_shown(err.get('input'), loc)})"
    return Problem(fields.dotted(loc), message, line, column)


# Strict types: YAML decides a plain scalar's type by how it looks, so say what it looked like.
_TYPE_ERRORS = {"int_type": "an integer", "string_type": "text", "bool_type": "true or false",
                "float_type": "a number"}


def _wrong_type(kind: str, value: Any, written: str | None) -> str:
    want = _TYPE_ERRORS[kind]
    shown = written if written is not None else repr(value)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    if isinstance(value, bool):
        got = f"the boolean {shown}"
    elif isinstance(value, (int, float)):
        got = f"the number {shown}"
    elif isinstance(value, str):
        got = f"the text {value!r}" if len(value) <= 40 else "text"
    elif isinstance(value, list):
        got = "a list"
    elif isinstance(value, dict):
        got = "a mapping"
    else:
        got = "nothing (null)" if value is None else type(value).__name__
    message = f"must be {want}, not {got}"
    if kind == "string_type" and isinstance(value, (bool, int, float)):
        message += f'; YAML reads {shown} as a {"boolean" if isinstance(value, bool) else "number"}: quote it ("{shown}")'
    elif kind in ("int_type", "float_type") and isinstance(value, str) and _looks_numeric(value):
        message += "; write the number without quotes"
    elif kind == "bool_type" and isinstance(value, str):
        message += "; write true or false (yes, no, on and off are text here)"
    return message


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_secret(loc: Path) -> bool:
    return any(loc[: len(p)] == p for p in fields.secret_paths(Answers))


def _shown(value: Any, loc: Path) -> str:
    # Never echo what may be a secret value back to the terminal.
    if _is_secret(loc):
        return "a value of type " + type(value).__name__
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _secret_problems(data: Any, where: positions.Positions, base_dir: FsPath, environ: Mapping[str, str]) -> list[Problem]:
    """Unresolvable secrets, found even when other fields are invalid (report all at once)."""
    problems = []
    for path in fields.secret_paths(Answers):
        raw: Any = data
        for key in path:
            raw = raw.get(key) if isinstance(raw, dict) else None
        if not isinstance(raw, dict):
            continue
        try:
            ref = SecretRef.model_validate(raw)
            ref.resolve(base_dir, environ)
        except (SecretError, ValidationError) as exc:
            if isinstance(exc, SecretError):
                line, column = where.of_value(path) or (None, None)
                problems.append(Problem(fields.dotted(path), str(exc), line, column))
    return problems


def _ordered(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0))
