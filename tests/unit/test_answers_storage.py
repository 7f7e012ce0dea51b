"""The storage answers for GCS and Azure Blob: their own fields, and a clear message (field, line)
when one is given to the wrong provider."""

import pytest

from wbinstall import answers
from wbinstall.answers import AnswersError

from .conftest import VALID


def storage(text: str) -> str:
    return VALID.split("storage:")[0] + "storage:\n" + text


def errors_of(path):
    with pytest.raises(AnswersError) as info:
        answers.load(path)
    return info.value.problems


def test_gcs_with_a_key_file_loads_and_resolves_it(write_answers, secret_env, tmp_path):
    (tmp_path / "sa.json").write_text('{"type": "service_account"}')
    path = write_answers(storage("  provider: gcs\n  bucket: wandb-gcs\n  serviceAccountKey: {file: sa.json}\n"))
    loaded = answers.load(path)
    assert answers.resolve_secrets(loaded)[("storage", "serviceAccountKey")] == '{"type": "service_account"}'


def test_azure_with_an_account_key_loads(write_answers, secret_env, monkeypatch):
    monkeypatch.setenv("WB_AZ_KEY", "a2V5")
    path = write_answers(storage("  provider: azure\n  bucket: wandb\n  account: acmewandb\n"
                                 "  accountKey: {env: WB_AZ_KEY}\n"))
    assert answers.load(path).warnings == []


def test_azure_without_an_account_key_warns_that_wandb_needs_it(write_answers, secret_env, monkeypatch):
    monkeypatch.setenv("WB_AZ_SAS", "sv=x&sig=y")
    path = write_answers(storage("  provider: azure\n  bucket: wandb\n  account: acmewandb\n"
                                 "  sasToken: {env: WB_AZ_SAS}\n"))
    found = answers.load(path).warnings
    assert [p.path for p in found] == ["storage.accountKey"]
    assert "W&B's chart reads the storage account key" in found[0].message


def test_a_key_for_another_provider_names_the_field_and_line(write_answers, secret_env, monkeypatch):
    monkeypatch.setenv("WB_AZ_KEY", "a2V5")
    path = write_answers(storage("  provider: s3\n  bucket: b\n  region: us-east-1\n  accountKey: {env: WB_AZ_KEY}\n"
                                 "  serviceAccountKey: {env: WB_AZ_KEY}\n"))
    found = {p.path: p for p in errors_of(path)}
    assert found["storage.accountKey"].message == "only used when provider is azure"
    assert found["storage.serviceAccountKey"].message == "only used when provider is gcs"
    assert found["storage.accountKey"].line == 15


def test_azure_takes_an_account_key_or_a_sas_token_not_both(write_answers, secret_env, monkeypatch):
    monkeypatch.setenv("WB_AZ_KEY", "a2V5")
    path = write_answers(storage("  provider: azure\n  bucket: wandb\n  account: acmewandb\n"
                                 "  accountKey: {env: WB_AZ_KEY}\n  sasToken: {env: WB_AZ_KEY}\n"))
    assert any(p.path == "storage.sasToken" and "not both" in p.message for p in errors_of(path))


def test_an_endpoint_is_allowed_for_gcs_and_azure_but_not_aws_s3(write_answers, secret_env):
    ok = write_answers(storage("  provider: gcs\n  bucket: b\n  endpoint: https://storage.example.internal\n"))
    assert answers.load(ok).answers.storage.endpoint == "https://storage.example.internal"
    bad = write_answers(storage("  provider: s3\n  bucket: b\n  region: us-east-1\n  endpoint: https://s3.local\n"),
                        name="bad.yaml")
    assert any(p.path == "storage.endpoint" and "only used when provider is s3-compatible, gcs or azure" in p.message
               for p in errors_of(bad))
