"""Rules that span fields, checked after the types are right. Pure: answers in, problems out."""

from __future__ import annotations

from pathlib import Path as FsPath

from wbinstall.answers.fields import Path, secret_paths
from wbinstall.answers.files import FileError, read_bytes, resolve
from wbinstall.answers.model import Answers


def _get(answers: Answers, path: Path) -> object:
    value: object = answers
    for part in path:
        value = getattr(value, _attr(value, part), None) if not isinstance(part, int) else value[part]  # type: ignore[index]
        if value is None:
            return None
    return value


def _attr(model: object, key: str | int) -> str:
    for name, info in type(model).model_fields.items():  # type: ignore[attr-defined]
        if (info.alias or name) == key:
            return name
    return str(key)


def cross_field(answers: Answers, base_dir: FsPath) -> list[tuple[Path, str, str]]:
    """(path, message, severity) for every rule the answers break."""
    found: list[tuple[Path, str, str]] = []

    def error(path: Path, message: str) -> None:
        found.append((path, message, "error"))

    def warning(path: Path, message: str) -> None:
        found.append((path, message, "warning"))

    _strict_skips(answers, error)
    storage = answers.storage
    if storage.provider == "s3-compatible":
        if not storage.endpoint:
            error(("storage", "endpoint"), "required when provider is s3-compatible (e.g. https://minio.example.com:9000)")
        if storage.access_key is None or storage.secret_key is None:
            error(("storage",), "accessKey and secretKey are required when provider is s3-compatible")
    elif storage.endpoint and storage.provider == "s3":
        error(("storage", "endpoint"), "only used when provider is s3-compatible, gcs or azure")
    if storage.provider == "s3" and not storage.region:
        error(("storage", "region"), "required when provider is s3 (the bucket's AWS region, e.g. us-east-1)")
    if storage.provider == "azure" and not storage.account:
        error(("storage", "account"), "required when provider is azure (the storage account name)")
    if storage.account and storage.provider != "azure":
        error(("storage", "account"), "only used when provider is azure")
    if storage.kms_key and storage.provider != "s3":
        error(("storage", "kmsKey"), "only used when provider is s3 (AWS KMS)")
    for key, attr, only in (("accessKey", "access_key", ("s3", "s3-compatible")),
                            ("secretKey", "secret_key", ("s3", "s3-compatible")),
                            ("accountKey", "account_key", ("azure",)), ("sasToken", "sas_token", ("azure",)),
                            ("serviceAccountKey", "service_account_key", ("gcs",))):
        if getattr(storage, attr) is not None and storage.provider not in only:
            error(("storage", key), f"only used when provider is {' or '.join(only)}")
    if storage.provider == "azure" and storage.account_key is None:
        warning(("storage", "accountKey"), "not set: the checks use the SAS token or DefaultAzureCredential, but "
                "W&B's chart reads the storage account key; without it W&B's pods need another way to the account")
    if storage.account_key is not None and storage.sas_token is not None:
        error(("storage", "sasToken"), "give either accountKey or sasToken, not both")
    if (storage.access_key is None) != (storage.secret_key is None):
        missing = "secretKey" if storage.secret_key is None else "accessKey"
        error(("storage", missing), "accessKey and secretKey go together: give both or neither")

    ingress = answers.ingress
    if (ingress.cert_file is None) != (ingress.key_file is None):
        missing = "keyFile" if ingress.key_file is None else "certFile"
        error(("ingress", missing), "certFile and keyFile go together: give both or neither")
    if ingress.tls_secret and ingress.cert_file:
        error(("ingress", "certFile"), "give either tlsSecret (an existing Secret) or certFile/keyFile, not both")
    for key, value, pem in (("certFile", ingress.cert_file, _CERT), ("keyFile", ingress.key_file, _KEY)):
        if value and (problem := _file_problem(value, base_dir, pem)):
            error(("ingress", key), problem)

    kubeconfig = answers.kubernetes.kubeconfig
    if kubeconfig and (problem := _file_problem(kubeconfig, base_dir)):
        error(("kubernetes", "kubeconfig"), problem)

    # CA files the checks read: refused now rather than when the check runs.
    for path, value in ((("mysql", "caFile"), answers.mysql.ca_file), (("checks", "tls", "caBundle"), answers.checks.tls.ca_bundle)):
        if value:
            problem = _file_problem(value, base_dir, _CERT)
            if problem:
                error(path, problem)

    if answers.operator.airgap.registry and not answers.operator.chart_version:
        error(("operator", "chartVersion"), "required for an air-gapped install (the operator-wandb chart version mirrored in your registry)")

    seen: set[str] = set()
    for i, skipped in enumerate(answers.checks.skip):
        if skipped.id in seen:
            error(("checks", "skip", i, "id"), f"'{skipped.id}' is skipped twice")
        seen.add(skipped.id)

    for path in secret_paths(Answers):
        ref = _get(answers, path)
        if ref is not None and ref.is_literal:  # type: ignore[attr-defined]
            warning(path, "a literal secret in the answers file; prefer {env: VARIABLE} or {file: PATH}")
    return found


_CERT = ("-----BEGIN CERTIFICATE-----", "PEM certificate (-----BEGIN CERTIFICATE-----)")
_KEY = ("PRIVATE KEY-----", "PEM private key (-----BEGIN ... PRIVATE KEY-----)")


def _file_problem(path: str, base_dir: FsPath, pem: tuple[str, str] | None = None) -> str | None:
    """Why the file cannot serve (unreadable, not a regular file, too large, not the PEM it must be)."""
    try:
        data = read_bytes(resolve(path, base_dir), shown=path)
    except FileError as exc:
        return str(exc)
    if pem and pem[0].encode() not in data:
        return f"{path} holds no {pem[1]}"
    if pem is _KEY and (b"ENCRYPTED PRIVATE KEY-----" in data or b"Proc-Type: 4,ENCRYPTED" in data):
        # An ingress reads the TLS Secret's key as is: it has no way to ask for a passphrase.
        return (f"{path} is encrypted (it needs a passphrase): the TLS Secret needs the key unencrypted, e.g. "
                f"openssl pkey -in {path} -out plain.key")
    return None


def _strict_skips(answers: Answers, error) -> None:
    """checks.skip may not skip a strict check, nor a check one needs (k8s.connect for
    k8s.version ...), unless the run was given --override-strict for it."""
    from wbinstall.checklist import needed_by, strict_ids

    overridden = set(answers.checks.strict_overrides)
    held = [i for i in strict_ids() if i not in overridden]
    for n, skip in enumerate(answers.checks.skip):
        if skip.id in held:
            error(("checks", "skip", n, "id"),
                  f"{skip.id} is a strict check (a hard requirement of W&B's reference architecture): it cannot be "
                  f"skipped. Fix what it reports; for a lab only, run with --override-strict {skip.id}")
        elif strict := [i for i in needed_by(skip.id) if i in held]:
            error(("checks", "skip", n, "id"),
                  f"{skip.id} cannot be skipped: the strict check(s) {', '.join(strict)} need it. For a lab only, "
                  f"run with --override-strict {','.join(strict)}")
