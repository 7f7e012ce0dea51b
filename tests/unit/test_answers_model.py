"""Loading valid answers files, and every kind of bad input reported with field and line."""

import pytest

from wbinstall import answers
from wbinstall.answers import AnswersError

from .conftest import VALID


def problems_of(path):
    with pytest.raises(AnswersError) as info:
        answers.resolve_secrets(answers.load(path))
    return info.value.problems


def one_problem(path):
    found = problems_of(path)
    assert len(found) == 1, [p.format() for p in found]
    return found[0]


def test_a_minimal_file_loads_with_defaults(write_answers, secret_env):
    loaded = answers.load(write_answers(VALID))
    a = loaded.answers
    assert (a.workload, a.environment, a.cloud, a.host) == ("models-and-weave", "production", "aws", "wandb.example.com")
    assert (a.mysql.port, a.mysql.database, a.mysql.user, a.mysql.tls) == (3306, "wandb_local", "wandb", False)
    assert a.kubernetes.namespace == "wandb" and a.checks.skip == []
    assert loaded.warnings == []


def test_every_contract_field_is_accepted(write_answers, secret_env, tmp_path):
    (tmp_path / "tls.crt").write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    (tmp_path / "tls.key").write_text("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n")
    (tmp_path / "kubeconfig").write_text("apiVersion: v1\n")
    path = write_answers("""\
        apiVersion: wbinstall/v1
        workload: weave
        environment: test
        cloud: other
        host: wandb.corp.example
        license: {env: WB_TEST_LICENSE}
        kubernetes: {kubeconfig: kubeconfig, context: lab, namespace: wandb-test}
        ingress: {class: nginx, certFile: tls.crt, keyFile: tls.key}
        mysql: {host: 10.0.0.5, port: 3307, database: wb, user: wbuser, password: {env: WB_TEST_MYSQL_PASSWORD}, tls: true}
        storage: {provider: s3-compatible, bucket: wb, region: us-east-1, endpoint: "https://minio.lab:9000", path: runs,
                  accessKey: {env: WB_TEST_ACCESS_KEY}, secretKey: {env: WB_TEST_SECRET_KEY}}
        operator: {image: "registry.lab/wandb/controller:1.20.0", chartVersion: 0.43.8, airgap: {registry: registry.lab}}
        checks: {skip: [{id: tls.certificate, reason: lab uses a private CA}]}
    """)
    loaded = answers.load(path)
    secrets = answers.resolve_secrets(loaded)
    a = loaded.answers
    assert a.ingress.class_ == "nginx" and a.ingress.cert_file == "tls.crt"
    assert a.storage.endpoint == "https://minio.lab:9000" and a.operator.airgap.registry == "registry.lab"
    assert a.checks.skip[0].id == "tls.certificate"
    assert secrets[("storage", "secretKey")] == secret_env["WB_TEST_SECRET_KEY"]


def test_sections_with_only_comments_mean_defaults(write_answers, secret_env):
    loaded = answers.load(write_answers(VALID + "ingress:\n  # class: nginx\noperator:\n  airgap:\nchecks:\n"))
    assert loaded.answers.ingress.class_ is None and loaded.answers.operator.airgap.registry is None


def test_malformed_yaml_names_line_and_column(write_answers):
    p = one_problem(write_answers(VALID + "mysql: {host: [unclosed\n"))
    assert p.path == "" and "malformed YAML" in p.message
    assert p.line == 16


def test_a_wrong_type_names_the_field_and_its_line(write_answers, secret_env):
    p = one_problem(write_answers(VALID.replace("  host: db.example.com", "  host: db.example.com\n  port: lots")))
    assert (p.path, p.line, p.column) == ("mysql.port", 10, 9)
    assert "integer" in p.message and "'lots'" in p.message


def test_an_unknown_key_suggests_the_near_name(write_answers, secret_env):
    p = one_problem(write_answers(VALID.replace("  region: eu-west-1", "  regoin: eu-west-1")))
    assert (p.path, p.line) == ("storage.regoin", 14)
    assert "did you mean 'region'?" in p.message


def test_an_unknown_top_level_key_suggests_the_near_name(write_answers, secret_env):
    p = one_problem(write_answers(VALID + "envronment: test\n"))
    assert (p.path, p.line, p.column) == ("envronment", 15, 1)
    assert "did you mean 'environment'?" in p.message


def test_a_missing_field_names_the_field_and_its_section(write_answers, secret_env):
    p = one_problem(write_answers(VALID.replace("  bucket: wandb-bucket\n", "")))
    assert p.path == "storage.bucket" and p.message == "is required" and p.line == 12


def test_a_missing_env_var_behind_a_secret_names_field_and_line(write_answers, secret_env, monkeypatch):
    monkeypatch.delenv("WB_TEST_MYSQL_PASSWORD")
    p = one_problem(write_answers(VALID))
    assert (p.path, p.line) == ("mysql.password", 10)
    assert "WB_TEST_MYSQL_PASSWORD is not set" in p.message


def test_an_unreadable_secret_file_is_reported_like_a_missing_env_var(write_answers, secret_env):
    p = one_problem(write_answers(VALID.replace("{env: WB_TEST_LICENSE}", "{file: nowhere/license.txt}")))
    assert (p.path, p.line) == ("license", 6) and "cannot read" in p.message


