"""Files the answers name, on a hostile machine: FIFOs, devices, huge files, NUL bytes, paths
too long, a URL that is not one. Each is refused with the field and exit 2, never waited on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import SECRET_VALUES, VALID

REPO = Path(__file__).resolve().parents[2]


def validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wbinstall", "validate", "--answers", str(path)],
                          capture_output=True, text=True, cwd=REPO, timeout=30, stdin=subprocess.DEVNULL,
                          env={**os.environ, **SECRET_VALUES})


def test_a_fifo_as_the_answers_file_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "answers.yaml"
    os.mkfifo(fifo)
    done = validate(fifo)
    assert done.returncode == 2 and "the answers file is not a regular file" in done.stdout + done.stderr


@pytest.mark.parametrize("make", [os.mkdir, lambda p: p.symlink_to("/dev/null")], ids=["directory", "dev-null"])
def test_an_answers_path_that_is_no_file_is_refused(tmp_path, make):
    path = tmp_path / "answers.yaml"
    make(path)
    done = validate(path)
    out = done.stdout + done.stderr
    assert done.returncode == 2 and "the answers file is not a regular file" in out and "Traceback" not in out, out


@pytest.mark.parametrize("content, message", [
    (b"\x93" + os.urandom(4096), "is not text (UTF-8): not a kubeconfig"),
    (b"{{{ [", "is not valid YAML (expected the node content, but found '<stream end>' at line 1)"),
    (b"- just\n- a list\n", "holds no kubeconfig (a YAML mapping with clusters, users and contexts)"),
], ids=["random", "bad-yaml", "list"])
def test_a_kubeconfig_of_garbage_fails_k8s_connect_naming_the_file(write_answers, tmp_path, content, message):
    (tmp_path / "kubeconfig").write_bytes(content)
    path = write_answers(VALID.replace("kubernetes: {namespace: wandb}", "kubernetes: {namespace: wandb, kubeconfig: kubeconfig}"))
    done = subprocess.run([sys.executable, "-m", "wbinstall", "check", "--answers", str(path), "--only", "k8s.connect"],
                          capture_output=True, text=True, cwd=REPO, timeout=60, stdin=subprocess.DEVNULL,
                          env={**os.environ, **SECRET_VALUES, "NO_COLOR": "1"})
    out = done.stdout + done.stderr
    assert done.returncode == 1 and "FAIL  k8s.connect" in out and "Traceback" not in out, out
    assert f"{tmp_path / 'kubeconfig'} {message}" in out, out


@pytest.mark.parametrize("make, message", [
    (os.mkdir, "is not a regular file"),
    (os.mkfifo, "is not a regular file"),
], ids=["directory", "fifo"])
def test_a_kubeconfig_that_is_no_kubeconfig_is_refused_with_its_field(write_answers, tmp_path, make, message):
    make(tmp_path / "kubeconfig")
    done = validate(write_answers(VALID.replace("kubernetes: {namespace: wandb}", "kubernetes: {namespace: wandb, kubeconfig: kubeconfig}")))
    out = done.stdout + done.stderr
    assert done.returncode == 2 and "kubernetes.kubeconfig" in out and message in out and "Traceback" not in out, out


@pytest.mark.parametrize("make, message", [
    (lambda p: os.mkfifo(p), "is not a regular file"),
    (lambda p: p.symlink_to("/dev/zero"), "is not a regular file"),
    (lambda p: p.write_bytes(b"x" * (2 * 1024 * 1024)), "is larger than 1024 KiB"),
    (lambda p: p.mkdir(), "is not a regular file"),
], ids=["fifo", "dev-zero", "2-MiB", "directory"])
def test_a_secret_file_that_is_no_secret_is_refused_with_its_field(write_answers, tmp_path, make, message):
    make(tmp_path / "password")
    done = validate(write_answers(VALID.replace("{env: WB_TEST_MYSQL_PASSWORD}", "{file: password}")))
    out = done.stdout + done.stderr
    assert done.returncode == 2 and "mysql.password" in out and message in out, out
    assert "Traceback" not in out


@pytest.mark.parametrize("value, message", [
    ('"tls\\0.crt"', "a path cannot hold a NUL byte"),
    ('"' + "d" * 300 + '.crt"', "a path longer than the file system allows"),
    ("plain.txt", "holds no PEM certificate"),
], ids=["nul", "too-long", "not-pem"])
def test_a_cert_file_that_cannot_serve_is_refused_at_validation(write_answers, tmp_path, value, message):
    (tmp_path / "plain.txt").write_text("not a certificate\n")
    (tmp_path / "tls.key").write_text("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n")
    done = validate(write_answers(VALID + f"ingress: {{certFile: {value}, keyFile: tls.key}}\n"))
    out = done.stdout + done.stderr
    assert done.returncode == 2 and "ingress.certFile" in out and message in out, out


@pytest.mark.parametrize("header", ["-----BEGIN ENCRYPTED PRIVATE KEY-----",
                                    "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED"])
def test_an_encrypted_key_file_is_refused_at_validation(write_answers, tmp_path, header):
    """An ingress cannot ask for a passphrase; nor may a check prompt for one on the terminal."""
    (tmp_path / "tls.crt").write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    (tmp_path / "tls.key").write_text(f"{header}\nMIIE\n-----END PRIVATE KEY-----\n")
    done = validate(write_answers(VALID + "ingress: {certFile: tls.crt, keyFile: tls.key}\n"))
    out = done.stdout + done.stderr
    assert done.returncode == 2 and "ingress.keyFile" in out and "is encrypted (it needs a passphrase)" in out, out

@pytest.mark.parametrize("endpoint", ["'https://['", "'https://minio:99999'", "'ftp://minio.lab'", "'minio.lab:9000'"])
def test_an_endpoint_that_is_not_a_url_is_refused(write_answers, endpoint):
    text = VALID.replace("  provider: s3\n", "  provider: s3-compatible\n").replace(
        "  region: eu-west-1\n", f"  endpoint: {endpoint}\n  accessKey: {{env: WB_TEST_ACCESS_KEY}}\n"
        "  secretKey: {env: WB_TEST_SECRET_KEY}\n")
    done = validate(write_answers(text))
    out = done.stdout + done.stderr
    assert done.returncode == 2 and "storage.endpoint" in out and "Traceback" not in out, out
