"""pytest fixtures for the sandbox's network servers (a plugin: `pytest_plugins = ["sandbox.fixtures_net"]`).

Session-scoped (slow, or read-only once set up):
    sandbox_ca                 SandboxCA (root + intermediate, bundle_path; also a private CA)
    sandbox_tls                dict scenario -> running TLSListener for "wandb.sandbox.test"
    sandbox_s3                 running SandboxS3 (moto); moto state is per process, so never reset() it here
    sandbox_s3_buckets         dict case -> bucket name in sandbox_s3 (s3.create_standard_buckets)
    sandbox_s3_minio_like      running MinioLikeS3 in front of sandbox_s3
    sandbox_azurite            running SandboxAzurite (Azurite 3.35.0 from npm; one account per CORS case)
    sandbox_azurite_accounts   dict case -> account in sandbox_azurite, each with container "wandb"
    sandbox_gcs                running SandboxGCS (gcp-storage-emulator) + its token endpoint
    sandbox_gcs_buckets        dict case -> bucket in sandbox_gcs (gcs.create_standard_buckets)
    sandbox_mariadb            running SandboxMariaDB (real MariaDB, own version string)
    sandbox_mariadb_as_mysql   running SandboxMariaDB started with --version=8.0.36
Function-scoped (cheap, and tests change them):
    sandbox_dns                running SandboxDNS with no records
    sandbox_mysql              factory: sandbox_mysql("aurora-3.05.2", tls=False, **preset_kwargs) -> running
                               MimicMySQL; tls=True serves a sandbox_ca certificate for 127.0.0.1/localhost
"""

from __future__ import annotations

from typing import Iterator

import pytest

from sandbox.dns import SandboxDNS
from sandbox.mariadb import SandboxMariaDB
from sandbox.mysql_mimic_server import MimicMySQL, preset
from sandbox.tls import SandboxCA, TLSListener, start_tls_listeners, stop_all

SERVER_NAME = "wandb.sandbox.test"


@pytest.fixture(scope="session")
def sandbox_ca(tmp_path_factory) -> SandboxCA:
    return SandboxCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="session")
def sandbox_tls(sandbox_ca) -> Iterator[dict[str, TLSListener]]:
    listeners = start_tls_listeners(sandbox_ca, SERVER_NAME)
    yield listeners
    stop_all(listeners)


@pytest.fixture
def sandbox_dns() -> Iterator[SandboxDNS]:
    with SandboxDNS() as server:
        yield server


@pytest.fixture(scope="session")
def sandbox_s3():
    from sandbox.s3 import SandboxS3  # imports moto: only for sessions that use S3

    with SandboxS3() as server:
        yield server


@pytest.fixture(scope="session")
def sandbox_s3_buckets(sandbox_s3) -> dict[str, str]:
    from sandbox.s3 import create_standard_buckets

    return create_standard_buckets(sandbox_s3)


@pytest.fixture(scope="session")
def sandbox_s3_minio_like(sandbox_s3):
    from sandbox.s3 import MinioLikeS3

    with MinioLikeS3(sandbox_s3) as server:
        yield server


@pytest.fixture(scope="session")
def sandbox_azurite(tmp_path_factory):
    from sandbox.azurite import SandboxAzurite

    with SandboxAzurite(tmp_path_factory.mktemp("azurite")) as server:
        yield server


@pytest.fixture(scope="session")
def sandbox_azurite_accounts(sandbox_azurite) -> dict[str, str]:
    from sandbox.azurite import create_standard_accounts

    return create_standard_accounts(sandbox_azurite)


@pytest.fixture(scope="session")
def sandbox_gcs(tmp_path_factory):
    from sandbox.gcs import SandboxGCS

    with SandboxGCS(tmp_path_factory.mktemp("gcs")) as server:
        yield server


@pytest.fixture(scope="session")
def sandbox_gcs_buckets(sandbox_gcs) -> dict[str, str]:
    from sandbox.gcs import create_standard_buckets

    return create_standard_buckets(sandbox_gcs)


@pytest.fixture
def sandbox_mysql(sandbox_ca):
    started: list[MimicMySQL] = []

    def start(preset_name: str = "mysql-8.0.36", *, tls: bool = False, **preset_kwargs) -> MimicMySQL:
        ssl_context = sandbox_ca.server_context(sandbox_ca.issue("127.0.0.1", "localhost")) if tls else None
        server = MimicMySQL(preset(preset_name, **preset_kwargs), ssl_context=ssl_context).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def sandbox_mariadb(tmp_path_factory) -> Iterator[SandboxMariaDB]:
    with SandboxMariaDB(tmp_path_factory.mktemp("mariadb")) as server:
        yield server


@pytest.fixture(scope="session")
def sandbox_mariadb_as_mysql(tmp_path_factory) -> Iterator[SandboxMariaDB]:
    with SandboxMariaDB(tmp_path_factory.mktemp("mariadb-v"), version_override="8.0.36") as server:
        yield server
