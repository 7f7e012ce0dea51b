"""mysql.connect: one message and one remedy per way a connection fails, in the user's terms."""

from __future__ import annotations

from wbinstall.answers.model import MysqlAnswers
from wbinstall.checks.mysql import sql
from wbinstall.checks.mysql.facts import Failure
from wbinstall.requirements import MysqlReq

_CA_BUNDLES = (
    "RDS / Aurora: the AWS bundle https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem; "
    "Cloud SQL: the instance's server CA (gcloud sql instances describe INSTANCE, serverCaCert); "
    "Azure: DigiCert Global Root G2 and Microsoft RSA Root Certificate Authority 2017; "
    "self-managed: your CA's certificate"
)


def _seconds(failure: Failure) -> str:
    return f"{failure.waited:.3g} s" if failure.waited is not None else "the time allowed"


def _create_and_grant(m: MysqlAnswers, req: MysqlReq) -> str:
    return (
        "As an administrator, create the database and give the W&B user all rights on it:\n"
        f"  {sql.create_database(m.database, req.database.charset, req.database.collation)}\n"
        f"  {sql.grant_all(m.database, m.user)}\n"
        "(or set mysql.database to the database that was created for W&B)"
    )


def describe(failure: Failure, m: MysqlAnswers, req: MysqlReq) -> tuple[str, str]:
    """(summary, remedy) for a failed connection."""
    addr = f"{m.host}:{m.port}"
    user, db = m.user, m.database
    k = failure.kind
    if k == "no-password":
        return ("no password for the MySQL user",
                f"Give the password of MySQL user '{user}' in mysql.password (now: {m.password.describe()}).")
    if k == "ca-file":
        return (f"cannot use mysql.caFile {m.ca_file}",
                "Point mysql.caFile at a PEM file holding the CA certificate(s) that sign the server's "
                f"certificate ({_CA_BUNDLES}).")
    if k == "bad-host":
        return (f"'{m.host}' is not a host name",
                "Give mysql.host as a bare host name or IP address, e.g. mysql.example.com "
                "(no scheme or path; the port goes in mysql.port).")
    if k == "dns":
        return (f"the host name {m.host} does not resolve (DNS)",
                f"Check the spelling of mysql.host ({m.host}). A database with a private DNS name (a private "
                "zone, an endpoint inside a VPC) resolves only inside that network: run wbinstall where the "
                "cluster's pods would resolve it too.")
    if k == "dns-timeout":
        return (f"no DNS answer for {m.host} within {_seconds(failure)}",
                "This machine's DNS resolver did not answer: check /etc/resolv.conf and that the resolver is "
                "reachable, or use the database's IP address in mysql.host.")
    if k == "refused":
        return (f"connection refused by {addr}: nothing listens there",
                f"Check mysql.host and mysql.port (MySQL's default port is 3306), that the server is running, "
                "and that it listens on a network address (bind_address), not only on localhost or a socket.")
    if k == "unreachable":
        return (f"no route to {addr}",
                "This machine has no network path to the database: check the address, VPN and routing. "
                "Private-only databases are reachable only from inside their network.")
    if k == "timeout":
        return (f"no answer from {addr} within {_seconds(failure)}",
                f"A firewall, security group or network policy is probably dropping the traffic: allow TCP "
                f"port {m.port} to the database from this machine and from the cluster's nodes. Private-only "
                "databases (Cloud SQL private IP, RDS in a private subnet) answer only inside their network. "
                "Or allow more time with --timeout.")
    if k == "no-greeting":
        return (f"no answer from {addr}: it accepted the connection but sent no MySQL greeting within "
                f"{_seconds(failure)}",
                f"Check that port {m.port} is MySQL's and not another service's; a proxy or load balancer in "
                "front of MySQL may have no healthy backend, or the server is overloaded.")
    if k == "not-mysql":
        return (f"{addr} does not answer with the MySQL protocol",
                f"Check mysql.host and mysql.port: something other than MySQL listens on {addr}.")
    if k == "tls-untrusted":
        if m.ca_file:
            return (f"the server's TLS certificate is not signed by a CA in mysql.caFile ({m.ca_file}) "
                    "or the system store",
                    f"Put the CA that signs the server's certificate in mysql.caFile ({_CA_BUNDLES}).")
        return ("the server's TLS certificate is not trusted by this machine",
                f"Set mysql.caFile to the CA bundle that signs the server's certificate ({_CA_BUNDLES}).")
    if k == "tls-hostname":
        return (f"the server's TLS certificate is not issued for {m.host}",
                "Connect with a name the certificate lists (RDS / Aurora: the endpoint's name, not an IP "
                f"address or your own CNAME), or reissue the certificate with {m.host} in its subjectAltName.")
    if k == "tls-expired":
        return ("the server's TLS certificate has expired (or is not yet valid)",
                "Renew the server's certificate (RDS / Aurora: rotate the instance to a current CA), "
                "and check this machine's clock.")
    if k == "tls-handshake":
        return (f"the TLS handshake with {addr} failed",
                "Check the server's TLS setup (ssl_cert, ssl_key, tls_version: TLS 1.2 or newer).")
    if k == "tls-unsupported":
        return (f"mysql.tls is true but {addr} does not offer TLS",
                "Enable TLS on the server (ssl_cert / ssl_key; MySQL 8 enables it by default), or set "
                "mysql.tls: false if the network path to the database is private.")
    if k == "clear-text":
        return (f"{addr} asked for the password in clear text ({failure.detail}) over a connection without TLS: "
                "wbinstall did not send it",
                "Set mysql.tls: true (a server that authenticates with mysql_clear_password, such as RDS IAM or "
                "LDAP/PAM authentication, expects TLS), or give the W&B user a hashing authentication plugin "
                "(caching_sha2_password or mysql_native_password).")
    if k == "tls-required":
        return (f"{addr} requires TLS (require_secure_transport) but mysql.tls is false",
                "Set mysql.tls: true, and mysql.caFile to the CA bundle that signs the server's certificate "
                f"({_CA_BUNDLES}).")
    if k == "auth":
        tls_hint = ("\nIf the account was created with REQUIRE SSL (or the server requires secure transport), "
                    "set mysql.tls: true." if not m.tls else "")
        return (f"MySQL refused the login of user '{user}' (wrong password or no such user)",
                f"Check mysql.user ('{user}') and the password (from {m.password.describe()}). "
                "As an administrator, create or reset the account W&B uses:\n"
                f"  CREATE USER IF NOT EXISTS {sql.account(user)} IDENTIFIED BY '<password>';\n"
                f"  ALTER USER {sql.account(user)} IDENTIFIED BY '<password>';\n"
                f"  {sql.grant_all(db, user)}" + tls_hint)
    if k == "host-not-allowed":
        return (f"the MySQL account '{user}' may not log in from this machine",
                "The account exists only for other client hosts. As an administrator, create it for any host "
                "(W&B's pods connect from the cluster's addresses):\n"
                f"  CREATE USER IF NOT EXISTS {sql.account(user)} IDENTIFIED BY '<password>';\n"
                f"  {sql.grant_all(db, user)}")
    if k == "no-database-access":
        return (f"user '{user}' has no rights on database '{db}' (or it does not exist)",
                _create_and_grant(m, req))
    if k == "unknown-database":
        return (f"the database '{db}' does not exist", _create_and_grant(m, req))
    code = f" (error {failure.code})" if failure.code else ""
    return (f"cannot connect to MySQL at {addr}{code}",
            "Read the error above; check mysql.host, mysql.port, mysql.user and mysql.tls.")
