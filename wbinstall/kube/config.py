"""Which cluster: the kubeconfig file(s), the context, and an API client built from them.

The one place that resolves `kubernetes.kubeconfig` / `kubernetes.context` (a relative path is
relative to the answers file; else $KUBECONFIG, merged like kubectl does, else
~/.kube/config), and the one retry policy: none. urllib3's retries would multiply every
timeout (an address that accepts and never answers would cost four timeouts, not one), so a
caller that wants another attempt makes it itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from wbinstall.answers.files import resolve

ConfigProblem = Literal[
    "no-kubeconfig",     # no file at the given path / $KUBECONFIG / ~/.kube/config
    "bad-kubeconfig",    # unreadable YAML, missing cluster/user entry, credential plugin failed
    "unknown-context",   # answers.kubernetes.context is not in the kubeconfig
    "no-context",        # no context chosen and the kubeconfig has no current-context
]


@dataclass(frozen=True)
class Kubeconfig:
    paths: tuple[str, ...]          # files read, or the places looked at when none exists
    contexts: tuple[str, ...] = ()  # every context the files define
    current_context: str | None = None
    context: str | None = None      # the context used (chosen, else current)
    cluster: str | None = None
    server: str | None = None
    client_cert_expires: str | None = None  # the context user's client certificate's notAfter (ISO, UTC)


class KubeconfigError(Exception):
    """The kubeconfig cannot give a cluster: no file, unreadable, no or unknown context."""

    def __init__(self, kind: ConfigProblem, detail: str, seen: Kubeconfig):
        super().__init__(detail)
        self.kind, self.detail, self.seen = kind, detail, seen


def candidates(kubeconfig: str | None, base_dir: Path | None) -> tuple[list[Path], str]:
    """The files to read, and how to name where they came from in a message."""
    if kubeconfig:
        path = resolve(kubeconfig, base_dir)
        return [path], f"kubernetes.kubeconfig: {path}"
    if os.environ.get("KUBECONFIG"):
        # Like kubectl: a list of files; those that exist are merged.
        listed = [Path(p).expanduser() for p in os.environ["KUBECONFIG"].split(os.pathsep) if p]
        return listed, f"$KUBECONFIG={os.environ['KUBECONFIG']}"
    default = Path("~/.kube/config").expanduser()
    return [default], f"the default {default}"


def read(kubeconfig: str | None, context: str | None, base_dir: Path | None) -> tuple[Kubeconfig, str]:
    """The kubeconfig seen and the config file(s) to load (os.pathsep-joined). No network.

    Raises KubeconfigError with what was seen so far."""
    paths, where = candidates(kubeconfig, base_dir)
    existing = [str(p) for p in paths if p.is_file()]
    if not existing:
        raise KubeconfigError("no-kubeconfig", f"no kubeconfig file at {where}", Kubeconfig(tuple(map(str, paths))))
    config_file = os.pathsep.join(existing)
    raw = _merged(config_file, Kubeconfig(tuple(existing)))

    contexts = {str(c.get("name")): (c.get("context") or {}) for c in _named(raw.get("contexts"))}
    current = raw.get("current-context") or None
    seen = Kubeconfig(tuple(existing), tuple(contexts), current)
    if context and context not in contexts:
        raise KubeconfigError("unknown-context", f"no context named '{context}'", seen)
    wanted = context or current
    if not wanted:
        raise KubeconfigError("no-context", "the kubeconfig sets no current-context", seen)
    if wanted not in contexts:
        raise KubeconfigError("unknown-context", f"current-context '{wanted}' is not defined", seen)
    cluster = contexts[wanted].get("cluster")
    server = next((c.get("cluster", {}).get("server") for c in _named(raw.get("clusters"))
                   if c.get("name") == cluster), None)
    user = next((u.get("user") or {} for u in _named(raw.get("users")) if u.get("name") == contexts[wanted].get("user")),
                {})
    expires = _cert_expiry(user, Path(existing[0]).parent)
    return Kubeconfig(tuple(existing), tuple(contexts), current, wanted, cluster, server, expires), config_file


def context_names(kubeconfig: str | None, base_dir: Path | None) -> list[str]:
    """Every context the kubeconfig defines (none when it cannot be read), for a picker."""
    try:
        return list(read(kubeconfig, None, base_dir)[0].contexts)
    except KubeconfigError as exc:
        return list(exc.seen.contexts)


def api_client(kubeconfig: str | None, context: str | None, base_dir: Path | None,
               seconds: float | None = None, hide_env: tuple[str, ...] = ()) -> Any:
    """An ApiClient for that kubeconfig and context, without touching the kubernetes library's
    global configuration. Raises KubeconfigError (credential plugins and bad entries too)."""
    return open_client(kubeconfig, context, base_dir, seconds, hide_env)[1]


def open_client(kubeconfig: str | None, context: str | None, base_dir: Path | None,
                seconds: float | None = None, hide_env: tuple[str, ...] = ()) -> tuple[Kubeconfig, Any]:
    """The kubeconfig seen and an ApiClient from it (see api_client); an `exec:` credential
    plugin gets `seconds` to answer (default exec_plugin.DEFAULT_SECONDS) and an environment
    without the variables `hide_env` names (those the answers read secrets from)."""
    seen, config_file = read(kubeconfig, context, base_dir)
    from kubernetes import client, config

    from wbinstall.kube import exec_plugin, memory_files

    exec_plugin.install()
    memory_files.install()
    cfg = client.Configuration()
    cfg.retries = False
    try:
        with exec_plugin.bounded(seconds if seconds is not None else exec_plugin.DEFAULT_SECONDS, hide_env):
            return seen, config.new_client_from_config(config_file=config_file, context=seen.context,
                                                       persist_config=False, client_configuration=cfg)
    except (Exception, exec_plugin.PluginFailed) as exc:  # noqa: BLE001 - any loader failure is a kubeconfig problem
        raise KubeconfigError("bad-kubeconfig", _loader_message(exc), seen) from None


def connect(answers: Any, base_dir: Path | None = None, seconds: float | None = None) -> Any:
    """api_client() for the answers' `kubernetes` section."""
    from wbinstall.answers.fields import secret_env_names

    k = answers.kubernetes
    return api_client(k.kubeconfig, k.context, base_dir, seconds, secret_env_names(answers))


