"""Tell MySQL from its look-alikes and name the build, from VERSION(), @@version_comment and hints.

Look-alikes speak the MySQL protocol and often report a MySQL-like version ("8.0.11-TiDB-v7.5.0",
"5.5.5-10.11.6-MariaDB"), so the number alone proves nothing: the product is decided first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Kind = Literal["mysql", "lookalike", "unknown"]
Managed = Literal["aws-aurora", "aws-rds", "gcp-cloudsql", "azure", "oci-heatwave"]

# (marker in version or comment, product name). Checked before anything else.
_LOOKALIKES: tuple[tuple[str, str], ...] = (
    ("mariadb", "MariaDB"),
    ("tidb", "TiDB"),
    ("oceanbase", "OceanBase"),
    ("vitess", "Vitess"),
    ("singlestore", "SingleStore"),
    ("memsql", "SingleStore (MemSQL)"),
    ("starrocks", "StarRocks"),
    ("doris", "Apache Doris"),
    ("dolt", "Dolt"),
    ("databend", "Databend"),
    ("greptime", "GreptimeDB"),
    ("matrixone", "MatrixOne"),
    ("manticore", "Manticore Search"),
    ("sphinx", "Sphinx"),
    ("clickhouse", "ClickHouse"),
)

_VERSION = re.compile(r"^\s*(\d+)\.(\d+)\.(\d+)(.*)$", re.DOTALL)
# MariaDB 10+ puts "5.5.5-" before its real version in the handshake (old clients choke on 10.x).
_MARIADB_HANDSHAKE = re.compile(r"^5\.5\.5-(?=\d+\.\d+\.\d+)")
_PRERELEASE = re.compile(r"^(rc|dmr|m\d+|alpha\d*|beta\d*|labs.*|preview)$", re.IGNORECASE)
_AZURE_HOSTS = (".mysql.database.azure.com", ".mysql.database.chinacloudapi.cn", ".mysql.database.usgovcloudapi.net")
_RDS_HOSTS = (".rds.amazonaws.com", ".rds.amazonaws.com.cn")


@dataclass(frozen=True)
class Server:
    product: str  # what to call it in messages: "Amazon Aurora MySQL 3.05.2", "MariaDB"
    kind: Kind
    number: tuple[int, int, int] | None  # the MySQL version it reports (look-alikes: as reported)
    prerelease: str | None = None  # "rc", "dmr", "m2" ... from the version suffix
    managed: Managed | None = None
    debug: bool = False  # a debug build (slow; meant for MySQL's developers)
    cluster: bool = False  # a Galera (wsrep) multi-master cluster
    hints: tuple[str, ...] = ()  # what the identification rests on, beyond VERSION()/comment
    template: str = "{product} {v}"  # how to name it with its version

    @property
    def label(self) -> str:
        """The product with its MySQL version: 'Amazon Aurora MySQL 3.05.2 (MySQL 8.0.32)'."""
        if self.number is None:
            return self.product
        return self.template.format(product=self.product, v=show(self.number))


def parse_number(text: str) -> tuple[int, int, int] | None:
    """The leading X.Y.Z of a version string, e.g. '8.0.36-0ubuntu0.22.04.1' -> (8, 0, 36)."""
    m = _VERSION.match(_MARIADB_HANDSHAKE.sub("", text or ""))
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


def show(number: tuple[int, int, int]) -> str:
    return ".".join(map(str, number))


def identify(
    version: str,
    comment: str | None = None,
    *,
    aurora_version: str | None = None,
    variables: Mapping[str, str] | None = None,
    host: str | None = None,
) -> Server:
    version = (version or "").strip()
    comment = (comment or "").strip()
    variables = {k.lower(): v for k, v in (variables or {}).items()}
    host = (host or "").lower().rstrip(".")
    number = parse_number(version)
    blob = f"{version} {comment}".lower()

    for marker, name in _LOOKALIKES:
        if marker in blob:
            return Server(name, "lookalike", number, template="{product}")
    # MariaDB started with --version=8.0.36 reports a MySQL number; its Aria engine gives it away.
    if any(k.startswith("aria_") for k in variables):
        return Server("MariaDB", "lookalike", number, template="{product}",
                      hints=("the server has MariaDB's Aria engine (aria_* variables)",))
    if number is None:
        return Server("an unrecognised server", "unknown", None)

    m = _VERSION.match(version)
    tokens = [t for t in (m[4] if m else "").split("-") if t]
    prerelease = next((t.lower() for t in tokens if _PRERELEASE.match(t)), None)
    debug = any(t.lower() in ("debug", "valgrind", "asan", "tsan") for t in tokens)
    cluster = "xtradb cluster" in comment.lower() or variables.get("wsrep_on", "").upper() == "ON"
    common = {"prerelease": prerelease, "debug": debug, "cluster": cluster}
    if aurora_version:
        return Server(f"Amazon Aurora MySQL {aurora_version}", "mysql", number, managed="aws-aurora",
                      template="{product} (MySQL {v})", **common)
    if "google" in (t.lower() for t in tokens):
        return Server("Google Cloud SQL for MySQL", "mysql", number, managed="gcp-cloudsql", **common)
    if host.endswith(_AZURE_HOSTS) or "aad_auth_only" in variables:
        why = f"host name {host}" if host.endswith(_AZURE_HOSTS) else "the server has Azure's aad_auth_only parameter"
        return Server("Azure Database for MySQL", "mysql", number, managed="azure", hints=(why,), **common)
    if variables.get("basedir", "").startswith("/rdsdbbin/") or host.endswith(_RDS_HOSTS):
        why = f"host name {host}" if host.endswith(_RDS_HOSTS) else f"basedir {variables['basedir']}"
        return Server("Amazon RDS for MySQL", "mysql", number, managed="aws-rds", hints=(why,), **common)
    low = comment.lower()
    if "cloud" in (t.lower() for t in tokens) or "enterprise - cloud" in low:
        return Server("MySQL HeatWave", "mysql", number, managed="oci-heatwave", template="{product} {v} (Oracle Cloud)",
                      **common)
    if "xtradb cluster" in low:
        return Server("Percona XtraDB Cluster", "mysql", number, **common)
    if "percona" in low or any(re.fullmatch(r"\d+(\.\d+)?", t) for t in tokens):
        return Server("Percona Server for MySQL", "mysql", number, **common)
    if "enterprise" in low or "commercial" in (t.lower() for t in tokens):
        return Server("MySQL Enterprise Server", "mysql", number, **common)
    if "community" in low:
        return Server("MySQL Community Server", "mysql", number, **common)
    if "ubuntu" in low or any("ubuntu" in t.lower() for t in tokens):
        return Server("MySQL", "mysql", number, template="{product} {v} (Ubuntu package)", **common)
    if "source distribution" in low:
        return Server("MySQL", "mysql", number, template="{product} {v} (source build)", **common)
    if "mysql" in low or "homebrew" in low:
        return Server("MySQL", "mysql", number, template="{product} {v} (" + comment.replace("{", "").replace("}", "") + ")",
                      **common)
    # A MySQL-shaped number from something that does not call itself MySQL.
    return Server(f"an unrecognised server ({comment or 'no version comment'})", "unknown", number,
                  template="{product}", **common)
