"""Azure Blob Storage: error codes, Blob service CORS, remedies in `az` terms.

`storage.bucket` is the container; CORS belongs to the storage account's Blob service, not to
the container (Get/Set Blob Service Properties). Azure matches a CORS rule on the exact origin (or
`*`), the exact method and every requested header (exact, `*`, or a prefix ending in `*`, e.g.
x-ms-meta*); the first matching rule applies. W&B's uploads through a SAS URL send Content-Type
and x-ms-blob-type.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from wbinstall.checks.storage.facts import (
    BAD_CREDENTIALS, CLOCK_SKEW, DENIED, NO_SIGNER, NOT_FOUND, CorsRule, Failure, HttpExchange, StorageFacts,
)
from wbinstall.checks.storage.providers.base import Provider

if TYPE_CHECKING:
    from wbinstall.answers.model import StorageAnswers
    from wbinstall.checks.context import ProbeContext
    from wbinstall.checks.storage.client import BucketClient
    from wbinstall.requirements import CorsReq

DATA_ROLE = "Storage Blob Data Contributor"
# Get Blob Service Properties is an account-level operation: the account key, an account SAS with
# the service resource type, or (Entra ID) a role over the account.
SERVICE_ROLE = "Storage Account Contributor"


class Azure(Provider):
    name = "azure"
    label = "Azure Blob Storage"
    noun = "container"
    KINDS = {
        "AuthenticationFailed": BAD_CREDENTIALS,
        "InvalidAuthenticationInfo": BAD_CREDENTIALS,
        "NoAuthenticationInformation": BAD_CREDENTIALS,
        **dict.fromkeys(("AuthorizationFailure", "AuthorizationPermissionMismatch", "AuthorizationResourceTypeMismatch",
                         "AuthorizationServiceMismatch", "AuthorizationSourceIPMismatch",
                         "AuthorizationProtocolMismatch", "AccountIsDisabled", "KeyBasedAuthenticationNotPermitted",
                         "InsufficientAccountPermissions"), DENIED),
        **dict.fromkeys(("ContainerNotFound", "ContainerBeingDeleted"), NOT_FOUND),
    }
    STATUS_KINDS = {403: DENIED, 401: BAD_CREDENTIALS}
    UPLOAD_HEADERS = ("content-type", "x-ms-blob-type")
    WANDB_READS_CORS = False
    PERMISSIONS = {
        "HeadBucket": f"list blobs: Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read, SAS sp=l "
                      f"({DATA_ROLE})",
        "PutObject": f"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write, SAS sp=cw ({DATA_ROLE})",
        "GetObject": f"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read, SAS sp=r ({DATA_ROLE})",
        "DeleteObject": f"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete, SAS sp=d "
                        f"({DATA_ROLE})",
        "GetBucketCors": f"Get Blob Service Properties: account key, account SAS srt=s, or {SERVICE_ROLE}",
    }

    def kind(self, failure: Failure | None) -> str:
        kind = super().kind(failure)
        if failure is None:
            return kind
        # Azure names a skewed clock or an expired SAS AuthenticationFailed too; its message tells.
        if kind == BAD_CREDENTIALS and _clock(failure.message):
            return CLOCK_SKEW
        # A wrong key or SAS signature: Azure says AuthenticationFailed, Azurite AuthorizationFailure, both
        # with this message.
        if kind == DENIED and "failed to authenticate the request" in failure.message.lower():
            return BAD_CREDENTIALS
        return kind

    def cors_read_kind(self, failure: Failure) -> str:
        # The round trip worked with these credentials, so a refusal to authenticate the account-level
        # Get Blob Service Properties means they are not account-level (a container SAS): denied.
        kind = self.kind(failure)
        return DENIED if kind == BAD_CREDENTIALS else kind

    def client(self, ctx: ProbeContext) -> BucketClient:
        from wbinstall.checks.storage.providers.azure_client import AzureContainer

        s = ctx.answers.storage
        return AzureContainer(account=s.account or "", container=s.bucket, endpoint=s.endpoint,
                              account_key=ctx.secrets.get(("storage", "accountKey")),
                              sas_token=ctx.secrets.get(("storage", "sasToken")))

    # -- CORS semantics --------------------------------------------------------------------------

    def origin_allowed(self, rule: CorsRule, origin: str) -> bool:
        return any(o == "*" or o.lower() == origin.lower() for o in rule.allowed_origins)

    def method_allowed(self, rule: CorsRule, method: str) -> bool:
        return method.upper() in (m.upper() for m in rule.allowed_methods)

    def headers_allowed(self, rule: CorsRule, headers: Iterable[str]) -> bool:
        return all(any(_header_match(p, h) for p in rule.allowed_headers) for h in headers)

    def exposes(self, rule: CorsRule, header: str) -> bool:
        return any(_header_match(p, header) for p in rule.expose_headers)

    def expose_field(self) -> str:
        return "ExposedHeaders"

    def rules_owner(self, f: StorageFacts, s: StorageAnswers) -> str:
        return f"storage account {s.account} (Blob service)"

    def cors_rule_line(self, i: int, r: CorsRule) -> str:
        return super().cors_rule_line(i, r).replace("CORS rule", "Blob service CORS rule", 1)

    # -- texts -----------------------------------------------------------------------------------

    def no_credentials(self, s: StorageAnswers) -> tuple[str, str]:
        return ("no credentials: storage.accountKey / storage.sasToken are not set and DefaultAzureCredential "
                "found none",
                "Set storage.accountKey (the storage account's access key, as {env: VARIABLE} or {file: PATH}: "
                f"W&B itself is given it), or run the check where a managed or workload identity, AZURE_* "
                f"environment variables or `az login` give access to container {s.bucket} in account {s.account}.")

    def unreachable_fix(self, s: StorageAnswers) -> str:
        return (f"Check storage.account ({s.account}) and storage.endpoint: the Blob endpoint "
                f"({s.endpoint or f'https://{s.account}.blob.core.windows.net'}) must resolve and answer from here "
                "(with a private endpoint, the privatelink.blob.core.windows.net DNS zone)")

    def credentials_failure(self, failure: Failure, operation: str, kind: str, s: StorageAnswers) -> tuple[str, str]:
        if kind == CLOCK_SKEW:
            return (f"the storage account refused the request's time: {failure.message}",
                    "Synchronise this machine's clock (NTP); a SAS token must also be within its start (st=) and "
                    "expiry (se=) times.")
        if s.sas_token is not None:
            return (f"the storage account did not accept the SAS token ({failure.code})",
                    f"Check storage.sasToken (from {s.sas_token.describe()}): it must be signed for account "
                    f"{s.account}, not expired (se=), for the Blob service (ss=b or a container SAS) and whole "
                    "(copy it without a leading ? or a trailing newline).")
        if s.account_key is not None:
            return (f"the storage account did not accept the account key ({failure.code})",
                    f"Check storage.accountKey (from {s.account_key.describe()}): it must be key1 or key2 of "
                    f"account {s.account} (az storage account keys list --account-name {s.account}); watch for a "
                    "trailing newline.")
        return (f"the credentials were refused: {failure.describe()} ({operation})",
                "DefaultAzureCredential found an identity the storage account does not accept: check which one "
                "(AZURE_CLIENT_ID, the managed identity, az account show) and its tenant.")

    def not_found(self, f: StorageFacts, s: StorageAnswers) -> tuple[str, str]:
        return (f"container {s.bucket} does not exist in storage account {s.account}",
                f"Create it, or correct storage.bucket:\naz storage container create --name {s.bucket} "
                f"--account-name {s.account}{_auth(s)}")

    def grant(self, s: StorageAnswers, credentials: str) -> str:
        if s.sas_token is not None:
            return (f"A SAS token for W&B's use must grant read, add, create, write, delete and list (sp=racwdl) on "
                    f"container {s.bucket}; W&B itself is given the account key, which can do all of it.")
        scope = (f"/subscriptions/<subscription>/resourceGroups/<group>/providers/Microsoft.Storage/storageAccounts/"
                 f"{s.account}/blobServices/default/containers/{s.bucket}")
        return (f"Give the identity in use ({credentials}) the role {DATA_ROLE} on the container:\n"
                f"az role assignment create --role \"{DATA_ROLE}\" --assignee <principal-id> --scope {scope}")

    def remove_objects(self, s: StorageAnswers, keys: Iterable[str]) -> str:
        return "\n".join(f"az storage blob delete --account-name {s.account} --container-name {s.bucket} "
                         f"--name {key}{_auth(s)}" for key in keys)

    def signing_failure(self, failure: Failure, s: StorageAnswers) -> tuple[str, str]:
        if self.kind(failure) == NO_SIGNER or failure.kind == NO_SIGNER:
            return (f"could not sign SAS URLs: getting a user delegation key failed: {failure.describe()}",
                    "Without an account key, SAS URLs are signed with a user delegation key, which needs "
                    "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action (the role "
                    f"{DATA_ROLE} includes it) on account {s.account}. W&B itself signs with the account key "
                    "(storage.accountKey).")
        return f"could not create SAS URLs: {failure.describe()}", "Check storage.accountKey or storage.sasToken."

    def presign_remedy(self, label: str, x: HttpExchange, f: StorageFacts, s: StorageAnswers) -> str | None:
        kind = self.exchange_kind(x)
        if x.error_code == "AuthenticationFailed" or kind == BAD_CREDENTIALS:
            return ("The storage account refused the SAS signature: the key it was signed with is not the "
                    f"account's (storage.accountKey), the SAS has expired, or a proxy in front of {f.endpoint} "
                    "changes the path or the query string. Pass requests through unchanged.")
        if x.error_code == "MissingRequiredHeader" or (x.status == 400 and label == "PUT"):
            return ("A Put Blob through a SAS URL needs the header x-ms-blob-type: BlockBlob; a proxy in front of "
                    f"{f.endpoint} may drop it.")
        if kind == DENIED:
            return (f"The SAS must allow {'create and write (sp=cw)' if label == 'PUT' else 'read (sp=r)'} on "
                    f"container {s.bucket}, and the account's network rules (firewall, private endpoint) must let "
                    f"W&B's pods, training hosts and browsers through. {self.grant(s, f.credentials)}")
        return None

    def put_cors(self, s: StorageAnswers, host: str, req: CorsReq, existing: Iterable[CorsRule] = ()) -> str:
        methods = " ".join(req.allowed_methods)
        headers = " ".join(f"'{h}'" if h == "*" else h for h in req.allowed_headers)
        keep = [r for r in existing if r.allowed_origins]
        note = (f"\n(az storage cors add appends a rule and Azure applies the first one that matches: if one of the "
                f"account's {len(keep)} existing rule(s) matches https://{host} first, clear them with "
                f"`az storage cors clear --services b --account-name {s.account}` and add back what other apps "
                "need after W&B's.)" if keep else "")
        return (f"Blob CORS is a setting of storage account {s.account} (its Blob service), not of the container. "
                f"Add W&B's rule for https://{host} (--origins '*' works too):\n"
                f"az storage cors add --services b --methods {methods} --origins https://{host} "
                f"--allowed-headers {headers} --exposed-headers '*' --max-age {req.max_age_seconds} "
                f"--account-name {s.account}{_auth(s, key_only=True)}{note}")

    def cors_read_denied(self, s: StorageAnswers, credentials: str) -> str:
        return (f"Reading the Blob service's CORS rules needs account-level rights, which {credentials} lacks: the "
                "account key (storage.accountKey), an account SAS with the service resource type (srt=s, sp=r), or "
                f"for Entra ID the role {SERVICE_ROLE} on account {s.account}. W&B itself does not read them.")


def _header_match(pattern: str, header: str) -> bool:
    pattern, header = pattern.strip().lower(), header.strip().lower()
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return header.startswith(pattern[:-1])
    return pattern == header


def _clock(message: str) -> bool:
    text = message.lower()
    return "request date header too old" in text or "not valid at this time" in text or "signed expiry time" in text


def _auth(s: StorageAnswers, key_only: bool = False) -> str:
    """How the az CLI should authenticate, without ever writing a key on the command line."""
    if s.account_key is not None or key_only:
        return " --account-key \"$AZURE_STORAGE_KEY\""
    if s.sas_token is not None:
        return " --sas-token \"$AZURE_STORAGE_SAS_TOKEN\""
    return " --auth-mode login"


PROVIDER = Azure()