def _merged(config_file: str, seen: Kubeconfig) -> dict[str, Any]:
    import yaml
    from kubernetes.config.kube_config import KubeConfigMerger

    try:
        merged = KubeConfigMerger(config_file).config
        raw = merged.value if merged is not None else None
    except UnicodeDecodeError:
        raise KubeconfigError("bad-kubeconfig", f"{config_file} is not text (UTF-8): not a kubeconfig", seen) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise KubeconfigError("bad-kubeconfig", f"{config_file} is not valid YAML ({getattr(exc, 'problem', None) or 'unreadable'}"
                              f"{where})", seen) from None
    except (TypeError, AttributeError, KeyError, IndexError):  # the merger's words for YAML of another shape
        raise KubeconfigError("bad-kubeconfig", f"{config_file} holds no kubeconfig (a YAML mapping with clusters, "
                              "users and contexts)", seen) from None
    except Exception as exc:  # noqa: BLE001 - unreadable file or YAML error
        raise KubeconfigError("bad-kubeconfig", _loader_message(exc), seen) from None
    if not isinstance(raw, dict):
        raise KubeconfigError("bad-kubeconfig", f"{config_file} holds no kubeconfig", seen)
    return raw


def _cert_expiry(user: Any, base: Path) -> str | None:
    """When the user's client certificate (inlined, or a file) stops being valid; None when it has
    none or it cannot be read (the connection will say why). A certificate is public: no secret."""
    import base64

    from cryptography import x509

    try:
        user = getattr(user, "value", user)
        if not isinstance(user, dict):
            return None
        if user.get("client-certificate-data"):
            pem = base64.b64decode(str(user["client-certificate-data"]))
        elif user.get("client-certificate"):
            from wbinstall.answers.files import read_bytes

            pem = read_bytes(resolve(str(user["client-certificate"]), base), limit=256 * 1024)
        else:
            return None
        cert = x509.load_pem_x509_certificate(pem)
        return cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    except Exception:  # noqa: BLE001 - evidence only
        return None


def _named(items: Any) -> list[dict[str, Any]]:
    """Entries of a kubeconfig list (the merger wraps them in ConfigNodes)."""
    out = []
    for item in items or []:
        value = getattr(item, "value", item)
        if isinstance(value, dict):
            out.append(value)
    return out


def _loader_message(exc: Exception) -> str:
    return str(exc).strip() or type(exc).__name__
