"""storage.access / storage.presign / storage.cors for Azure Blob, end to end through the engine
against Azurite 3.35.0 (sandbox/azurite.py): it checks Shared Key and SAS signatures and answers
preflights from the account's Blob service CORS rules, so every path here is the emulator's real
answer. One account per CORS case (Blob CORS is per account, as in Azure)."""

from __future__ import annotations

import socket

import pytest

from sandbox.azurite import WANDB_ORIGIN
from sandbox.procs import free_port
from tests.checks.support import make_answers, make_secrets, probe_context, run_checks
from wbinstall.checks import report
from wbinstall.checks.storage.probe import gather

STORAGE_IDS = ["storage.access", "storage.presign", "storage.cors"]
HOST = WANDB_ORIGIN.removeprefix("https://")


def answers(az, account: str, container: str = "wandb", auth: str = "accountKey", **storage):
    return make_answers(storage={"provider": "azure", "bucket": container, "region": None, "account": account,
                                 "endpoint": az.endpoint(account), auth: {"env": "WB_AZURE_SECRET"}, **storage})


def check(az, account: str, *, secret: str | None = None, auth: str = "accountKey", container: str = "wandb",
          **storage):
    a = answers(az, account, container, auth, **storage)
    value = secret if secret is not None else az.account_key(account)
    return run_checks(a, make_secrets(**{f"storage.{auth}": value}), only=STORAGE_IDS)


def statuses(results) -> dict[str, str]:
    return {i: r.status for i, r in results.items()}


# -- pass --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["cors_ok", "cors_ok_origin"])
def test_account_with_wandb_cors_passes_all_three(sandbox_azurite, sandbox_azurite_accounts, case):
    results = check(sandbox_azurite, sandbox_azurite_accounts[case])
    assert statuses(results) == dict.fromkeys(STORAGE_IDS, "pass"), report.text(list(results.values()))
    cors = results["storage.cors"]
    assert "a real preflight agrees" in cors.summary
    # the preflight asked for the headers a SAS upload sends, and Azurite allowed them
    assert any(e.startswith("preflight OPTIONS for PUT") and "Access-Control-Allow-Headers: content-type, "
               "x-ms-blob-type" in e for e in cors.evidence)
    assert any("presigned PUT" in e and "HTTP 201" in e for e in results["storage.presign"].evidence)


def test_an_account_sas_passes_and_signs_nothing_new(sandbox_azurite, sandbox_azurite_accounts):
    az, account = sandbox_azurite, sandbox_azurite_accounts["cors_ok"]
    sas = az.sas(account, "wandb", account_level=True)
    results = check(az, account, secret=sas, auth="sasToken")
    assert statuses(results) == dict.fromkeys(STORAGE_IDS, "pass")
    assert "credentials: storage.sasToken from the answers (SAS)" in results["storage.access"].evidence


def test_objects_go_under_the_path_prefix_and_are_removed(sandbox_azurite, sandbox_azurite_accounts):
    az, account = sandbox_azurite, sandbox_azurite_accounts["cors_ok"]
    results = check(az, account, path="/team/wandb/")
    assert results["storage.access"].status == "pass"
    assert any(e.startswith("test object: team/wandb/wbinstall-probe-") for e in results["storage.access"].evidence)
    assert [b.name for b in az.service(account).get_container_client("wandb").list_blobs()] == []


# -- warn ----------------------------------------------------------------------------------------------

def test_container_sas_cannot_read_service_cors_but_the_preflight_decides(sandbox_azurite, sandbox_azurite_accounts):
    az, account = sandbox_azurite, sandbox_azurite_accounts["cors_ok"]
    results = check(az, account, secret=az.sas(account, "wandb"), auth="sasToken")
    assert results["storage.access"].status == results["storage.presign"].status == "pass"
    cors = results["storage.cors"]
    assert cors.status == "warn", cors
    assert "cannot read the CORS rules of storage account wbcorsok (Blob service)" in cors.summary
    assert "a real preflight from https://wandb.sandbox.test was allowed" in cors.summary
    assert "Storage Account Contributor" in cors.remedy and "srt=s" in cors.remedy


