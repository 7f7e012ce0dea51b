"""Hostile and tricky answers files: bounded parsing, strict types, checks settings refused at
`validate` time. Each refusal names the field (or the limit) and the line; exit 2, no traceback."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wbinstall import answers, cli
from wbinstall.answers import AnswersError, yamlread

from .conftest import SECRET_VALUES, VALID

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def problems(text: str, base_dir: Path | None = None):
    with pytest.raises(AnswersError) as info:
        answers.parse(text, filename="answers.yaml", base_dir=base_dir)
    return info.value.problems


def only(text: str, base_dir: Path | None = None):
    found = problems(text, base_dir)
    assert len(found) == 1, [p.format() for p in found]
    return found[0]


def laughs(levels: int, width: int = 9) -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


# ---- 1. bounded parsing ---------------------------------------------------------------------

BOUNDS = [
    ("billion laughs", laughs(9), f"aliases expand to more than {yamlread.MAX_NODES:,} values", 4),
    ("nested lists", "workload: " + "[" * 3000 + "]" * 3000 + "\n", f"nested more than {yamlread.MAX_DEPTH} levels", 1),
    ("nested mappings", "".join("  " * i + f"k{i}:\n" for i in range(40)) + "  " * 40 + "x: 1\n",
     f"nested more than {yamlread.MAX_DEPTH} levels", 33),
    ("an alias inside its own anchor", "workload: &w [*w]\n", "the alias *w refers to a value that contains it", 1),
    ("many values", "".join(f"k{i}: {i}\n" for i in range(6000)), f"more than {yamlread.MAX_NODES:,} values", 2500),
    ("a huge file", "# " + "x" * (yamlread.MAX_BYTES + 10) + "\n", "KiB an answers file may have", 1),
]


@pytest.fixture(params=["libyaml", "pure-python"])
def yaml_events(request, monkeypatch):
    """Both event sources: libyaml where PyYAML has it, PyYAML's own scanner where it does not."""
    if request.param == "pure-python":
        monkeypatch.setattr(yamlread, "_Loader", yamlread._PyLoader)
    elif not getattr(__import__("yaml"), "__with_libyaml__", False):
        pytest.fail("PyYAML was built without libyaml here: install a PyYAML wheel")
    return request.param


@pytest.mark.parametrize(("why", "text", "message", "line"), BOUNDS, ids=[b[0] for b in BOUNDS])
def test_beyond_a_bound_is_refused_naming_the_limit_and_the_line(yaml_events, why, text, message, line):
    p = only(text)
    assert p.message.startswith("refused: ") and message in p.message, p.message
    assert p.line == line, p.format()


def test_a_few_aliases_and_merge_keys_still_work(secret_env):
    text = VALID.replace("kubernetes: {namespace: wandb}", "base: &ns {namespace: wandb}\nkubernetes: {<<: *ns}")
    assert "base" in {p.path for p in problems(text)}  # the extra key is reported, nothing else
    loaded = answers.parse(VALID.replace("kubernetes: {namespace: wandb}", "kubernetes: &k {namespace: wandb}"))
    assert loaded.answers.kubernetes.namespace == "wandb"


@pytest.mark.parametrize(("text", "message", "line"), [
    ("host: !!timestamp 2001-02-30\n", "the tag tag:yaml.org,2002:timestamp is not used", 1),
    ("host: !!python/object:os.system ls\n", "is not used in answers files", 1),
    ("workload: models\ntrue: 1\n", "a key must be a name (text), not 'true'", 2),
    ("workload: models\n? [a, b]\n: c\n", "found unhashable key", 2),
    ("workload: models\n1: x\n", "a key must be a name (text), not '1'", 2),
    ("port: !!int abc\n", "'abc' is not an integer", 1),
])
def test_yaml_that_cannot_be_an_answers_file_is_refused_with_its_line(text, message, line):
    p = only(text)
    assert message in p.message and p.line == line, p.format()


# ---- 2. strict types, YAML 1.2 ------------------------------------------------------------

def with_mysql(extra: str) -> str:
    return VALID.replace("  host: db.example.com\n", f"  host: db.example.com\n{extra}\n")


