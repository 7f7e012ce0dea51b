"""render: the objects an install applies, in order, with secrets only inside Secrets."""

import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wbinstall import answers, manifests
from wbinstall.answers.secrets import SecretRef

from .conftest import SECRET_VALUES, VALID

ORDER = ["Namespace", "CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding",
         "Role", "RoleBinding", "Deployment", "Secret", "Secret", "WeightsAndBiases"]


def render(path, **kw):
    loaded = answers.load(path)
    return manifests.render(loaded.answers, answers.resolve_secrets(loaded), loaded.base_dir)


def test_objects_come_in_apply_order(write_answers, secret_env):
    assert [o["kind"] for o in render(write_answers(VALID))] == ORDER


def test_every_object_is_complete_and_parses_back(write_answers, secret_env):
    text = manifests.to_yaml(render(write_answers(VALID)))
    docs = list(yaml.safe_load_all(text))
    assert len(docs) == len(ORDER)
    for doc in docs:
        assert doc["apiVersion"] and doc["kind"] and doc["metadata"]["name"]
        if doc["kind"] not in ("Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"):
            assert doc["metadata"]["namespace"] == "wandb"


def test_default_output_shows_no_secret_value(write_answers, secret_env):
    text = manifests.to_yaml(render(write_answers(VALID)))
    for value in secret_env.values():
        assert value not in text
    assert "<redacted" in text


def test_show_secrets_puts_values_only_in_their_secrets(write_answers, secret_env):
    objects = render(write_answers(VALID))
    shown = list(yaml.safe_load_all(manifests.to_yaml(objects, show_secrets=True)))
    by_name = {o["metadata"]["name"]: o for o in shown if o["kind"] == "Secret"}
    assert by_name["wandb-license"]["stringData"] == {"license": secret_env["WB_TEST_LICENSE"]}
    assert by_name["wandb-mysql"]["stringData"] == {"password": secret_env["WB_TEST_MYSQL_PASSWORD"]}
    for obj in shown:
        if obj["kind"] != "Secret":
            assert not any(v in json.dumps(obj) for v in secret_env.values()), obj["kind"]


def test_the_custom_resource_references_secrets(write_answers, secret_env):
    cr = render(write_answers(VALID))[-1]
    g = cr["spec"]["values"]["global"]
    assert cr["apiVersion"] == "apps.wandb.com/v1" and cr["metadata"]["name"] == "wandb"
    assert g["host"] == "https://wandb.example.com"
    assert g["licenseSecret"] == {"name": "wandb-license", "key": "license"}
    assert g["mysql"] == {"host": "db.example.com", "port": 3306, "database": "wandb_local", "user": "wandb",
                          "passwordSecret": {"name": "wandb-mysql", "passwordKey": "password"}}
    assert g["bucket"] == {"provider": "s3", "name": "wandb-bucket", "region": "eu-west-1"}


def test_the_controller_deployment(write_answers, secret_env):
    deployment = next(o for o in render(write_answers(VALID)) if o["kind"] == "Deployment")
    assert deployment["metadata"]["name"] == "wandb-controller-manager"
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "wandb/controller:1.20.0"
    assert {"name": "AIRGAPPED", "value": "false"} in container["env"]


S3_COMPATIBLE = VALID.replace("""  provider: s3
  bucket: wandb-bucket
  region: eu-west-1""", """  provider: s3-compatible
  bucket: wandb-bucket
  endpoint: https://minio.lab:9000
  path: team-a
  accessKey: {env: WB_TEST_ACCESS_KEY}
  secretKey: {env: WB_TEST_SECRET_KEY}""")


def test_s3_compatible_uses_the_endpoint_form_and_a_key_secret(write_answers, secret_env):
    objects = render(write_answers(S3_COMPATIBLE))
    bucket = objects[-1]["spec"]["values"]["global"]["bucket"]
    assert bucket == {"provider": "s3", "name": "minio.lab:9000", "path": "wandb-bucket/team-a?tls=true",
                      "region": "us-east-1", "kmsKey": None,
                      "secret": {"secretName": "wandb-bucket", "accessKeyName": "ACCESS_KEY", "secretKeyName": "SECRET_KEY"}}
    keys = next(o for o in objects if o["metadata"]["name"] == "wandb-bucket")
    assert keys["stringData"] == {"ACCESS_KEY": secret_env["WB_TEST_ACCESS_KEY"], "SECRET_KEY": secret_env["WB_TEST_SECRET_KEY"]}


