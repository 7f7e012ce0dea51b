"""kubeconfig `exec:` credential plugins (aws eks get-token, gke-gcloud-auth-plugin, kubelogin),
run with a bound. The kubernetes library runs them without a timeout, and in a terminal hands
them our stdin: a plugin waiting for a login would hang wbinstall and draw over the wizard. Here
a plugin never sees the terminal, and one that has not answered in time is ended, with every
process it started (its own session), and named in the error.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading

from kubernetes.config.config_exception import ConfigException
from kubernetes.config.exec_provider import ExecProvider

from wbinstall import text

DEFAULT_SECONDS = 30.0
_limit = threading.local()


class PluginFailed(BaseException):
    """Raised through the kubernetes library while wbinstall loads a kubeconfig (`bounded`): the
    library would catch an Exception, log it to the root logger (onto the wizard's terminal) and
    go on without credentials. Caught by wbinstall.kube.config, which names the plugin."""


def _failed(message: str) -> BaseException:
    # A later refresh (the token expired mid-install) happens inside a request: fail it the way
    # the library expects there.
    return PluginFailed(message) if getattr(_limit, "seconds", None) is not None else ConfigException(message)


def limit() -> float:
    return getattr(_limit, "seconds", DEFAULT_SECONDS)


class bounded:
    """`with bounded(seconds, hide_env):` plugins loaded in this thread meanwhile get at most that
    long, and never see the environment variables `hide_env` names (secrets' variables)."""

    def __init__(self, seconds: float, hide_env: tuple[str, ...] = ()):
        self.seconds = max(0.5, seconds)
        self.hide_env = tuple(hide_env)

    def __enter__(self) -> None:
        self._before = (getattr(_limit, "seconds", None), getattr(_limit, "hide_env", ()))
        _limit.seconds, _limit.hide_env = self.seconds, self.hide_env

    def __exit__(self, *exc: object) -> None:
        seconds, hide_env = self._before
        if seconds is None:
            del _limit.seconds
        else:
            _limit.seconds = seconds
        _limit.hide_env = hide_env


class BoundedExecProvider(ExecProvider):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Made while the kubeconfig loads (inside `bounded`); kept for a later token refresh.
        self.hide_env = frozenset(getattr(_limit, "hide_env", ()))

    def run(self, previous_response=None):
        info = {"apiVersion": self.api_version, "kind": "ExecCredential", "spec": {"interactive": False}}
        if self.cluster:
            info["spec"]["cluster"] = self.cluster.value
        self.env["KUBERNETES_EXEC_INFO"] = json.dumps(info)
        env = {k: v for k, v in self.env.items() if k not in self.hide_env}
        name = os.path.basename(str(self.args[0]))
        seconds = limit()
        try:
            process = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, cwd=self.cwd, env=env, text=True,
                                       start_new_session=True)
        except OSError as exc:
            raise _failed(f"exec plugin {name}: cannot start it: {exc.strerror or exc}") from None
        try:
            stdout, stderr = process.communicate(timeout=seconds)
        except subprocess.TimeoutExpired:
            _end(process)
            raise _failed(f"exec plugin {name} gave no credentials within {text.seconds(seconds)} s (it may be waiting "
                          "for a login: run it once by hand); it was ended") from None
        if process.returncode != 0:
            said = stderr.strip().splitlines()[-1:] if stderr else []
            raise _failed(f"exec plugin {name} exited with {process.returncode}" + (f": {said[0][:300]}" if said else ""))
        try:
            data = json.loads(stdout)
            status = data["status"]
        except (ValueError, KeyError, TypeError):
            raise _failed(f"exec plugin {name} did not print an ExecCredential") from None
        if data.get("apiVersion") != self.api_version:
            raise _failed(f"exec plugin {name}: apiVersion {data.get('apiVersion')} is not {self.api_version}")
        return status


def _end(process: subprocess.Popen) -> None:
    """End the plugin and everything it started (it leads its own process group)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.communicate()


def install() -> None:
    """Make the kubernetes library's kubeconfig loader use the bounded provider."""
    from kubernetes.config import kube_config

    kube_config.ExecProvider = BoundedExecProvider