@pytest.mark.parametrize(("edit", "path", "line", "message"), [
    (lambda t: with_mysql("  port: yes"), "mysql.port", 10, "must be an integer, not the text 'yes'"),
    (lambda t: with_mysql("  port: true"), "mysql.port", 10, "must be an integer, not the boolean true"),
    (lambda t: with_mysql("  port: 3306.0"), "mysql.port", 10, "must be an integer, not the number 3306.0"),
    (lambda t: with_mysql('  port: "3306"'), "mysql.port", 10, "write the number without quotes"),
    (lambda t: with_mysql("  tls: yes"), "mysql.tls", 10, "must be true or false, not the text 'yes'"),
    (lambda t: with_mysql("  tls: on"), "mysql.tls", 10, "yes, no, on and off are text here"),
    (lambda t: with_mysql("  tls: 1"), "mysql.tls", 10, "must be true or false, not the number 1"),
    (lambda t: with_mysql("  database: 2024"), "mysql.database", 10, 'quote it ("2024")'),
    (lambda t: t.replace("bucket: wandb-bucket", "bucket: 12345"), "storage.bucket", 13,
     'YAML reads 12345 as a number: quote it ("12345")'),
    (lambda t: t.replace("region: eu-west-1", "region: false"), "storage.region", 14,
     "must be text, not the boolean false"),
    (lambda t: t + "operator: {chartVersion: 8.10}\n", "operator.chartVersion", 15,
     'YAML reads 8.10 as a number: quote it ("8.10")'),
    (lambda t: t + "checks: {timeout: true}\n", "checks.timeout", 15, "must be a number, not the boolean true"),
    (lambda t: t + "checks: {skip: [{id: tls.certificate, reason: 2026}]}\n", "checks.skip[0].reason", 15,
     "must be text, not the number 2026"),
    (lambda t: t.replace("host: wandb.example.com", "host: 123"), "host", 5, "must be text, not the number 123"),
    (lambda t: t.replace("password: {env: WB_TEST_MYSQL_PASSWORD}", "password: 918273"), "mysql.password", 10,
     "must be {env: VARIABLE} or {file: PATH} (or quoted text), not a number"),
])
def test_each_field_takes_only_its_own_type(secret_env, edit, path, line, message):
    p = only(edit(VALID))
    assert (p.path, p.line) == (path, line), p.format()
    assert message in p.message, p.message
    assert "918273" not in p.message  # a secret's value is never echoed


@pytest.mark.parametrize(("edit", "check"), [
    (lambda t: with_mysql("  port: 3307"), lambda a: a.mysql.port == 3307),
    (lambda t: with_mysql("  port: 0xCEA"), lambda a: a.mysql.port == 3306),
    (lambda t: with_mysql("  tls: true"), lambda a: a.mysql.tls is True),
    (lambda t: with_mysql("  database: no"), lambda a: a.mysql.database == "no"),  # not False
    (lambda t: with_mysql("  user: '0777'"), lambda a: a.mysql.user == "0777"),
    (lambda t: t.replace("region: eu-west-1", "region: 2001-02-03"), lambda a: a.storage.region == "2001-02-03"),
    (lambda t: t + "operator: {chartVersion: '8.10'}\n", lambda a: a.operator.chart_version == "8.10"),
    (lambda t: t + "checks: {timeout: 5}\n", lambda a: a.checks.timeout == 5.0),
])
def test_values_of_the_right_type_load(secret_env, edit, check):
    assert check(answers.parse(edit(VALID)).answers)


def test_a_date_is_text_not_a_crash(secret_env):
    p = only(VALID.replace("host: wandb.example.com", "host: 2001-02-30"))
    assert p.path == "host" and "fully qualified domain name" in p.message


# ---- 3. checks.* settings and paths, at validate time -------------------------------------

@pytest.mark.parametrize(("checks", "path", "message"), [
    ("{dns: {nameservers: ['10.0.0.2:99999']}}", "checks.dns.nameservers[0]", "the port 99999 is out of range (1-65535)"),
    ("{dns: {nameservers: ['10.0.0.2:0']}}", "checks.dns.nameservers[0]", "out of range"),
    ("{dns: {nameservers: [dns.example.com]}}", "checks.dns.nameservers[0]", "dns.example.com is not an IP address"),
    ("{dns: {nameservers: ['10.0.0.256']}}", "checks.dns.nameservers[0]", "is not an IP address"),
    ("{dns: {nameservers: ['10.0.0.2:dns']}}", "checks.dns.nameservers[0]", "the port 'dns' is not a number"),
    ("{dns: {nameservers: ['[::1]x']}}", "checks.dns.nameservers[0]", "is not IP or IP:PORT"),
    ("{dns: {nameservers: [10.0.0.2, '10.0.0.3:70000']}}", "checks.dns.nameservers[1]", "70000"),
    ("{tls: {address: 'lb.example.com:70000'}}", "checks.tls.address", "the port 70000 is out of range"),
    ("{tls: {address: 'lb.example.com:https'}}", "checks.tls.address", "the port 'https' is not a number"),
    ("{tls: {address: 'lb_1!.example.com:443'}}", "checks.tls.address", "is not a host name or IP address"),
    ("{tls: {address: ':443'}}", "checks.tls.address", "no host"),
    ("{tls: {address: '[2001:db8::1]:99999'}}", "checks.tls.address", "out of range"),
    ("{tls: {caBundle: missing.pem}}", "checks.tls.caBundle", "cannot read missing.pem"),
    ("{tls: {caBundle: not-pem.txt}}", "checks.tls.caBundle", "not-pem.txt holds no PEM certificate"),
    ("{skip: [{id: tls.certificate, reason: '   '}]}", "checks.skip[0].reason", "must not be empty"),
])
def test_checks_settings_are_refused_at_validate_time(secret_env, tmp_path, checks, path, message):
    (tmp_path / "not-pem.txt").write_text("hello\n")
    p = only(VALID + f"checks: {checks}\n", base_dir=tmp_path)
    assert (p.path, p.line) == (path, 15), p.format()
    assert message in p.message, p.message


