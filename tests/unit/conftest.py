import textwrap
from pathlib import Path

import pytest

VALID = """\
apiVersion: wbinstall/v1
workload: models-and-weave
environment: production
cloud: aws
host: wandb.example.com
license: {env: WB_TEST_LICENSE}
kubernetes: {namespace: wandb}
mysql:
  host: db.example.com
  password: {env: WB_TEST_MYSQL_PASSWORD}
storage:
  provider: s3
  bucket: wandb-bucket
  region: eu-west-1
"""

SECRET_VALUES = {
    "WB_TEST_LICENSE": "license-value-7f3a9c",
    "WB_TEST_MYSQL_PASSWORD": "mysql-pass-91bd2e",
    "WB_TEST_ACCESS_KEY": "access-key-55aa01",
    "WB_TEST_SECRET_KEY": "secret-key-c0ffee",
}


@pytest.fixture
def secret_env(monkeypatch):
    for name, value in SECRET_VALUES.items():
        monkeypatch.setenv(name, value)
    return SECRET_VALUES


@pytest.fixture
def write_answers(tmp_path):
    def write(text: str, name: str = "answers.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write
