"""mysql.version: real-world version strings of MySQL, its distributions and its look-alikes."""

from __future__ import annotations

import pytest

from tests.checks.support import inputs, make_answers
from wbinstall.checks.mysql import judge
from wbinstall.checks.mysql.facts import MysqlFacts
from wbinstall.checks.mysql.versions import identify, parse_number

COMMUNITY = "MySQL Community Server - GPL"


def version_result(version, comment, *, aurora=None, variables=None, host="db.example.com"):
    facts = MysqlFacts("x:3306", version=version, version_comment=comment, aurora_version=aurora,
                       variables=variables or {})
    return judge.version({"mysql": facts}, inputs(make_answers(mysql={"host": host})))


@pytest.mark.parametrize(
    "version, expected",
    [
        ("8.0.36", (8, 0, 36)),
        ("8.0.36-0ubuntu0.22.04.1", (8, 0, 36)),
        ("5.7.44-log", (5, 7, 44)),
        ("8.0.4-rc", (8, 0, 4)),
        ("8.0.31-google", (8, 0, 31)),
        ("5.5.5-10.11.6-MariaDB", (10, 11, 6)),
        ("10.11.6-MariaDB-0+deb12u1", (10, 11, 6)),
        ("8.0.11-TiDB-v7.5.0", (8, 0, 11)),
        ("9.1.0", (9, 1, 0)),
        ("", None),
        ("eight", None),
        ("8.0", None),
    ],
)
def test_parse_number_takes_the_leading_triple(version, expected):
    assert parse_number(version) == expected


# version, comment, extra identify() kwargs, expected (kind, label, managed)
IDENTIFY = [
    ("8.0.36", COMMUNITY, {}, ("mysql", "MySQL Community Server 8.0.36", None)),
    ("8.4.3", COMMUNITY, {}, ("mysql", "MySQL Community Server 8.4.3", None)),
    ("8.0.36-0ubuntu0.22.04.1", "(Ubuntu)", {}, ("mysql", "MySQL 8.0.36 (Ubuntu package)", None)),
    ("8.0.32", "Source distribution", {"aurora_version": "3.05.2"},
     ("mysql", "Amazon Aurora MySQL 3.05.2 (MySQL 8.0.32)", "aws-aurora")),
    ("5.7.12", "MySQL Community Server (GPL)", {"aurora_version": "2.11.2"},
     ("mysql", "Amazon Aurora MySQL 2.11.2 (MySQL 5.7.12)", "aws-aurora")),
    ("8.0.31-google", "(Google)", {}, ("mysql", "Google Cloud SQL for MySQL 8.0.31", "gcp-cloudsql")),
    ("8.0.21", "Source distribution", {"host": "wandb.mysql.database.azure.com"},
     ("mysql", "Azure Database for MySQL 8.0.21", "azure")),
    ("8.0.21", COMMUNITY, {"variables": {"aad_auth_only": "OFF"}},
     ("mysql", "Azure Database for MySQL 8.0.21", "azure")),
    ("8.0.35", "Source distribution", {"variables": {"basedir": "/rdsdbbin/mysql-8.0.35.R2/"}},
     ("mysql", "Amazon RDS for MySQL 8.0.35", "aws-rds")),
    ("8.0.35", "Source distribution", {"host": "wandb.abc123.us-east-1.rds.amazonaws.com"},
     ("mysql", "Amazon RDS for MySQL 8.0.35", "aws-rds")),
    ("8.0.36-28", "Percona Server (GPL), Release 28, Revision 47601f19", {},
     ("mysql", "Percona Server for MySQL 8.0.36", None)),
    ("8.0.35-27.1", "Percona XtraDB Cluster (GPL), Release rel27, Revision 2f8eed8, WSREP version 26.1.4.3", {},
     ("mysql", "Percona XtraDB Cluster 8.0.35", None)),
    ("8.0.36-commercial", "MySQL Enterprise Server - Commercial", {}, ("mysql", "MySQL Enterprise Server 8.0.36", None)),
    ("8.0.36-cloud", "MySQL Enterprise - Cloud", {}, ("mysql", "MySQL HeatWave 8.0.36 (Oracle Cloud)", "oci-heatwave")),
    ("8.0.36", "Source distribution", {}, ("mysql", "MySQL 8.0.36 (source build)", None)),
    ("8.0.36", "Homebrew", {}, ("mysql", "MySQL 8.0.36 (Homebrew)", None)),
    ("10.11.6-MariaDB-0+deb12u1", "Debian 12", {}, ("lookalike", "MariaDB", None)),
    ("5.5.5-10.11.6-MariaDB", "mariadb.org binary distribution", {}, ("lookalike", "MariaDB", None)),
    ("11.4.2-MariaDB-ubu2404", "mariadb.org binary distribution", {}, ("lookalike", "MariaDB", None)),
    # MariaDB started with --version=8.0.36: only its Aria engine gives it away.
    ("8.0.36", "Debian 12", {"variables": {"aria_block_size": "8192"}}, ("lookalike", "MariaDB", None)),
    ("8.0.11-TiDB-v7.5.0", "TiDB Server (Apache License 2.0) Community Edition, MySQL 8.0 compatible", {},
     ("lookalike", "TiDB", None)),
    ("5.7.25-TiDB-v6.5.0", "TiDB Server (Apache License 2.0) Community Edition, MySQL 5.7 compatible", {},
     ("lookalike", "TiDB", None)),
    ("5.7.25-OceanBase_CE-v4.2.1.0", "OceanBase_CE 4.2.1.0 (r100000)", {}, ("lookalike", "OceanBase", None)),
    ("8.0.30-Vitess", "Version: 19.0.4 (Git revision abc) built on ...", {}, ("lookalike", "Vitess", None)),
    ("5.7.32", "SingleStoreDB source distribution", {}, ("lookalike", "SingleStore", None)),
    ("8.0.33", "Dolt", {}, ("lookalike", "Dolt", None)),
    ("8.0.32", "Something Else 1.0", {}, ("unknown", "an unrecognised server (Something Else 1.0)", None)),
]


