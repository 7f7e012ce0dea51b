"""render for GCS and Azure Blob: global.bucket as the operator-wandb chart reads it, and where the
new secrets (Azure account key, SAS token, GCS service-account key) may and may not appear."""

import json

import yaml

from wbinstall import answers, manifests

from .conftest import VALID

ACCOUNT_KEY = "YXp1cmUtYWNjb3VudC1rZXktNzcxMg=="
SAS = "sv=2025-01-05&ss=b&srt=sco&sp=racwdl&se=2027-01-01T00:00:00Z&sig=c2FzLXNpZy0zMzQx%3D"
SA_KEY = json.dumps({"type": "service_account", "project_id": "acme", "private_key_id": "f00dfeed" * 5,
                     "private_key": "-----BEGIN PRIVATE KEY-----\nU0EtUFJJVkFURS1LRVktNDQxOQ==\n-----END PRIVATE KEY-----\n",
                     "client_email": "wandb@acme.iam.gserviceaccount.com"})


def render(write_answers, storage: str, **kw):
    path = write_answers(VALID.split("storage:")[0] + f"storage: {storage}\n")
    loaded = answers.load(path)
    return manifests.render(loaded.answers, answers.resolve_secrets(loaded), loaded.base_dir)


def test_azure_account_key_reaches_the_chart_as_its_access_key(write_answers, secret_env, monkeypatch):
    monkeypatch.setenv("WB_AZ_KEY", ACCOUNT_KEY)
    objects = render(write_answers, "{provider: azure, bucket: wandb, account: acmewandb, path: /runs/, "
                                    "accountKey: {env: WB_AZ_KEY}}")
    bucket = objects[-1]["spec"]["values"]["global"]["bucket"]
    assert bucket == {"provider": "az", "name": "acmewandb", "path": "wandb/runs",
                      "secret": {"secretName": "wandb-bucket", "accessKeyName": "ACCESS_KEY"}}
    secret = next(o for o in objects if o["kind"] == "Secret" and o["metadata"]["name"] == "wandb-bucket")
    assert secret["stringData"] == {"ACCESS_KEY": ACCOUNT_KEY}
    shown = manifests.to_yaml(objects)
    assert ACCOUNT_KEY not in shown
    assert ACCOUNT_KEY not in json.dumps(objects[-1])


def test_azure_sas_token_serves_the_checks_only(write_answers, secret_env, monkeypatch):
    monkeypatch.setenv("WB_AZ_SAS", SAS)
    objects = render(write_answers, "{provider: azure, bucket: wandb, account: acmewandb, sasToken: {env: WB_AZ_SAS}}")
    assert objects[-1]["spec"]["values"]["global"]["bucket"] == {"provider": "az", "name": "acmewandb", "path": "wandb"}
    assert not any(o["kind"] == "Secret" and o["metadata"]["name"] == "wandb-bucket" for o in objects)
    assert "c2FzLXNpZy0zMzQx" not in manifests.to_yaml(objects, show_secrets=True)


def test_gcs_key_file_stays_out_of_the_cluster(write_answers, secret_env, tmp_path):
    (tmp_path / "sa.json").write_text(SA_KEY)
    objects = render(write_answers, "{provider: gcs, bucket: wandb-gcs, path: runs, serviceAccountKey: {file: sa.json}}")
    assert objects[-1]["spec"]["values"]["global"]["bucket"] == {"provider": "gcs", "name": "wandb-gcs", "path": "runs"}
    everything = manifests.to_yaml(objects, show_secrets=True)
    assert "U0EtUFJJVkFURS1LRVktNDQxOQ" not in everything and "f00dfeed" not in everything
    assert [o["metadata"]["name"] for o in yaml.safe_load_all(everything) if o["kind"] == "Secret"] == \
        ["wandb-license", "wandb-mysql"]
