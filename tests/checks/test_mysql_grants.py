"""mysql.grants: real SHOW GRANTS lines (MySQL 5.7 / 8, roles, partial revokes, MariaDB)."""

from __future__ import annotations

import pytest

from tests.checks.support import inputs, make_answers
from wbinstall.checks.mysql import judge
from wbinstall.checks.mysql.facts import MysqlFacts
from wbinstall.checks.mysql.grants import DATABASE_PRIVILEGES, access, like, parse

ALL = set(DATABASE_PRIVILEGES)


@pytest.mark.parametrize(
    "line, level, database, privileges, grant_option",
    [
        ("GRANT USAGE ON *.* TO `wandb`@`%`", "global", None, set(), False),
        ("GRANT ALL PRIVILEGES ON `wandb_local`.* TO `wandb`@`%` WITH GRANT OPTION", "database", "wandb_local", ALL, True),
        ("GRANT ALL PRIVILEGES ON `wandb\\_local`.* TO `wandb`@`%`", "database", "wandb\\_local", ALL, False),
        ("GRANT ALL ON wandb_local.* TO 'wandb'@'%'", "database", "wandb_local", ALL, False),
        ("GRANT SELECT, INSERT, UPDATE ON `wandb_local`.* TO 'wandb'@'%'", "database", "wandb_local",
         {"SELECT", "INSERT", "UPDATE"}, False),
        ("GRANT SELECT, CREATE TEMPORARY TABLES, LOCK TABLES ON `w`.* TO `u`@`10.0.%`", "database", "w",
         {"SELECT", "CREATE TEMPORARY TABLES", "LOCK TABLES"}, False),
        ("GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION", "global", None, ALL, True),
        ("GRANT SELECT, RELOAD, LOCK TABLES, SESSION_VARIABLES_ADMIN ON *.* TO `wandb`@`%`", "global", None,
         {"SELECT", "RELOAD", "LOCK TABLES", "SESSION_VARIABLES_ADMIN"}, False),
        ("GRANT SELECT (`id`, `name`), INSERT ON `w`.`runs` TO `u`@`%`", "table", "w", {"INSERT"}, False),
        ("GRANT EXECUTE ON PROCEDURE `w`.`p` TO `u`@`%`", "routine", "w", {"EXECUTE"}, False),
        ("GRANT USAGE ON `w`.* TO `u`@`%` WITH GRANT OPTION", "database", "w", set(), True),
        ("GRANT USAGE ON *.* TO `wandb_local`@`%` IDENTIFIED BY PASSWORD '*A3572F0CC43682023C627955A26686B0BC297BC3'",
         "global", None, set(), False),
        ("GRANT ALL PRIVILEGES ON `we``ird db`.* TO `u`@`%`", "database", "we`ird db", ALL, False),
        ("REVOKE INSERT, DELETE ON `wandb_local`.* FROM `wandb`@`%`", "database", "wandb_local", {"INSERT", "DELETE"}, False),
    ],
)
def test_parse_reads_level_database_privileges_and_grant_option(line, level, database, privileges, grant_option):
    grant = parse(line)
    assert (grant.level, grant.database, set(grant.privileges), grant.grant_option) == (
        level, database, privileges, grant_option)


@pytest.mark.parametrize(
    "line, roles",
    [
        ("GRANT `wandb_role`@`%` TO `wandb`@`%`", ("`wandb_role`@`%`",)),
        ("GRANT `r1`@`%`,`r2`@`localhost` TO `wandb`@`%`", ("`r1`@`%`", "`r2`@`localhost`")),
        ("GRANT `app_rw` TO `wandb`@`%`", ("`app_rw`",)),  # MariaDB roles have no host
    ],
)
def test_parse_reads_role_grants(line, roles):
    grant = parse(line)
    assert grant.level == "role" and grant.roles == roles


def test_parse_ignores_lines_that_are_not_grants():
    assert parse("SET DEFAULT ROLE `r`@`%` FOR `u`@`%`") is None
    assert parse("GRANT PROXY ON ''@'' TO 'root'@'localhost' WITH GRANT OPTION").level == "proxy"