@pytest.mark.parametrize("storage, expected", [
    ("{provider: gcs, bucket: wb-gcs, path: runs}", {"provider": "gcs", "name": "wb-gcs", "path": "runs"}),
    ("{provider: azure, bucket: container1, account: wbacct}", {"provider": "az", "name": "wbacct", "path": "container1"}),
    ("{provider: s3, bucket: b, region: us-east-2, kmsKey: 'arn:aws:kms:k'}",
     {"provider": "s3", "name": "b", "region": "us-east-2", "kmsKey": "arn:aws:kms:k"}),
])
def test_bucket_values_per_provider(write_answers, secret_env, storage, expected):
    text = VALID.split("storage:")[0] + f"storage: {storage}\n"
    assert render(write_answers(text))[-1]["spec"]["values"]["global"]["bucket"] == expected


def test_ingress_class_and_tls_from_files(write_answers, secret_env, tmp_path):
    (tmp_path / "tls.crt").write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    (tmp_path / "tls.key").write_text("-----BEGIN PRIVATE KEY-----\nKEYDATA-8812\n-----END PRIVATE KEY-----\n")
    objects = render(write_answers(VALID + "ingress: {class: nginx, certFile: tls.crt, keyFile: tls.key}\n"))
    ingress = objects[-1]["spec"]["values"]["ingress"]
    assert ingress == {"class": "nginx", "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "0"},
                       "tls": [{"secretName": "wandb-tls", "hosts": ["wandb.example.com"]}]}
    tls = next(o for o in objects if o["metadata"]["name"] == "wandb-tls")
    assert tls["type"] == "kubernetes.io/tls" and "KEYDATA-8812" in tls["stringData"]["tls.key"]
    assert "KEYDATA-8812" not in manifests.to_yaml(objects)


def test_an_existing_tls_secret_is_referenced_not_created(write_answers, secret_env):
    objects = render(write_answers(VALID + "ingress: {tlsSecret: corp-cert}\n"))
    assert objects[-1]["spec"]["values"]["ingress"]["tls"] == [{"secretName": "corp-cert", "hosts": ["wandb.example.com"]}]
    assert "wandb-tls" not in [o["metadata"]["name"] for o in objects]


def test_air_gap_overrides(write_answers, secret_env):
    objects = render(write_answers(VALID + "operator: {chartVersion: 0.43.8, airgap: {registry: registry.lab:5000}}\n"))
    container = next(o for o in objects if o["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.lab:5000/wandb/controller:1.20.0"
    assert {"name": "AIRGAPPED", "value": "true"} in container["env"]
    assert objects[-1]["spec"]["chart"] == {"url": "oci://registry.lab:5000/charts/operator-wandb", "version": "0.43.8"}


def test_a_pinned_chart_online(write_answers, secret_env):
    objects = render(write_answers(VALID + "operator: {chartVersion: 0.43.8}\n"))
    assert objects[-1]["spec"]["chart"] == {"url": "https://charts.wandb.ai", "name": "operator-wandb", "version": "0.43.8"}


def test_the_namespace_reaches_every_namespaced_object(write_answers, secret_env):
    objects = render(write_answers(VALID.replace("namespace: wandb", "namespace: ml-platform")))
    assert objects[0]["metadata"]["name"] == "ml-platform"
    for o in objects[1:]:
        if o["kind"] not in ("CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"):
            assert o["metadata"]["namespace"] == "ml-platform"
        for subject in o.get("subjects", []):
            assert subject["namespace"] == "ml-platform"


# A marker prefix keeps a generated value from matching text that is legitimately in the output
# (hypothesis is good at finding e.g. "serviceAccountName"); the rest varies freely.
secret_text = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40).map(
    lambda s: f"zz-secret-{s}")


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(license=secret_text, password=secret_text, workload=st.sampled_from(["models", "weave", "models-and-weave"]))
def test_no_secret_value_leaks_outside_secrets_for_any_value(license, password, workload, write_answers):
    loaded = answers.load(write_answers(VALID.replace("workload: models-and-weave", f"workload: {workload}")))
    resolved = answers.Secrets({("license",): license, ("mysql", "password"): password})
    objects = manifests.render(loaded.answers, resolved, loaded.base_dir)
    text = manifests.to_yaml(objects)
    assert license not in text and password not in text
    for obj in objects:
        if obj["kind"] != "Secret":
            dumped = json.dumps(obj)
            assert license not in dumped and password not in dumped


def test_a_secret_reference_never_shows_its_value():
    ref = SecretRef.literal("literal-secret-3141")
    assert "3141" not in repr(ref) and "3141" not in str(ref)
    assert "3141" not in repr(answers.Secrets({("license",): "literal-secret-3141"}))