def test_container_sas_with_a_refused_preflight_fails(sandbox_azurite, sandbox_azurite_accounts):
    az, account = sandbox_azurite, sandbox_azurite_accounts["other_origin"]
    cors = check(az, account, secret=az.sas(account, "wandb"), auth="sasToken")["storage.cors"]
    assert cors.status == "fail"
    assert "the store refused a real preflight from https://wandb.sandbox.test: PUT: HTTP 403 CorsPreflightFailure" \
        in cors.summary
    assert "az storage cors add --services b" in cors.remedy and "Storage Account Contributor" in cors.remedy


# -- fail ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("case", "summary"), [
    ("other_origin", "allow no request from https://wandb.sandbox.test (allowed origins: https://other.example.test)"),
    ("no_expose_etag", "do not expose ETag (ExposedHeaders)"),
    ("missing_put", "do not allow PUT from https://wandb.sandbox.test"),
])
def test_wrong_cors_fails_with_the_az_command_for_that_account(sandbox_azurite, sandbox_azurite_accounts, case,
                                                               summary):
    account = sandbox_azurite_accounts[case]
    results = check(sandbox_azurite, account)
    assert statuses(results) == {"storage.access": "pass", "storage.presign": "pass", "storage.cors": "fail"}
    cors = results["storage.cors"]
    assert f"the CORS rules of storage account {account} (Blob service) {summary}" in cors.summary
    assert (f"az storage cors add --services b --methods GET HEAD PUT --origins https://{HOST} --allowed-headers '*' "
            f"--exposed-headers '*' --max-age 3000 --account-name {account}") in cors.remedy


def test_account_without_cors_fails(sandbox_azurite, sandbox_azurite_accounts):
    account = sandbox_azurite_accounts["no_cors"]
    cors = check(sandbox_azurite, account)["storage.cors"]
    assert cors.status == "fail"
    assert cors.summary == (f"storage account {account} (Blob service) has no CORS configuration: browsers cannot "
                            f"upload to it from https://{HOST}")
    assert any("preflight OPTIONS for PUT" in e and "CorsPreflightFailure" in e for e in cors.evidence)
    assert f"--account-name {account}" in cors.remedy


def test_a_wrong_account_key_fails_access(sandbox_azurite, sandbox_azurite_accounts):
    az, account = sandbox_azurite, sandbox_azurite_accounts["cors_ok"]
    results = check(az, account, secret=az.account_key("some-other-account"))
    access = results["storage.access"]
    assert access.status == "fail"
    assert access.summary == "the storage account did not accept the account key (AuthorizationFailure)"
    assert f"key1 or key2 of account {account}" in access.remedy
    assert results["storage.presign"].status == results["storage.cors"].status == "skip"


def test_a_missing_container_fails_with_the_create_command(sandbox_azurite, sandbox_azurite_accounts):
    account = sandbox_azurite_accounts["cors_ok"]
    access = check(sandbox_azurite, account, container="no-such-container")["storage.access"]
    assert access.status == "fail"
    assert access.summary == f"container no-such-container does not exist in storage account {account}"
    assert f"az storage container create --name no-such-container --account-name {account}" in access.remedy


def test_a_sas_without_write_is_denied_and_names_the_permission(sandbox_azurite, sandbox_azurite_accounts):
    az, account = sandbox_azurite, sandbox_azurite_accounts["cors_ok"]
    access = check(az, account, secret=az.sas(account, "wandb", "rl"), auth="sasToken")["storage.access"]
    assert access.status == "fail"
    assert access.summary.startswith("access denied on container wandb: PutObject (")
    assert "SAS sp=cw" in access.summary and "sp=racwdl" in access.remedy
    assert "PutObject: HTTP 403 AuthorizationPermissionMismatch" in " ".join(access.evidence)