@pytest.mark.parametrize(
    "pattern, name, matches",
    [
        ("wandb_local", "wandb_local", True),
        ("wandb\\_local", "wandb_local", True),
        ("wandb\\_local", "wandbXlocal", False),
        ("wandb_local", "wandbXlocal", True),  # unescaped _ is a wildcard in MySQL grants
        ("wandb%", "wandb_local", True),
        ("%", "anything", True),
        ("other", "wandb_local", False),
        ("WANDB_LOCAL", "wandb_local", False),
    ],
)
def test_database_patterns_follow_mysql_like(pattern, name, matches):
    assert like(pattern, name) is matches


def test_case_insensitive_match_when_names_are_folded():
    assert like("WANDB_LOCAL", "wandb_local", case_sensitive=False)


def test_access_combines_global_and_database_grants_less_partial_revokes():
    lines = [
        "GRANT SELECT, INSERT ON *.* TO `u`@`%`",
        "GRANT ALL PRIVILEGES ON `wandb_local`.* TO `u`@`%`",
        "REVOKE DELETE ON `wandb_local`.* FROM `u`@`%`",
        "GRANT ALL PRIVILEGES ON `other`.* TO `u`@`%` WITH GRANT OPTION",
    ]
    a = access(lines, "wandb_local")
    assert a.missing == ("DELETE",)
    assert not a.grant_option


# ---- the judge ----------------------------------------------------------------------------

def grants_result(lines, *, current_user="wandb@%", database="wandb_local", user="wandb", **extra):
    facts = MysqlFacts("x:3306", current_user=current_user, grants=tuple(lines), **extra)
    return judge.grants({"mysql": facts}, inputs(make_answers(mysql={"database": database, "user": user})))


GRANT_CASES = [
    # lines, status, words in summary
    (["GRANT USAGE ON *.* TO `wandb`@`%`", "GRANT ALL PRIVILEGES ON `wandb_local`.* TO `wandb`@`%` WITH GRANT OPTION"],
     "pass", ["all privileges", "GRANT OPTION"]),
    (["GRANT USAGE ON *.* TO 'wandb'@'%'", "GRANT ALL PRIVILEGES ON `wandb_local`.* TO 'wandb'@'%' WITH GRANT OPTION"],
     "pass", ["all privileges"]),  # MySQL 5.7 quoting
    (["GRANT ALL PRIVILEGES ON `wandb\\_local`.* TO `wandb`@`%` WITH GRANT OPTION"], "pass", ["all privileges"]),
    (["GRANT ALL PRIVILEGES ON *.* TO `wandb`@`%` WITH GRANT OPTION"], "pass", ["all privileges"]),
    (["GRANT ALL PRIVILEGES ON `wandb%`.* TO `wandb`@`%` WITH GRANT OPTION"], "pass", ["all privileges"]),
    (["GRANT USAGE ON *.* TO `wandb`@`%` IDENTIFIED BY <password hash hidden>",
      "GRANT ALL PRIVILEGES ON `wandb_local`.* TO `wandb`@`%` WITH GRANT OPTION"], "pass", ["all privileges"]),
    (["GRANT ALL PRIVILEGES ON `wandb_local`.* TO `wandb`@`%`"], "warn", ["not GRANT OPTION"]),
    (["GRANT USAGE ON *.* TO `wandb`@`%`"], "fail", ["no privileges"]),
    (["GRANT USAGE ON *.* TO `wandb`@`%`", "GRANT SELECT, INSERT, UPDATE, DELETE ON `wandb_local`.* TO `wandb`@`%`"],
     "fail", ["lacks 14 of the 18 privileges W&B needs on `wandb_local`.*"]),
    (["GRANT ALL PRIVILEGES ON `other_db`.* TO `wandb`@`%` WITH GRANT OPTION"], "fail", ["no privileges"]),
    (["GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, REFERENCES, INDEX, ALTER, CREATE TEMPORARY TABLES, "
      "LOCK TABLES, EXECUTE, CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, EVENT, TRIGGER ON "
      "`wandb_local`.* TO `wandb`@`%` WITH GRANT OPTION"], "pass", ["all privileges"]),
    (["GRANT ALL PRIVILEGES ON `wandb_local`.* TO `wandb`@`%` WITH GRANT OPTION",
      "REVOKE DROP ON `wandb_local`.* FROM `wandb`@`%`"], "fail", ["lacks DROP on `wandb_local`.*"]),
    (["GRANT ALL PRIVILEGES ON `wandb_local`.* TO `wandb`@`%` WITH GRANT OPTION",
      "REVOKE DROP, ALTER ON `wandb_local`.* FROM `wandb`@`%`"], "fail", ["lacks DROP, ALTER on"]),
    (["GRANT ALL PRIVILEGES ON `wandb_local`.`runs` TO `wandb`@`%`"], "fail", ["no privileges"]),
]


