"""answers.dump: the YAML the wizard saves is the YAML --answers reads, secrets as references."""

from __future__ import annotations

import pytest

from tests.wizard.support import ANSWERS, loaded_answers
from wbinstall.answers import parse
from wbinstall.answers.dump import LiteralSecretError, dump, to_data

FULL = """\
apiVersion: wbinstall/v1
workload: models-and-weave
environment: production
cloud: other
host: wandb.example.com
license: {file: secrets/license.txt}
kubernetes: {kubeconfig: kube.yaml, context: prod, namespace: ml}
ingress: {class: nginx, certFile: tls.crt, keyFile: tls.key}
mysql: {host: db.example.com, port: 3307, database: wb, user: wb, password: {env: PW}, tls: true, caFile: ca.pem}
storage: {provider: s3-compatible, bucket: b, endpoint: 'https://minio.example.com:9000',
          accessKey: {env: AK}, secretKey: {file: sk.txt}, path: wandb/}
operator: {image: 'wandb/controller:1.20.0', chartVersion: 0.43.8, airgap: {registry: registry.lab}}
checks:
  skip: [{id: tls.certificate, reason: certificate arrives with the load balancer}]
  timeout: 20
  dns: {nameservers: ['10.0.0.2:53']}
"""


@pytest.fixture
def files(tmp_path):
    """The files FULL names, so that its cross-field rules (files exist) hold."""
    (tmp_path / "secrets").mkdir()
    for name in ("secrets/license.txt", "sk.txt", "kube.yaml"):
        (tmp_path / name).write_text("x\n")
    # CA and certificate files must hold a PEM certificate, the key file a PEM key (checked at load time).
    for name in ("ca.pem", "tls.crt"):
        (tmp_path / name).write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    (tmp_path / "tls.key").write_text("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n")
    return tmp_path


@pytest.mark.parametrize("text", [ANSWERS, FULL], ids=["typical", "every-section"])
def test_dump_loads_back_to_the_same_answers(text, files):
    original = loaded_answers(text, files).answers
    again = parse(dump(original), base_dir=files).answers
    assert again == original


def test_defaults_are_left_out():
    text = dump(loaded_answers().answers)
    assert "operator" not in text and "timeout" not in text and "port" not in text and "dns" not in text


def test_secrets_are_written_as_references(files):
    data = to_data(loaded_answers(FULL, files).answers)
    assert data["license"] == {"file": "secrets/license.txt"}
    assert data["mysql"]["password"] == {"env": "PW"}
    assert data["storage"]["secretKey"] == {"file": "sk.txt"}


def test_a_literal_secret_is_never_written():
    answers = loaded_answers(ANSWERS.replace("{env: WB_TEST_LICENSE}", "literal-licence-value")).answers
    with pytest.raises(LiteralSecretError) as err:
        dump(answers)
    assert "literal-licence-value" not in str(err.value)
    assert "license" not in to_data(answers, omit_literals=True)


def test_wizard_prefilled_from_a_literal_keeps_it_in_memory_only():
    from wbinstall.screens.state import from_loaded

    state = from_loaded(loaded_answers(ANSWERS.replace("{env: WB_TEST_LICENSE}", "literal-licence-value")))
    assert "license" not in state.data
    assert state.typed[("license",)] == "literal-licence-value"


def test_interactive_flag_opens_the_wizard_prefilled(tmp_path, monkeypatch):
    from wbinstall import cli, tui

    path = tmp_path / "answers.yaml"
    path.write_text(ANSWERS)
    seen = []
    monkeypatch.setattr(tui, "run", lambda loaded=None, overrides=(): seen.append(loaded) or 0)
    assert cli.main(["--answers", str(path), "--interactive"]) == 0
    assert seen[0].answers.host == "wandb.example.com"
    assert cli.main([]) == 0 and seen[1] is None