def test_an_endpoint_that_refuses_connections(sandbox_azurite):
    a = make_answers(storage={"provider": "azure", "bucket": "wandb", "region": None, "account": "wbcorsok",
                              "endpoint": f"http://127.0.0.1:{free_port()}/wbcorsok",
                              "accountKey": {"env": "WB_AZURE_SECRET"}})
    access = run_checks(a, make_secrets(**{"storage.accountKey": "a2V5"}), only=STORAGE_IDS)["storage.access"]
    assert access.status == "fail"
    assert "cannot reach the object store at http://127.0.0.1:" in access.summary and "connection refused" in access.summary
    assert "Check storage.account (wbcorsok) and storage.endpoint" in access.remedy


def test_an_endpoint_that_never_answers_returns_within_the_timeout():
    with socket.create_server(("127.0.0.1", 0)) as sock:
        endpoint = f"http://127.0.0.1:{sock.getsockname()[1]}/wbcorsok"
        a = make_answers(storage={"provider": "azure", "bucket": "wandb", "region": None, "account": "wbcorsok",
                                  "endpoint": endpoint, "accountKey": {"env": "WB_AZURE_SECRET"}})
        results = run_checks(a, make_secrets(**{"storage.accountKey": "a2V5"}), only=STORAGE_IDS, timeout=1.5)
    access = results["storage.access"]
    assert access.status == "fail"
    assert access.summary.startswith(f"no answer from {endpoint} within ") and "(HeadBucket)" in access.summary


def test_no_credentials_anywhere_names_the_fields_and_the_chain(monkeypatch, tmp_path):
    """DefaultAzureCredential with nothing to find. Every credential it tries stays on this machine:
    managed identity goes to IDENTITY_ENDPOINT (a closed loopback port), az and the token cache find
    an empty config and home."""
    for name in [n for n in __import__("os").environ if n.startswith(("AZURE_", "MSI_", "IDENTITY_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("IDENTITY_ENDPOINT", f"http://127.0.0.1:{free_port()}/msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", "sandbox")
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path / "az"))
    monkeypatch.setenv("HOME", str(tmp_path))
    a = make_answers(storage={"provider": "azure", "bucket": "wandb", "region": None, "account": "wbcorsok",
                              "endpoint": f"https://127.0.0.1:{free_port()}/wbcorsok"})
    access = run_checks(a, make_secrets(), only=STORAGE_IDS, timeout=20)["storage.access"]
    assert access.status == "fail"
    assert access.summary == ("no credentials: storage.accountKey / storage.sasToken are not set and "
                              "DefaultAzureCredential found none")
    assert "credentials: DefaultAzureCredential of this machine" in " ".join(access.evidence)
    assert "Set storage.accountKey" in access.remedy


# -- secrets -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["key", "bad-key", "account-sas", "container-sas", "readonly-sas", "no-cors"])
def test_account_keys_and_sas_tokens_never_appear_in_facts_or_reports(sandbox_azurite, sandbox_azurite_accounts,
                                                                      case):
    az = sandbox_azurite
    account = sandbox_azurite_accounts["no_cors" if case == "no-cors" else "cors_ok"]
    secret, auth = {
        "key": (az.account_key(account), "accountKey"),
        "no-cors": (az.account_key(account), "accountKey"),
        "bad-key": (az.account_key("wbinstall-wrong"), "accountKey"),
        "account-sas": (az.sas(account, "wandb", account_level=True), "sasToken"),
        "container-sas": (az.sas(account, "wandb"), "sasToken"),
        "readonly-sas": (az.sas(account, "wandb", "rl"), "sasToken"),
    }[case]
    a = answers(az, account, auth=auth)
    s = make_secrets(**{f"storage.{auth}": secret})
    facts = gather(probe_context(a, s))
    results = list(run_checks(a, s, only=STORAGE_IDS).values())
    signature = next((p.split("=", 1)[1] for p in secret.split("&") if p.startswith("sig=")), secret)
    for text in (repr(facts), report.text(results), report.to_json(results), report.junit(results)):
        assert secret not in text and signature not in text
        assert "sig=" not in text  # SAS URLs are shown without their query string