@pytest.mark.parametrize("lines, status, words", GRANT_CASES, ids=[str(i) for i in range(len(GRANT_CASES))])
def test_grants_verdict(lines, status, words):
    result = grants_result(lines)
    assert result.status == status, result.summary
    for word in words:
        assert word in result.summary


def test_grants_remedy_uses_their_database_user_and_host():
    result = grants_result(["GRANT USAGE ON *.* TO `wb_app`@`10.0.%`"], current_user="wb_app@10.0.%",
                           database="wandb-prod", user="wb_app")
    assert result.status == "fail"
    assert "GRANT ALL ON `wandb-prod`.* TO 'wb_app'@'10.0.%' WITH GRANT OPTION;" in result.remedy


def test_grants_evidence_is_the_lines_seen_and_every_missing_privilege():
    lines = ["GRANT USAGE ON *.* TO `wandb`@`%`", "GRANT SELECT, INSERT ON `wandb_local`.* TO `wandb`@`%`"]
    result = grants_result(lines)
    assert lines[0] in result.evidence and lines[1] in result.evidence
    assert "missing on `wandb_local`.*: UPDATE, DELETE, CREATE, DROP" in result.evidence[-1]


ROLE_LINES = ["GRANT USAGE ON *.* TO `wandb`@`%`", "GRANT `wandb_rw`@`%` TO `wandb`@`%`"]


def test_role_privileges_read_with_using_count():
    result = grants_result(
        ROLE_LINES, active_roles=("`wandb_rw`@`%`",),
        role_grants=(*ROLE_LINES, "GRANT ALL PRIVILEGES ON `wandb_local`.* TO `wandb`@`%` WITH GRANT OPTION"))
    assert result.status == "pass"


def test_roles_not_active_at_login_fail_with_set_default_role():
    result = grants_result(ROLE_LINES, active_roles=())
    assert result.status == "fail"
    assert "not active at login" in result.summary
    assert "SET DEFAULT ROLE ALL TO 'wandb'@'%';" in result.remedy


def test_roles_whose_privileges_cannot_be_read_warn():
    result = grants_result(ROLE_LINES, active_roles=None)
    assert result.status == "warn"
    assert "wandb_rw" in result.summary


def test_unreadable_grants_warn_with_the_documented_grant():
    facts = MysqlFacts("x:3306", grants_error="SHOW GRANTS: error 1142: denied")
    result = judge.grants({"mysql": facts}, inputs(make_answers(mysql={"user": "wandb"})))
    assert result.status == "warn"
    assert "GRANT ALL ON `wandb_local`.* TO 'wandb'@'%' WITH GRANT OPTION;" in result.remedy


def test_lower_case_table_names_folds_database_names():
    facts = MysqlFacts("x:3306", current_user="wandb@%", variables={"lower_case_table_names": "1"},
                       grants=("GRANT ALL PRIVILEGES ON `wandb_local`.* TO `wandb`@`%` WITH GRANT OPTION",))
    result = judge.grants({"mysql": facts}, inputs(make_answers(mysql={"database": "WANDB_LOCAL"})))
    assert result.status == "pass"