def test_a_secret_file_is_read_relative_to_the_answers_file(write_answers, secret_env, tmp_path):
    (tmp_path / "license.txt").write_text("from-file-license\n")
    loaded = answers.load(write_answers(VALID.replace("{env: WB_TEST_LICENSE}", "{file: license.txt}")))
    assert answers.resolve_secrets(loaded)[("license",)] == "from-file-license"


def test_a_literal_secret_is_accepted_with_a_warning(write_answers, secret_env):
    loaded = answers.load(write_answers(VALID.replace("{env: WB_TEST_LICENSE}", "plain-license-value")))
    assert [(w.path, w.severity, w.line) for w in loaded.warnings] == [("license", "warning", 6)]
    assert "plain-license-value" not in loaded.warnings[0].format()


def test_every_problem_is_reported_at_once(write_answers, secret_env, monkeypatch):
    monkeypatch.delenv("WB_TEST_LICENSE")
    text = VALID.replace("workload: models-and-weave", "workload: everything").replace("cloud: aws", "cloud: aws\nbogus: 1")
    found = problems_of(write_answers(text))
    assert {p.path for p in found} == {"workload", "bogus", "license"}
    assert [p.line for p in found] == sorted(p.line for p in found)


def test_a_wrong_enum_value_lists_the_choices(write_answers, secret_env):
    p = one_problem(write_answers(VALID.replace("environment: production", "environment: prod")))
    assert p.path == "environment" and "'test' or 'production'" in p.message


def test_a_host_with_a_scheme_is_refused(write_answers, secret_env):
    p = one_problem(write_answers(VALID.replace("host: wandb.example.com", "host: https://wandb.example.com/")))
    assert p.path == "host" and "without https://" in p.message


def test_an_unknown_skipped_check_is_an_input_error(write_answers, secret_env):
    p = one_problem(write_answers(VALID + "checks:\n  skip:\n    - {id: mysql.verison, reason: test}\n"))
    assert p.path == "checks.skip[0].id" and p.line == 17 and "did you mean 'mysql.version'?" in p.message


def test_a_skipped_check_needs_a_reason(write_answers, secret_env):
    p = one_problem(write_answers(VALID + "checks:\n  skip:\n    - {id: mysql.version, reason: ''}\n"))
    assert p.path == "checks.skip[0].reason"


def test_cross_field_rules_point_at_the_field(write_answers, secret_env):
    found = problems_of(write_answers(VALID.replace("provider: s3", "provider: s3-compatible")))
    assert [(p.path, p.line) for p in found] == [("storage.endpoint", 12), ("storage", 12)]
    assert "required when provider is s3-compatible" in found[0].message
    assert "accessKey and secretKey are required" in found[1].message
    found = problems_of(write_answers(VALID.replace("provider: s3", "provider: s3-compatible\n  endpoint: minio:9000")))
    assert "must be a URL" in next(p.message for p in found if p.path == "storage.endpoint")


def test_region_is_required_for_aws_s3(write_answers, secret_env):
    p = one_problem(write_answers(VALID.replace("  region: eu-west-1\n", "")))
    assert p.path == "storage.region"


def test_air_gap_needs_a_pinned_chart(write_answers, secret_env):
    p = one_problem(write_answers(VALID + "operator: {airgap: {registry: registry.lab}}\n"))
    assert p.path == "operator.chartVersion"


def test_duplicate_keys_are_reported(write_answers, secret_env):
    p = one_problem(write_answers(VALID + "cloud: gcp\n"))
    assert (p.path, p.line) == ("cloud", 15) and "duplicate" in p.message


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("- a\n- b\n", "mapping"),
    ("a: 1\n---\nb: 2\n", "one YAML document"),
])
def test_files_that_are_not_one_mapping(write_answers, text, message):
    p = one_problem(write_answers(text))
    assert message in p.message


def test_a_missing_answers_file(tmp_path):
    p = one_problem(tmp_path / "absent.yaml")
    assert "cannot read the answers file" in p.message


def test_a_secret_value_never_appears_in_a_type_error(write_answers, secret_env):
    p = one_problem(write_answers(VALID.replace("{env: WB_TEST_LICENSE}", "[license-in-a-list-5150]")))
    assert p.path == "license" and "5150" not in p.format()


def test_problems_format_as_file_line_column_field(write_answers, secret_env):
    path = write_answers(VALID.replace("environment: production", "environment: prod"))
    with pytest.raises(AnswersError) as info:
        answers.load(path)
    assert info.value.format().startswith(f"{path}:3:14: environment: ")


def test_a_stray_key_under_a_secret_is_never_echoed(write_answers, secret_env):
    """`password: {MyS3cretPassw0rd}` is a mapping whose key is the password itself."""
    p = one_problem(write_answers(VALID.replace("password: {env: WB_TEST_MYSQL_PASSWORD}",
                                                "password: {MyS3cretPassw0rd}")))
    assert p.path == "mysql.password" and p.line == 10
    assert "MyS3cretPassw0rd" not in p.format("answers.yaml")
