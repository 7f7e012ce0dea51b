"""The command line: `wbinstall [COMMAND]`. No traceback reaches the user; exit codes are a contract."""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path

from wbinstall import started  # first: it notes the time, should /proc not tell the process's start
from wbinstall import __version__, exitcodes
from wbinstall.choices import CLOUDS, ENVIRONMENTS, WORKLOADS


class UsageError(Exception):
    """Bad usage that argparse cannot see (e.g. a file that would be overwritten)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wbinstall",
        description="Install self-managed Weights & Biases on Kubernetes. "
        "Without a command: the wizard, or an unattended install with --answers.",
        epilog=exitcodes.help_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"wbinstall {__version__}")
    parser.add_argument("--answers", metavar="FILE", help="answers file (YAML); without --interactive: unattended install")
    parser.add_argument("--interactive", action="store_true", help="open the wizard prefilled from --answers")
    parser.add_argument("--dry-run", action="store_true",
                        help="with --answers: run the checks, then a server-side dry run with a diff; change nothing")
    parser.add_argument("--timeout-rollout", type=float, metavar="SECONDS",
                        help="with --answers: limit each rollout phase (operator, resource, workloads; "
                             "default 300/600/1200 s) to SECONDS")
    parser.add_argument("--force-conflicts", action="store_true",
                        help="with --answers: take over fields another field manager owns (server-side apply)")
    _override_flag(parser, [])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help, epilog=exitcodes.help_text(),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        return p

    p = command("validate", "check an answers file and report every problem with its line")
    p.add_argument("--answers", metavar="FILE", required=True)
    _override_flag(p, argparse.SUPPRESS)

    command("schema", "print the JSON Schema of the answers file")

    p = command("init", "write a commented answers template that validates")
    p.add_argument("--output", "-o", metavar="FILE", default="-", help="file to write (default: standard output)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")

    p = command("sizing", "show the reference architecture's sizing for a workload")
    p.add_argument("--workload", required=True, choices=WORKLOADS)
    p.add_argument("--environment", required=True, choices=ENVIRONMENTS)
    p.add_argument("--cloud", default="other", choices=CLOUDS)
    p.add_argument("--output", choices=("text", "json"), default="text")

    p = command("check", "run the live checks against the systems named in the answers")
    p.add_argument("--answers", metavar="FILE", required=True)
    p.add_argument("--only", metavar="ID", nargs="+", action="extend", help="run only these checks (ids as in checks.skip)")
    p.add_argument("--output", choices=("text", "json", "junit"), default="text")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="time each probe may take (default: checks.timeout, 10)")
    _override_flag(p, argparse.SUPPRESS)

    p = command("verify", "after the install: check W&B as its users reach it (DNS, the ingress's TLS, the app, "
                          "a 10 MB upload, the bucket from a browser, the operator's status)")
    p.add_argument("--answers", metavar="FILE", required=True)
    p.add_argument("--only", metavar="ID", nargs="+", action="extend", help="run only these verify.* checks")
    p.add_argument("--output", choices=("text", "json", "junit"), default="text")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="time each probe may take (default: checks.timeout, "
                                                                    "or the probe's own when longer)")
    p.add_argument("--wait", type=float, metavar="SECONDS", default=0.0,
                   help="try failed checks again every 5 s for up to SECONDS (the ingress catching up after an "
                        "install; default 0: once)")
    _override_flag(p, argparse.SUPPRESS)

    p = command("render", "print the Kubernetes objects an install would apply (no cluster access)")
    p.add_argument("--answers", metavar="FILE", required=True)
    p.add_argument("--show-secrets", action="store_true", help="print Secret values instead of redacting them")
    _override_flag(p, argparse.SUPPRESS)
    return parser


def _override_flag(parser: argparse.ArgumentParser, default) -> None:
    # On the main parser and on the subcommands that load answers; a subcommand's SUPPRESS
    # default keeps what was given before the subcommand's name.
    parser.add_argument("--override-strict", metavar="ID[,ID]", action="append", default=default,
                        help="lab use only: go on past these strict checks (hard requirements): their failure is "
                             "reported as a warning, they may be skipped, and the run records it")


def _overrides(args: argparse.Namespace) -> tuple[str, ...]:
    from wbinstall.checklist import strict_ids

    given = tuple(dict.fromkeys(i.strip() for v in getattr(args, "override_strict", None) or [] for i in v.split(",")
                                if i.strip()))
    if wrong := [i for i in given if i not in strict_ids()]:
        raise UsageError(f"--override-strict: {', '.join(wrong)} is not a strict check; strict checks: "
                         f"{', '.join(strict_ids())}")
    if given:
        print(f"wbinstall: --override-strict {','.join(given)}: lab use only; a failure of these strict checks is "
              "reported as a warning and does not stop the run", file=sys.stderr)
    return given


def entry() -> None:
    """The `wbinstall` command: main(), then out at once. Every command has finished its work
    and its output when main returns; what is left are daemon threads of abandoned probes,
    still waiting on a server that never answers, and the interpreter's teardown around them
    took up to a second more (measured by bench/black_holes.py), past `check --timeout T`.
    A hang-up or SIGTERM interrupts like Ctrl-C (the install lock is released; the wizard
    handles its own, wbinstall.session.hangup)."""
    from wbinstall.session.hangup import interrupts

    interrupts()
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed, or a reader that went away
            pass
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)  # exits 2 on usage errors
    try:
        return _dispatch(parser, args)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return exitcodes.INTERRUPTED
    except BrokenPipeError:  # e.g. `wbinstall render ... | head`
        sys.stderr.close()
        return exitcodes.OK
    except UsageError as exc:
        print(f"wbinstall: {exc}", file=sys.stderr)
        return exitcodes.INVALID_INPUT
    except Exception:  # noqa: BLE001 - the last line of defence: log it, never show a traceback
        return _internal_error()


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from wbinstall.answers import AnswersError

    try:
        overrides = _overrides(args)
        if args.command == "validate":
            return _validate(args.answers, overrides)
        if args.command == "schema":
            return _schema()
        if args.command == "init":
            return _init(args.output, args.force)
        if args.command == "sizing":
            return _sizing(args.workload, args.environment, args.cloud, args.output)
        if args.command in ("check", "verify"):
            phase = "preflight" if args.command == "check" else "verify"
            return _check(args.answers, args.only, args.output, args.timeout, overrides, phase,
                          getattr(args, "wait", 0.0))
        if args.command == "render":
            return _render(args.answers, args.show_secrets, overrides)
        if args.interactive and not args.answers:
            parser.error("--interactive needs --answers FILE")
        if args.answers and not args.interactive:
            return _unattended(args.answers, args, overrides)
        return _wizard(args.answers, overrides)
    except AnswersError as exc:
        print(exc.format(), file=sys.stderr)
        print(f"{len([p for p in exc.problems if p.severity == 'error'])} error(s); nothing was changed.", file=sys.stderr)
        return exitcodes.INVALID_INPUT


def _load(path: str, overrides: tuple[str, ...] = ()):
    """Answers with secrets resolved; warnings printed; AnswersError on any problem."""
    from wbinstall import answers

    loaded = answers.load(path, overrides)
    for warning in loaded.warnings:
        print(warning.format(loaded.filename), file=sys.stderr)
    return loaded, answers.resolve_secrets(loaded)


def _validate(path: str, overrides: tuple[str, ...] = ()) -> int:
    _load(path, overrides)
    print(f"{path}: valid")
    return exitcodes.OK


def _schema() -> int:
    from wbinstall.answers import Answers

    schema = Answers.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "wbinstall answers (apiVersion wbinstall/v1)"
    print(json.dumps(schema, indent=2))
    return exitcodes.OK


def _init(output: str, force: bool) -> int:
    from wbinstall import data

    template = data.text("answers-template.yaml")
    if output == "-":
        sys.stdout.write(template)
        return exitcodes.OK
    path = Path(output)
    if path.exists() and not force:
        raise UsageError(f"{output} exists; pass --force to overwrite it")
    path.write_text(template, encoding="utf-8")
    print(f"wrote {output}; edit it, then: wbinstall validate --answers {output}", file=sys.stderr)
    return exitcodes.OK


def _sizing(workload: str, environment: str, cloud: str, output: str) -> int:
    from wbinstall import sizing, text

    rec = sizing.recommend(workload, environment, cloud)  # type: ignore[arg-type]
    print(json.dumps(rec.to_dict(), indent=2) if output == "json" else text.sizing(rec))
    return exitcodes.OK


def _check(path: str, only: list[str] | None, output: str, timeout: float | None,
           overrides: tuple[str, ...] = (), phase: str = "preflight", wait: float = 0.0) -> int:
    from wbinstall import checklist

    known = checklist.CHECK_IDS if phase == "preflight" else checklist.VERIFY_IDS
    unknown = [i for i in only or [] if i not in known]
    if unknown:
        raise UsageError(f"--only: unknown check id {', '.join(unknown)}; known ids: {', '.join(known)}")
    if timeout is not None and not 0 < timeout <= 600:
        raise UsageError("--timeout: give seconds between 0 and 600")
    if not 0 <= wait <= 3600:
        raise UsageError("--wait: give seconds between 0 and 3600")
    loaded, resolved = _load(path, overrides)

    from wbinstall.checks import engine, report

    if phase == "verify":
        from wbinstall.session.verify import settle

        # Each probe gets checks.timeout at least, and its own when longer (the upload's).
        def again(results: list, left: float) -> None:
            failing = ", ".join(r.id for r in results if r.status == "fail")
            print(f"verify: {failing} not yet; trying again (for {left:.0f} s more)", file=sys.stderr, flush=True)

        results = settle(loaded.answers, resolved, loaded.base_dir, only=only, timeout=timeout, settle_for=wait,
                         on_round=again, started=started.monotonic_start())
    else:
        results = engine.run(loaded.answers, resolved, loaded.base_dir, only=only,
                             timeout=timeout if timeout is not None else loaded.answers.checks.timeout,
                             started=started.monotonic_start())
    print({"text": report.text, "json": report.to_json, "junit": report.junit}[output](results))
    return exitcodes.CHECK_FAILED if any(r.status == "fail" for r in results) else exitcodes.OK


def _render(path: str, show_secrets: bool, overrides: tuple[str, ...] = ()) -> int:
    from wbinstall import manifests

    loaded, resolved = _load(path, overrides)
    objects = manifests.render(loaded.answers, resolved, loaded.base_dir)
    if not show_secrets:
        print("# Secret values are redacted; pass --show-secrets to print them.")
    sys.stdout.write(manifests.to_yaml(objects, show_secrets=show_secrets))
    return exitcodes.OK


def _unattended(path: str, args: argparse.Namespace | None = None, overrides: tuple[str, ...] = ()) -> int:
    if args is not None and args.timeout_rollout is not None and args.timeout_rollout <= 0:
        raise UsageError("--timeout-rollout: give a number of seconds above 0")
    loaded, resolved = _load(path, overrides)

    from wbinstall.session.install import InstallOptions, run

    options = InstallOptions(dry_run=bool(getattr(args, "dry_run", False)),
                             force_conflicts=bool(getattr(args, "force_conflicts", False)),
                             timeout_rollout=getattr(args, "timeout_rollout", None))
    return run(loaded, resolved, options)


def _wizard(path: str | None, overrides: tuple[str, ...] = ()) -> int:
    from wbinstall import tui

    loaded = None
    if path:
        from wbinstall import answers

        loaded = answers.load(path, overrides)
    return tui.run(loaded, overrides)


def _internal_error() -> int:
    from wbinstall.paths import append_to_log

    where = append_to_log(traceback.format_exc())
    print(f"wbinstall: internal error ({sys.exc_info()[1].__class__.__name__}); {where}. Please report it.", file=sys.stderr)
    return exitcodes.INTERNAL_ERROR
