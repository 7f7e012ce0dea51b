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


@pytest.mark.parametrize("make, message", [
    (lambda p: os.mkfifo(p), "is not a regular file"),
    (lambda p: p.symlink_to("/dev/zero"), "is not a regular file"),
    (lambda p: p.write_bytes(b"x" * (2 * 1024 * 1024)), "is larger than 1024 KiB"),
], ids=["fifo", "dev-zero", "2-MiB"])
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


@pytest.mark.parametrize("endpoint", ["'https://['", "'https://minio:99999'", "'ftp://minio.lab'", "'minio.lab:9000'"])
def test_an_endpoint_that_is_not_a_url_is_refused(write_answers, endpoint):
    text = VALID.replace("  provider: s3\n", "  provider: s3-compatible\n").replace(
        "  region: eu-west-1\n", f"  endpoint: {endpoint}\n  accessKey: {{env: WB_TEST_ACCESS_KEY}}\n"
        "  secretKey: {env: WB_TEST_SECRET_KEY}\n")
    done = validate(write_answers(text))
    out = done.stdout + done.stderr
    assert done.returncode == 2 and "storage.endpoint" in out and "Traceback" not in out, out