@pytest.mark.parametrize("version, comment, kwargs, expected", IDENTIFY, ids=[r[0] + "|" + r[1][:20] for r in IDENTIFY])
def test_identify_names_the_product(version, comment, kwargs, expected):
    server = identify(version, comment, **kwargs)
    assert (server.kind, server.label, server.managed) == expected


# version, comment, kwargs, status, words the summary must contain
VERDICTS = [
    # 8.0.x meets the reference architecture's floor (8.0.11 GA) but not W&B's newer advice: warn.
    ("8.0.36", COMMUNITY, {}, "warn", ["MySQL Community Server 8.0.36 meets the minimum 8.0.11", "MySQL 8.4.x"]),
    ("8.0.11", COMMUNITY, {}, "warn", ["8.0.11", "MySQL 8.4.x", "at least MySQL 8.0.32"]),
    ("8.0.4-rc", "MySQL Community Server (GPL)", {}, "fail", ["milestone", "release-candidate", "8.0.11"]),
    ("8.0.0-dmr", "MySQL Community Server (GPL)", {}, "fail", ["milestone"]),
    ("8.0.3-rc-log", "MySQL Community Server (GPL)", {}, "fail", ["milestone"]),
    ("8.0.10", COMMUNITY, {}, "fail", ["milestone", "not GA"]),
    ("5.7.44-log", "MySQL Community Server (GPL)", {}, "fail", ["MySQL 5.7 is not supported", "8.0.11"]),
    ("5.6.51", "MySQL Community Server (GPL)", {}, "fail", ["MySQL 5.6 is not supported"]),
    ("8.4.3", COMMUNITY, {}, "pass", ["8.4.3"]),
    ("8.4.0", COMMUNITY, {}, "pass", ["8.4.0"]),
    ("9.1.0", COMMUNITY, {}, "warn", ["no statement", "9.x"]),
    ("8.0.36-0ubuntu0.22.04.1", "(Ubuntu)", {}, "warn", ["MySQL 8.0.36 (Ubuntu package)", "8.4.x"]),
    # Aurora MySQL 3 (8.0-compatible) stays supported: only the aurora_version advice applies.
    ("8.0.32", "Source distribution", {"aurora": "3.05.2"}, "pass", ["Amazon Aurora MySQL 3.05.2 (MySQL 8.0.32)"]),
    ("8.0.28", "Source distribution", {"aurora": "3.04.1"}, "warn", ["Amazon Aurora MySQL 3.04.1",
                                                                    "at least Aurora MySQL 3.05.2"]),
    ("5.7.12", "MySQL Community Server (GPL)", {"aurora": "2.11.2"}, "fail", ["5.7", "Aurora MySQL 2.11.2"]),
    ("8.0.31-google", "(Google)", {}, "warn", ["Cloud SQL", "8.4.x", "at least MySQL 8.0.32"]),
    ("8.4.5-google", "(Google)", {}, "pass", ["Cloud SQL"]),
    ("8.0.21", "Source distribution", {"host": "wandb-db.mysql.database.azure.com"}, "warn",
     ["Azure Database for MySQL", "8.0.32"]),
    ("8.0.36-28", "Percona Server (GPL), Release 28, Revision 47601f19", {}, "warn", ["Percona Server", "8.4.x"]),
    ("8.4.4-4", "Percona Server (GPL), Release 4, Revision 1234567", {}, "pass", ["Percona Server"]),
    ("8.0.35-27.1", "Percona XtraDB Cluster (GPL), Release rel27, Revision 2f8eed8, WSREP version 26.1.4.3", {},
     "warn", ["multi-master"]),
    ("8.0.36-debug", COMMUNITY, {}, "warn", ["debug build"]),
    ("10.11.6-MariaDB-0+deb12u1", "Debian 12", {}, "fail", ["MariaDB, not MySQL"]),
    ("5.5.5-10.11.6-MariaDB", "mariadb.org binary distribution", {}, "fail", ["MariaDB"]),
    ("8.0.36", "Debian 12", {"variables": {"aria_block_size": "8192"}}, "fail", ["MariaDB"]),
    ("8.0.11-TiDB-v7.5.0", "TiDB Server (Apache License 2.0) Community Edition, MySQL 8.0 compatible", {}, "fail",
     ["TiDB, not MySQL"]),
    ("8.0.30-Vitess", "Version: 19.0.4", {}, "fail", ["Vitess"]),
    ("8.0.32", "Something Else 1.0", {}, "warn", ["not a MySQL build wbinstall recognises"]),
    ("garbage", "", {}, "fail", ["cannot read a version number"]),
]


