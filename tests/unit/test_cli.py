"""The command line as a script sees it: exit codes, stdout/stderr, never a traceback."""

import json
import os
import subprocess
import sys

import pytest
import yaml

from .conftest import SECRET_VALUES, VALID


def wbinstall(*args, env_extra=None, cwd=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WB_TEST_")}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "wbinstall", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=60)


def test_validate_accepts_a_valid_file(write_answers):
    r = wbinstall("validate", "--answers", str(write_answers(VALID)), env_extra=SECRET_VALUES)
    assert r.returncode == 0 and "valid" in r.stdout


def test_validate_reports_every_problem_and_exits_2(write_answers):
    path = write_answers(VALID.replace("cloud: aws", "cloud: aws\nhots: x").replace("port", "port"))
    r = wbinstall("validate", "--answers", str(path))  # and no secret env vars set
    assert r.returncode == 2
    lines = [line for line in r.stderr.splitlines() if line.startswith(str(path))]
    assert [line.split(": ")[1] for line in lines] == ["hots", "license", "mysql.password"]
    assert "did you mean 'host'?" in lines[0] and f"{path}:5:1" in lines[0]
    assert "Traceback" not in r.stderr


def test_malformed_yaml_exits_2_without_a_traceback(write_answers):
    r = wbinstall("validate", "--answers", str(write_answers("workload: [\n")))
    assert r.returncode == 2 and "malformed YAML" in r.stderr and "Traceback" not in r.stderr


def test_usage_errors_exit_2():
    assert wbinstall("sizing", "--workload", "everything", "--environment", "test").returncode == 2
    assert wbinstall("no-such-command").returncode == 2
    assert wbinstall("validate").returncode == 2


def test_init_writes_a_template_that_validates(tmp_path):
    out = tmp_path / "answers.yaml"
    r = wbinstall("init", "-o", str(out))
    assert r.returncode == 0 and out.exists()
    env = {"WANDB_LICENSE": "x-license", "WANDB_MYSQL_PASSWORD": "x-password"}
    assert wbinstall("validate", "--answers", str(out), env_extra=env).returncode == 0
    again = wbinstall("init", "-o", str(out))
    assert again.returncode == 2 and "--force" in again.stderr


def test_schema_is_json_schema_with_the_contract_fields():
    r = wbinstall("schema")
    schema = json.loads(r.stdout)
    assert r.returncode == 0
    assert {"apiVersion", "workload", "environment", "cloud", "host", "license", "kubernetes", "ingress",
            "mysql", "storage", "operator", "checks"} <= set(schema["properties"])
    storage = schema["$defs"]["StorageAnswers"]["properties"]
    assert {"provider", "bucket", "region", "endpoint", "path", "kmsKey", "accessKey", "secretKey"} <= set(storage)
    assert schema["$defs"]["IngressAnswers"]["properties"].keys() >= {"class", "tlsSecret", "certFile", "keyFile"}


def test_sizing_text_and_json():
    text = wbinstall("sizing", "--workload", "models", "--environment", "production", "--cloud", "aws")
    assert text.returncode == 0 and "8 CPU cores, 64 GB memory, 100 GB disk" in text.stdout and "r6i.2xlarge" in text.stdout
    js = json.loads(wbinstall("sizing", "--workload", "models", "--environment", "test", "--output", "json").stdout)
    assert js["kubernetesNode"]["cpuCores"] == 2 and js["mysqlNode"]["diskGB"] == 100


def test_render_prints_yaml_without_secrets_by_default(write_answers):
    r = wbinstall("render", "--answers", str(write_answers(VALID)), env_extra=SECRET_VALUES)
    assert r.returncode == 0
    kinds = [d["kind"] for d in yaml.safe_load_all(r.stdout)]
    assert kinds[0] == "Namespace" and kinds[-1] == "WeightsAndBiases"
    for value in SECRET_VALUES.values():
        assert value not in r.stdout and value not in r.stderr


def test_render_show_secrets(write_answers):
    r = wbinstall("render", "--answers", str(write_answers(VALID)), "--show-secrets", env_extra=SECRET_VALUES)
    assert r.returncode == 0 and SECRET_VALUES["WB_TEST_LICENSE"] in r.stdout


def test_help_documents_the_exit_codes():
    r = wbinstall("--help")
    assert r.returncode == 0
    for code in ("0", "1", "2", "3", "130"):
        assert any(line.split()[:1] == [code] for line in r.stdout.splitlines()), code


def test_an_internal_error_is_logged_not_shown(write_answers, tmp_path, monkeypatch):
    # Any unexpected exception inside a command: one line for the user, the detail in the log.
    state = tmp_path / "state"
    r = subprocess.run(
        [sys.executable, "-c", "import wbinstall.cli as c, wbinstall.sizing as s;"
         "s.recommend = lambda *a: 1/0; raise SystemExit(c.main(['sizing','--workload','models','--environment','test']))"],
        capture_output=True, text=True, env={**os.environ, "WBINSTALL_STATE_DIR": str(state)}, timeout=60)
    assert r.returncode == 4
    assert "internal error (ZeroDivisionError)" in r.stderr and "Traceback" not in r.stderr
    assert "ZeroDivisionError" in (state / "wbinstall.log").read_text()


def test_an_internal_error_after_the_secrets_are_read_logs_none_of_them(write_answers, tmp_path):
    """The log's traceback is cleared of every secret the command resolved, though the code
    that writes it (the last line of defence) never saw them."""
    state = tmp_path / "state"
    crash = ("import sys, wbinstall.cli as c, wbinstall.manifests as m\n"
             "def render(answers, secrets, base_dir):\n"
             "    raise RuntimeError('cannot render ' + ' '.join(secrets.values()))\n"
             "m.render = render\n"
             "raise SystemExit(c.main(['render', '--answers', sys.argv[1]]))\n")
    r = subprocess.run([sys.executable, "-c", crash, str(write_answers(VALID))], capture_output=True, text=True,
                       env={**os.environ, **SECRET_VALUES, "WBINSTALL_STATE_DIR": str(state)}, timeout=60)
    assert r.returncode == 4 and "internal error (RuntimeError)" in r.stderr and "Traceback" not in r.stderr
    log = (state / "wbinstall.log").read_text()
    assert "RuntimeError: cannot render <redacted> <redacted>\n" in log  # the license and the MySQL password
    for value in SECRET_VALUES.values():
        assert value not in log and value not in r.stderr + r.stdout


def test_check_refuses_an_unknown_check_id(write_answers):
    r = wbinstall("check", "--answers", str(write_answers(VALID)), "--only", "k8s.verison", env_extra=SECRET_VALUES)
    assert r.returncode == 2 and "unknown check id k8s.verison" in r.stderr



def test_check_only_given_twice_keeps_both_lists():
    """`--only a --only b` runs a and b (it used to keep only the last list)."""
    from wbinstall.cli import _parser

    args = _parser().parse_args(["check", "--answers", "a.yaml", "--only", "k8s.version", "--only", "mysql.version",
                                 "mysql.settings"])
    assert args.only == ["k8s.version", "mysql.version", "mysql.settings"]
    verify = _parser().parse_args(["verify", "--answers", "a.yaml", "--only", "verify.dns", "--only", "verify.tls"])
    assert verify.only == ["verify.dns", "verify.tls"]

def _closed_kubeconfig(path):
    """A kubeconfig whose API server port has nothing listening."""
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago, now closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "gone",
        "clusters": [{"name": "gone", "cluster": {"server": f"https://127.0.0.1:{port}", "insecure-skip-tls-verify": True}}],
        "users": [{"name": "u", "user": {"token": "not-a-secret-token"}}],
        "contexts": [{"name": "gone", "context": {"cluster": "gone", "user": "u"}}],
    }))
    return path


@pytest.mark.parametrize("output", ["text", "json"])
def test_check_only_a_dependent_whose_dependency_fails_exits_1_and_shows_the_cause(write_answers, tmp_path, output):
    kubeconfig = _closed_kubeconfig(tmp_path / "kubeconfig")
    text = VALID.replace("kubernetes: {namespace: wandb}", f"kubernetes: {{namespace: wandb, kubeconfig: {kubeconfig}}}")
    r = wbinstall("check", "--answers", str(write_answers(text)), "--only", "k8s.arch", "--output", output,
                  "--timeout", "5", env_extra=SECRET_VALUES)
    assert r.returncode == 1, r.stdout + r.stderr
    if output == "json":
        data = json.loads(r.stdout)
        assert [(x["id"], x["status"]) for x in data["results"]] == [("k8s.connect", "fail"), ("k8s.arch", "skip")]
        assert data["counts"]["fail"] == 1
    else:
        lines = r.stdout.splitlines()
        assert lines[0].startswith("FAIL  k8s.connect  ") and "Connection refused" in r.stdout
        assert any(line.startswith("SKIP  k8s.arch     not run: k8s.connect failed") for line in lines)
