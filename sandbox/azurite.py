"""Azure Blob Storage on 127.0.0.1: Azurite 3.35.0 (npm), the emulator Microsoft ships.

    with SandboxAzurite(tmp_dir) as az:
        az.endpoint("wbcorsok")                    # http://127.0.0.1:P/wbcorsok (path-style account URL)
        az.set_cors("wbcorsok", wandb_cors_rules())
        az.create_container("wbcorsok", "wandb")
        az.account_key("wbcorsok")                 # the account's key (Azurite checks SAS and Shared Key signatures)

Blob CORS is a property of the storage account's Blob service (not of a container), as in Azure,
so every CORS case is its own account (AZURITE_ACCOUNTS): Azurite answers preflights from those
rules (403 "CorsPreflightFailure" when none matches) and adds Expose-Headers to real answers.
Azurite is installed by sandbox/install-node-packages.sh; it runs with telemetry off, in memory,
its log in a file. `--skipApiVersionCheck`: the Python SDK sends newer x-ms-versions than 3.35.0 knows.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from sandbox.procs import LOOPBACK, ManagedProcess, free_port, tcp_ready

ROOT = Path(__file__).resolve().parent
# One account per CORS case (Blob service CORS is per account): the name -> what its rules say.
ACCOUNTS = ("wbcorsok", "wbcorsorigin", "wbcorsother", "wbcorsnoetag", "wbcorsnone", "wbcorsnoput")
WANDB_ORIGIN = "https://wandb.sandbox.test"


def account_key(account: str) -> str:
    """A distinctive, stable key per account (base64 of 64 bytes, as Azure's are)."""
    return base64.b64encode(hashlib.sha512(f"wbinstall-sandbox-{account}".encode()).digest()).decode()


def wandb_cors_rules(origin: str = "*", *, methods: str = "GET,HEAD,PUT", exposed: str = "*") -> list:
    """The Blob service CORS rule W&B documents for Azure (portal: origins *, GET/HEAD/PUT, headers *,
    exposed headers *, max age 3000), as azure-storage-blob CorsRule objects."""
    from azure.storage.blob import CorsRule

    return [CorsRule([origin], methods.split(","), allowed_headers=["*"], exposed_headers=[exposed],
                     max_age_in_seconds=3000)]


def install() -> Path:
    """The azurite-blob executable, installing Azurite into the sandbox cache if needed."""
    prefix = subprocess.run(["bash", str(ROOT / "install-node-packages.sh")], check=True, capture_output=True,
                            text=True).stdout.strip().splitlines()[-1]
    return Path(prefix) / "node_modules" / ".bin" / "azurite-blob"


class SandboxAzurite:
    def __init__(self, directory: str | os.PathLike, accounts: tuple[str, ...] = ACCOUNTS):
        self.directory = Path(directory)
        self.accounts = accounts
        self.port = 0
        self._proc: ManagedProcess | None = None

    def start(self) -> SandboxAzurite:
        if shutil.which("node") is None:
            raise RuntimeError("Azurite needs Node.js >= 20 (apt-get install nodejs npm)")
        exe = install()
        self.port = free_port()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._proc = ManagedProcess(
            "azurite",
            [exe, "--blobHost", LOOPBACK, "--blobPort", self.port,
             "--inMemoryPersistence", "--disableTelemetry", "--skipApiVersionCheck", "--loose",
             "--disableProductStyleUrl", "--debug", self.directory / "azurite-debug.log"],
            env={"AZURITE_ACCOUNTS": ";".join(f"{a}:{account_key(a)}" for a in self.accounts)},
            log_path=self.directory / "azurite.log",
        ).start(ready=tcp_ready(LOOPBACK, self.port), timeout=60)
        return self

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.stop()
            self._proc = None

    def __enter__(self) -> SandboxAzurite:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- accounts --------------------------------------------------------------------------------

    def endpoint(self, account: str) -> str:
        return f"http://{LOOPBACK}:{self.port}/{account}"

    def account_key(self, account: str) -> str:
        return account_key(account)

    def service(self, account: str):
        from azure.storage.blob import BlobServiceClient

        return BlobServiceClient(self.endpoint(account),
                                 credential={"account_name": account, "account_key": account_key(account)})

    def create_container(self, account: str, name: str) -> str:
        from azure.core.exceptions import ResourceExistsError

        try:
            self.service(account).create_container(name)
        except ResourceExistsError:
            pass
        return name

    def set_cors(self, account: str, rules: list | None) -> None:
        """The account's Blob service CORS; None or [] removes every rule."""
        self.service(account).set_service_properties(cors=rules or [])

    def sas(self, account: str, container: str, permission: str = "racwdl", *, account_level: bool = False) -> str:
        """A SAS token (no leading ?): container-level by default, account-level (service + container +
        object resource types) when asked."""
        from datetime import datetime, timedelta, timezone

        from azure.storage.blob import (
            AccountSasPermissions, ContainerSasPermissions, ResourceTypes, generate_account_sas, generate_container_sas,
        )

        expiry = datetime.now(timezone.utc) + timedelta(hours=2)
        if account_level:
            return generate_account_sas(account, account_key(account), ResourceTypes(service=True, container=True,
                                                                                    object=True),
                                        AccountSasPermissions.from_string(permission), expiry)
        return generate_container_sas(account, container, account_key=account_key(account),
                                      permission=ContainerSasPermissions.from_string(permission), expiry=expiry)


def create_standard_accounts(az: SandboxAzurite, container: str = "wandb") -> dict[str, str]:
    """The CORS cases, each an account with `container`: case -> account."""
    from azure.storage.blob import CorsRule

    az.set_cors("wbcorsok", wandb_cors_rules())
    az.set_cors("wbcorsorigin", wandb_cors_rules(WANDB_ORIGIN))
    az.set_cors("wbcorsother", wandb_cors_rules("https://other.example.test"))
    az.set_cors("wbcorsnoetag", [CorsRule(["*"], ["GET", "HEAD", "PUT"], allowed_headers=["*"],
                                          exposed_headers=["x-ms-request-id"], max_age_in_seconds=3000)])
    az.set_cors("wbcorsnone", None)
    az.set_cors("wbcorsnoput", wandb_cors_rules(methods="GET,HEAD"))
    for account in az.accounts:
        az.create_container(account, container)
    return {"cors_ok": "wbcorsok", "cors_ok_origin": "wbcorsorigin", "other_origin": "wbcorsother",
            "no_expose_etag": "wbcorsnoetag", "no_cors": "wbcorsnone", "missing_put": "wbcorsnoput"}
