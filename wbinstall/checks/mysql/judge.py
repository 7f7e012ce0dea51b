"""Pure judges for the mysql.* checks: MysqlFacts + CheckInputs -> Result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wbinstall.checks.context import CheckInputs
from wbinstall.checks.mysql import grants as grant_lines
from wbinstall.checks.mysql import sql
from wbinstall.checks.mysql.failures import describe
from wbinstall.checks.mysql.facts import MysqlFacts
from wbinstall.checks.mysql.versions import Server, identify, parse_number, show
from wbinstall.checks.result import Result, failed, passed, warned
from wbinstall.requirements import VersionAdvice

# The newest MySQL series W&B has made a statement about is requirements' newestStatedSeries
# (8.4: wandb-operator.md §3.1). Newer series (9.x) meet the minimum, but W&B neither supports
# nor rejects them, and most are short-lived Innovation releases: a server there gets a warning,
# not a pass (which would promise what W&B has not) and not a failure (which would block a
# server that meets the stated minimum).


def _facts(facts: Mapping[str, Any]) -> MysqlFacts:
    return facts["mysql"]


def server(f: MysqlFacts, inputs: CheckInputs) -> Server:
    return identify(f.version or "", f.version_comment, aurora_version=f.aurora_version,
                    variables=f.variables, host=inputs.answers.mysql.host)


def _managed_names(inputs: CheckInputs) -> str:
    names = [c.managed_services.mysql for c in inputs.requirements.clouds.values() if c.managed_services]
    return ", ".join(names)


# -- mysql.connect ----------------------------------------------------------------------------

def connect(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    f, m = _facts(facts), inputs.answers.mysql
    if f.failure is not None:
        summary, remedy = describe(f.failure, m, inputs.requirements.mysql)
        evidence = [f.failure.detail]
        if f.failure.waited is not None:
            evidence.append(f"waited {f.failure.waited:.3g} s")
        return failed("mysql.connect", summary, *evidence, remedy=remedy)
    evidence = [f"TLS: {f.tls}, certificate verified for {m.host}" if f.tls
                else "without TLS (mysql.tls: false)"]
    if f.incomplete:  # logged in, but the session broke or ran out of time: the other checks lack facts
        return warned("mysql.connect", f"connected to {m.host}:{m.port}, but reading the server's details "
                                       "stopped early", *evidence, f.incomplete,
                      remedy="Rerun with more time (--timeout). If it happens again, look for a proxy, load "
                             "balancer or firewall that cuts connections between this machine and the database.")
    return passed("mysql.connect", f"connected to {m.host}:{m.port} as '{m.user}', database '{m.database}'",
                  *evidence)


# -- mysql.version ----------------------------------------------------------------------------

def version(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    f, req = _facts(facts), inputs.requirements.mysql
    cid = "mysql.version"
    if not f.version:
        return warned(cid, "the server did not report its version", *(x for x in [f.incomplete] if x))
    srv = server(f, inputs)
    evidence = [f"VERSION(): {f.version}", f"@@version_comment: {f.version_comment or '(none)'}"]
    evidence += [*([f"aurora_version: {f.aurora_version}"] if f.aurora_version else []), *srv.hints]
    minimum, first_ga = parse_number(req.min_version), parse_number(req.first_ga)
    use = (f"Use MySQL {req.min_version} or newer (a GA release), or a managed MySQL: "
           f"{_managed_names(inputs)}.")

    if srv.kind == "lookalike":
        return failed(cid, f"the server is {srv.product}, not MySQL: W&B needs MySQL {req.min_version} or newer",
                      *evidence, remedy=f"{use} W&B does not support {srv.product}.")
    n = srv.number
    if n is None:
        return failed(cid, f"cannot read a version number from '{f.version}'", *evidence, remedy=use)
    if srv.prerelease or (n[:2] == first_ga[:2] and n < first_ga):
        return failed(cid, f"MySQL {f.version} is a milestone / release-candidate build, not GA "
                           f"(the first GA of {n[0]}.{n[1]} was {req.first_ga})", *evidence, remedy=use)
    if n < minimum:
        return failed(cid, f"MySQL {n[0]}.{n[1]} is not supported: W&B needs {req.min_version} or newer "
                           f"({srv.label})", *evidence, remedy=use)
    newest_series = tuple(int(x) for x in req.newest_stated_series.split("."))
    if n[:2] > newest_series:
        newest = req.newest_stated_series
        return warned(cid, f"{srv.label}: W&B has made no statement about MySQL {n[0]}.x "
                           f"(newest stated: {newest})", *evidence,
                      remedy=f"Prefer MySQL {newest} (LTS), which W&B validates against; "
                             "use a newer series only after checking with W&B support.")
    if srv.cluster:
        return warned(cid, f"{srv.label} is a Galera multi-master cluster; W&B does not support "
                           "multi-master", *evidence,
                      remedy="Send all of W&B's traffic to one writer node (e.g. through ProxySQL or HAProxy "
                             "with a single writer), or use a single MySQL server with a hot standby.")
    if srv.debug:
        return warned(cid, f"{srv.label} is a debug build ({f.version}): slow, not for production", *evidence,
                      remedy="Install a release build of the same version.")
    if srv.kind == "unknown":
        return warned(cid, f"version {show(n)} meets the minimum, but {srv.product} is not a MySQL build "
                           "wbinstall recognises", *evidence,
                      remedy=f"Make sure this is MySQL itself and not a MySQL-compatible product. {use}")
    behind = _advice_behind(srv, f, req.advice)
    if behind:
        return warned(cid, f"{srv.label} meets the minimum {req.min_version} (GA); "
                           f"{'; '.join(a.says for a in behind)}", *evidence,
                      *(f"advice: {a.cited()}" for a in behind), remedy=_advice_remedy(srv, behind))
    return passed(cid, f"{srv.label} (W&B needs MySQL {req.min_version} or newer, GA)", *evidence)


def _advice_behind(srv: Server, f: MysqlFacts, advice: tuple[VersionAdvice, ...]) -> list[VersionAdvice]:
    """W&B's newer advice (requirements.yaml) this server is behind: MySQL rules compare
    VERSION(), Aurora rules aurora_version() (Aurora MySQL 3 is 8.0-compatible and supported)."""
    aurora = srv.managed == "aws-aurora"
    aurora_number = parse_number(f.aurora_version or "") if aurora else None
    behind = []
    for a in advice:
        if a.applies_to == "aurora" and aurora_number is not None:
            if aurora_number < parse_number(a.min_version):
                behind.append(a)
        elif a.applies_to == "mysql" and not aurora and srv.number is not None:
            if srv.number < parse_number(a.min_version):
                behind.append(a)
    return behind


def _advice_remedy(srv: Server, behind: list[VersionAdvice]) -> str:
    target = max(behind, key=lambda a: parse_number(a.min_version))
    where = {
        "aws-aurora": "Upgrade the Aurora cluster's engine version (RDS console or aws rds modify-db-cluster "
                      "--engine-version)",
        "aws-rds": "Upgrade the RDS instance's engine version (RDS console or aws rds modify-db-instance "
                   "--engine-version)",
        "gcp-cloudsql": "Upgrade the Cloud SQL instance's database version (gcloud sql instances patch INSTANCE "
                        "--database-version=...)",
        "azure": "Upgrade the Azure Database for MySQL server's version (portal, or az mysql flexible-server upgrade)",
    }.get(srv.managed or "", "Upgrade the MySQL server")
    return (f"{where} to {target.min_version} or newer when you can; the reference architecture's minimum "
            "is met, so this does not block the install.")


# -- mysql.settings ---------------------------------------------------------------------------

# Where a managed service takes these settings instead of SET PERSIST.
_WHERE_TO_SET = {
    "aws-aurora": "On Aurora, set them in the DB cluster parameter group (binlog_format, binlog_row_image, "
                  "innodb_online_alter_log_max_size) and the DB parameter group (the others), as W&B's "
                  "Terraform module does:",
    "aws-rds": "On RDS, set them in the instance's DB parameter group:",
    "gcp-cloudsql": "On Cloud SQL, set them as database flags (console, or gcloud sql instances patch INSTANCE "
                    "--database-flags=NAME=VALUE,... which replaces all flags, so list the existing ones too):",
    "azure": "On Azure, set them as server parameters (portal, or az mysql flexible-server parameter set "
             "--resource-group RG --server-name SERVER --name NAME --value VALUE):",
    "oci-heatwave": "On MySQL HeatWave, set them in the DB system's configuration:",
}
_MANAGED_NOTE = ("On a managed service, set these in its DB parameter group (RDS, Aurora), as database flags "
                 "(Cloud SQL) or as server parameters (Azure) instead.")


def setting_matches(wanted: str | int, seen: str) -> bool:
    """Numbers compare numerically (ON/OFF as 1/0), words case-insensitively."""
    if isinstance(wanted, int) and not isinstance(wanted, bool):
        text = seen.strip().upper()
        text = {"ON": "1", "OFF": "0"}.get(text, text)
        try:
            return int(text) == wanted
        except ValueError:
            try:
                return float(text) == wanted
            except ValueError:
                return False
    return seen.strip().casefold() == str(wanted).strip().casefold()


def _set(name: str, wanted: str | int, persist: bool) -> str:
    value = str(wanted) if isinstance(wanted, int) else sql.string(str(wanted))
    return f"SET {'PERSIST' if persist else 'GLOBAL'} {name} = {value};"


def settings(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    # W&B's settings are recommendations, not requirements: W&B's own Terraform modules leave
    # several of them at the server default (Aurora: sync_binlog, innodb_flush_log_at_trx_commit;
    # Azure: sort_buffer_size 512 KiB), wandb-operator.md §3.3. So a mismatch warns, never fails.
    f, wanted = _facts(facts), inputs.requirements.mysql.settings
    cid = "mysql.settings"
    if not f.variables:
        return warned(cid, "could not read the server's settings", *(x for x in [f.variables_error, f.incomplete] if x),
                      remedy="Run SHOW GLOBAL VARIABLES as the W&B user and compare with W&B's settings: "
                             + ", ".join(f"{k}={v}" for k, v in wanted.items()) + ".")
    seen = {k.lower(): v for k, v in f.variables.items()}
    mismatched, missing, evidence = [], [], []
    for name, value in wanted.items():
        got = seen.get(name.lower())
        if got is None:
            missing.append(name)
            evidence.append(f"{name}: not reported by the server (W&B: {value})")
        elif not setting_matches(value, got):
            mismatched.append(name)
            evidence.append(f"{name} = {got} (W&B: {value})")
        else:
            evidence.append(f"{name} = {got}")
    if not mismatched and not missing:
        return passed(cid, f"all {len(wanted)} of W&B's server settings match", *evidence)
    parts = []
    if mismatched:
        parts.append(f"{len(mismatched)} of W&B's server settings differ: {', '.join(mismatched)}")
    if missing:
        parts.append(f"not reported by the server: {', '.join(missing)}")
    srv = server(f, inputs)
    # SET PERSIST is MySQL 8's; elsewhere SET GLOBAL plus the option file does the same.
    persist = srv.kind == "mysql" and srv.number is not None and srv.number >= (8, 0, 0)
    if srv.managed:  # no SET on a managed service: name the values and where they go
        values = "\n".join(f"  {n} = {wanted[n]}" for n in mismatched)
        remedy = f"{_WHERE_TO_SET[srv.managed]}\n{values}" if mismatched else ""
    else:
        statements = "\n".join(f"  {_set(n, wanted[n], persist)}" for n in mismatched)
        how = ("As an administrator (SET PERSIST survives restarts):" if persist else
               "As an administrator (and put the same settings in the server's option file, [mysqld] in my.cnf):")
        remedy = f"{how}\n{statements}\n{_MANAGED_NOTE}" if mismatched else ""
    if missing:
        remedy += ("\n" if remedy else "") + (
            f"{', '.join(missing)} do not exist on this server (a look-alike, or a setting the vendor "
            "removed): check its documentation for the equivalent.")
    return warned(cid, "; ".join(parts), *evidence, remedy=remedy)


# -- mysql.charset ----------------------------------------------------------------------------

def charset(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    f, req, db = _facts(facts), inputs.requirements.mysql.database, inputs.answers.mysql.database
    cid = "mysql.charset"
    if not f.charset:
        return warned(cid, f"could not read the character set of database '{db}'",
                      *(x for x in [f.schema_error, f.incomplete] if x),
                      remedy=f"Check it as an administrator: SHOW CREATE DATABASE {sql.ident(db)};")
    evidence = [f"information_schema.SCHEMATA: {db} DEFAULT CHARACTER SET {f.charset} COLLATE {f.collation}"]
    if f.charset.lower() == req.charset.lower():
        if (f.collation or "").lower() == req.collation.lower():
            return passed(cid, f"database '{db}' uses {f.charset} / {f.collation}", *evidence)
        # W&B's docs create the database with utf8mb4_general_ci, but W&B's own Terraform modules
        # leave the server's default utf8mb4 collation: any utf8mb4 collation passes.
        return passed(cid, f"database '{db}' uses {f.charset} (collation {f.collation}; W&B's docs use "
                           f"{req.collation})", *evidence)
    statement = f"ALTER DATABASE {sql.ident(db)} CHARACTER SET {req.charset} COLLATE {req.collation};"
    return failed(cid, f"database '{db}' uses {f.charset}, not {req.charset}", *evidence,
                  remedy=f"As an administrator:\n  {statement}\n"
                         "This sets the default for new tables; tables that already exist keep their character "
                         "set. If W&B has used this database before, convert each table (ALTER TABLE ... CONVERT "
                         f"TO CHARACTER SET {req.charset} COLLATE {req.collation};) or start from a new, empty "
                         "database.")


# -- mysql.grants -----------------------------------------------------------------------------

def grants(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    f, m = _facts(facts), inputs.answers.mysql
    cid = "mysql.grants"
    user, host = sql.split_account(f.current_user, m.user)
    who, db = f"'{user}'@'{host}'", sql.ident(m.database)
    grant = sql.grant_all(m.database, user, host)
    remedy = f"As an administrator:\n  {grant}"
    if not f.grants:
        return warned(cid, f"could not read the grants of {who}", *(x for x in [f.grants_error, f.incomplete] if x),
                      remedy=f"Check with SHOW GRANTS as that user; W&B's setup is:\n  {grant}")
    case_sensitive = f.variables.get("lower_case_table_names", "0") == "0"
    access = grant_lines.access(f.grants + f.role_grants, m.database, case_sensitive)
    evidence = [*f.grants, *(f"via active roles: {line}" for line in f.role_grants if line not in f.grants)]
    missing = access.missing

    if not missing:
        if access.grant_option:
            return passed(cid, f"{who} has all privileges on {db}.* (with GRANT OPTION)", *evidence)
        return warned(cid, f"{who} has all privileges on {db}.* but not GRANT OPTION, which W&B's setup gives",
                      *evidence, remedy=remedy)

    total = len(grant_lines.DATABASE_PRIVILEGES)
    lacks = (f"has no privileges on {db}.*" if len(missing) == total
             else f"lacks {', '.join(missing)} on {db}.*" if len(missing) <= 4
             else f"lacks {len(missing)} of the {total} privileges W&B needs on {db}.*")
    evidence.append(f"missing on {db}.*: {', '.join(missing)}")
    if access.roles and not f.role_grants:
        roles = ", ".join(access.roles)
        default_roles = f"SET DEFAULT ROLE ALL TO {sql.account(user, host)};"
        if f.active_roles == ():
            return failed(cid, f"{who} {lacks}; its roles ({roles}) are not active at login",
                          *evidence, remedy=f"{remedy}\nor, if the roles carry these privileges:\n  {default_roles}")
        return warned(cid, f"{who} {lacks} unless its roles ({roles}) grant them "
                           "(could not read the roles' privileges)",
                      *evidence, *(x for x in [f.role_grants_error] if x),
                      remedy=f"Make sure the roles are active at login ({default_roles}) and carry all "
                             f"privileges on {db}.*, or:\n  {grant}")
    return failed(cid, f"{who} {lacks}", *evidence, remedy=remedy)


# -- mysql.operations -------------------------------------------------------------------------

# How each piece of advice is followed on a managed service (numbers stay in the advice itself).
_HOW: dict[str, dict[str, str]] = {
    "aws-aurora": {
        "backups": "on Aurora: the backup retention period (automated backups are kept in S3, apart from the cluster)",
        "disks": "Aurora's storage is SSD-backed and managed: nothing to choose",
        "monitoring": "on Aurora: a CloudWatch alarm on CPUUtilization",
        "standby": "on Aurora: an Aurora Replica in another Availability Zone as failover target",
    },
    "aws-rds": {
        "backups": "on RDS: the backup retention period",
        "disks": "on RDS: gp3 or io1/io2 (SSD) storage",
        "monitoring": "on RDS: a CloudWatch alarm on CPUUtilization",
        "standby": "on RDS: a Multi-AZ deployment",
    },
    "gcp-cloudsql": {
        "backups": "on Cloud SQL: automated backups and the number of retained backups",
        "disks": "on Cloud SQL: the SSD storage type",
        "monitoring": "on Cloud SQL: a Cloud Monitoring alert on database/cpu/utilization",
        "standby": "on Cloud SQL: high availability, a regional instance",
    },
    "azure": {
        "backups": "on Azure: the backup retention days (geo-redundant backup for a separate facility)",
        "disks": "Azure Database for MySQL storage is SSD-backed",
        "monitoring": "on Azure: an Azure Monitor alert on cpu_percent",
        "standby": "on Azure: high availability, zone-redundant or same-zone",
    },
    "oci-heatwave": {
        "standby": "on MySQL HeatWave: high availability for the DB system",
    },
}


def operations(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    # Advice, not a verdict: backups, disks, monitoring and standby are invisible from a SQL
    # session, so there is nothing to fail. It reports `pass` with the advice as evidence (a
    # standing `warn` on every run would teach users to ignore warnings), and `warn` only when a
    # fact contradicts the advice: a self-managed production server with the binary log off
    # cannot feed a hot standby.
    f = _facts(facts)
    cid = "mysql.operations"
    srv = server(f, inputs) if f.version else None
    managed = srv.managed if srv else None
    how = _HOW.get(managed or "", {})
    evidence = [f"{a.id}: {a.advice}" + (f" ({how[a.id]})" if a.id in how else "")
                for a in inputs.requirements.mysql.operations]
    name = srv.label if srv else "the database"
    log_bin = f.variables.get("log_bin", "").upper()
    if (managed is None and inputs.answers.environment == "production" and log_bin in ("OFF", "0")
            and (srv is None or srv.kind == "mysql")):
        return warned(cid, "the binary log is off: no hot standby can stream updates from this server",
                      "log_bin = " + f.variables["log_bin"], *evidence,
                      remedy="Enable the binary log (MySQL 8 has it on by default: remove skip-log-bin / "
                             "disable_log_bin from the server's configuration) and add a replica as hot standby.")
    return passed(cid, f"advice for running {name} (backups, disks, monitoring, standby: not visible from SQL)",
                  *evidence)