def test_mysql_ca_file_is_checked_at_validate_time(secret_env, tmp_path):
    p = only(with_mysql("  caFile: rds-bundle.pem"), base_dir=tmp_path)
    assert (p.path, p.line, p.message) == ("mysql.caFile", 10, "cannot read rds-bundle.pem: No such file or directory")
    (tmp_path / "rds-bundle.pem").write_text(PEM)
    assert answers.parse(with_mysql("  caFile: rds-bundle.pem"), base_dir=tmp_path).answers.mysql.ca_file


@pytest.mark.parametrize("checks", [
    "{dns: {nameservers: [10.0.0.2, '10.0.0.3:5353', '::1', '[2001:db8::53]:53']}}",
    "{tls: {address: 'lb.example.com:8443'}}",
    "{tls: {address: '10.0.0.5'}}",
    "{tls: {address: '[2001:db8::1]:443', caBundle: ca.pem}}",
])
def test_good_checks_settings_load(secret_env, tmp_path, checks):
    (tmp_path / "ca.pem").write_text(PEM)
    assert answers.parse(VALID + f"checks: {checks}\n", base_dir=tmp_path).answers.checks


# ---- the command line: exit 2, the limit or field and the line, no traceback ---------------

def wbinstall(*args: str) -> subprocess.CompletedProcess:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("WB_TEST_")}, **SECRET_VALUES}
    return subprocess.run([sys.executable, "-m", "wbinstall", *args], capture_output=True, text=True, env=env,
                          timeout=60)


CLI_CASES = [
    (laughs(9), "answers.yaml:4:30: refused: aliases expand to more than 5,000 values"),
    ("workload: " + "[" * 3000 + "]" * 3000 + "\n", "answers.yaml:1:"),
    (with_mysql("  port: yes"), "answers.yaml:10:9: mysql.port: must be an integer, not the text 'yes'"),
    (VALID + "checks: {dns: {nameservers: ['10.0.0.2:99999']}}\n",
     "answers.yaml:15:30: checks.dns.nameservers[0]: '10.0.0.2:99999' is not IP or IP:PORT: the port 99999 is out"),
]


@pytest.mark.parametrize(("text", "expected"), CLI_CASES, ids=["laughs", "nested", "port-yes", "nameserver-port"])
def test_cli_validate_refuses_with_exit_2(tmp_path, text, expected):
    path = tmp_path / "answers.yaml"
    path.write_text(text)
    r = wbinstall("validate", "--answers", str(path))
    assert r.returncode == 2, r.stderr
    assert expected in r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr


# ---- any bytes: exit 0 or 2, never a traceback or exit 4 -----------------------------------

def _validate_bytes(data: bytes) -> tuple[int, str]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "answers.yaml"
        path.write_bytes(data)
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = cli.main(["validate", "--answers", str(path)])
    return code, err.getvalue()


YAML_PIECES = st.sampled_from([
    "apiVersion: wbinstall/v1\n", "workload: models\n", "mysql:\n", "  port: ", "yes", "3306.0", "&a ", "*a", "<<: ",
    "[", "]", "{", "}", ", ", ": ", "- ", "? ", "!!int ", "!!str ", "!!binary ", "!!timestamp ", "2001-02-30", "~",
    "'", '"', "\\u0000", "\t", "\n", "  ", "#", "---\n", "...\n", "%YAML 1.1\n", "|\n", ">-\n", "0x", "0o9", ".inf",
    "host: ", "checks: {dns: {nameservers: [", "1.2.3.4:99999", "]}}", "license: {env: X}", "\x00", "\ufeff",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_any_bytes_end_in_exit_0_or_2(data):
    code, err = _validate_bytes(data)
    assert code in (0, 2), err
    assert "Traceback" not in err and "internal error" not in err


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(YAML_PIECES, max_size=60).map("".join))
def test_any_yaml_like_text_ends_in_exit_0_or_2(text):
    code, err = _validate_bytes(text.encode("utf-8", "surrogatepass"))
    assert code in (0, 2), err
    assert "Traceback" not in err and "internal error" not in err


@pytest.mark.parametrize("text", ["1e3", "0o17", "0x1F", "8.10", "yes", "2001-02-03", "~", "true", "+12", ".5", "1_000"])
def test_saved_answers_read_back_as_written(secret_env, text):
    from wbinstall.answers.dump import dump

    loaded = answers.parse(VALID.replace("bucket: wandb-bucket", f"bucket: '{text}'"))
    again = answers.parse(dump(loaded.answers))
    assert again.answers.storage.bucket == text