@pytest.mark.parametrize("version, comment, kwargs, status, words", VERDICTS, ids=[r[0] for r in VERDICTS])
def test_version_verdict(version, comment, kwargs, status, words):
    result = version_result(version, comment, **kwargs)
    assert result.status == status, result.summary
    for word in words:
        assert word in result.summary


def test_version_evidence_quotes_the_exact_strings():
    result = version_result("8.0.32", "Source distribution", aurora="3.05.2")
    assert "VERSION(): 8.0.32" in result.evidence
    assert "@@version_comment: Source distribution" in result.evidence
    assert "aurora_version: 3.05.2" in result.evidence


def test_a_lookalike_remedy_names_the_supported_managed_services():
    result = version_result("8.0.11-TiDB-v7.5.0", "TiDB Server")
    assert "RDS Aurora" in result.remedy and "Cloud SQL for MySQL" in result.remedy
    assert "8.0.11" in result.remedy


def test_minimum_comes_from_the_requirements_data():
    from dataclasses import replace as dc_replace

    base = inputs(make_answers())
    req = base.requirements.model_copy(update={"mysql": base.requirements.mysql.model_copy(update={"min_version": "8.0.32"})})
    facts = MysqlFacts("x:3306", version="8.0.31-google", version_comment="(Google)")
    result = judge.version({"mysql": facts}, dc_replace(base, requirements=req))
    assert result.status == "fail" and "8.0.32" in result.summary


def test_no_version_reported_is_a_warning_not_a_crash():
    result = judge.version({"mysql": MysqlFacts("x:3306")}, inputs(make_answers()))
    assert result.status == "warn"


def test_newer_advice_is_cited_with_its_source_and_date_and_does_not_block():
    result = version_result("8.0.36", COMMUNITY)
    advice = [e for e in result.evidence if e.startswith("advice: ")]
    assert len(advice) == 1 and "self-managed-mysql-eol-upgrade.mdx" in advice[0] and "read 2026-" in advice[0]
    assert "April 2026" in result.summary
    assert "does not block" in result.remedy and "8.4.0" in result.remedy


def test_the_advice_is_data():
    from dataclasses import replace as dc_replace

    base = inputs(make_answers())
    mysql = base.requirements.mysql.model_copy(update={"advice": (), "newest_stated_series": "9.1"})
    req = base.requirements.model_copy(update={"mysql": mysql})
    facts = MysqlFacts("x:3306", version="9.1.0", version_comment=COMMUNITY)
    assert judge.version({"mysql": facts}, dc_replace(base, requirements=req)).status == "pass"
    facts = MysqlFacts("x:3306", version="8.0.36", version_comment=COMMUNITY)
    assert judge.version({"mysql": facts}, dc_replace(base, requirements=req)).status == "pass"
