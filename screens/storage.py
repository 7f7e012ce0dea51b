"""Object storage: provider, then only that provider's fields; live storage.* checks on all four."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Label, Select

from wbinstall.choices import CLOUD_PROVIDER, PROVIDER_NAMES
from wbinstall.screens.base import StepScreen
from wbinstall.screens.widgets.fields import AnswerInput, Row, SecretRefInput, SecretValueInput, field, secret_field

PROVIDERS = tuple((name, p) for p, name in PROVIDER_NAMES.items())
S3_LIKE, ALL = {"s3", "s3-compatible"}, set(PROVIDER_NAMES)

# key under storage -> (label, placeholder, the providers that use it); secrets name an env hint.
FIELDS = {
    "account": ("Account", "storage account name", {"azure"}),
    "bucket": ("Bucket", "my-wandb-bucket", ALL),
    "region": ("Region", "us-east-1", S3_LIKE),
    "endpoint": ("Endpoint", "https://host:port", {"s3-compatible", "gcs", "azure"}),
}
SECRETS = {
    "accessKey": ("Access key", "WANDB_S3_ACCESS_KEY", S3_LIKE),
    "secretKey": ("Secret key", "WANDB_S3_SECRET_KEY", S3_LIKE),
    "accountKey": ("Account key", "WANDB_AZURE_ACCOUNT_KEY", {"azure"}),
    "sasToken": ("SAS token", "WANDB_AZURE_SAS_TOKEN", {"azure"}),
    "serviceAccountKey": ("SA key file", "WANDB_GCS_KEY", {"gcs"}),
}
_OPTIONAL_ENDPOINT = {"gcs": "(optional) https://storage.googleapis.com",
                      "azure": "(optional) https://<account>.blob.core.windows.net"}


class StorageScreen(StepScreen):
    STEP, HEADING = "storage", "Object storage"
    INTRO = "The bucket W&B keeps artifacts and files in. Keys empty: the cloud's default credentials."
    OWNS = (("storage",),)
    NEEDS = (("storage", "provider"), ("storage", "bucket"))

    def compose_form(self) -> ComposeResult:
        get = lambda name: self.state.get(("storage", name))  # noqa: E731
        provider = get("provider") or CLOUD_PROVIDER[self.state.get(("cloud",)) or "other"]
        self.state.set(("storage", "provider"), provider)
        yield Row("Provider", Select(PROVIDERS, value=provider, allow_blank=False, id="storage-provider", compact=True))
        for key, (label, placeholder, _) in FIELDS.items():
            yield field(label, f"storage.{key}", get(key), placeholder=placeholder)
        for key, (label, env, _) in SECRETS.items():
            yield secret_field(label, f"storage.{key}", get(key), env)

    def on_mount(self) -> None:
        self._show_fields(self.state.get(("storage", "provider")))

    def on_select_changed(self, event: Select.Changed) -> None:
        if self.state.get(("storage", "provider")) == event.value:
            return
        self.state.set(("storage", "provider"), event.value)
        self._show_fields(str(event.value))
        self.answers_changed()

    def _show_fields(self, provider: str) -> None:
        """Only the chosen provider's fields: hidden ones leave the answers (their text stays in
        the field, and comes back if the provider does)."""
        used = {k for k, (*_, providers) in (FIELDS | SECRETS).items() if provider in providers}
        for inp in self.query(AnswerInput):
            shown = inp.key[-1] in used
            inp.parent.display = shown
            if not shown:
                self.state.set(inp.key, None)
            elif self.state.get(inp.key) is None and inp.value.strip():
                value = inp.reference() if isinstance(inp, SecretRefInput) else inp.value
                if not isinstance(inp, SecretRefInput) or isinstance(value, dict):
                    self.state.set(inp.key, value)
        for inp in self.query(SecretValueInput):
            if inp.key[-1] not in used:
                self.state.typed.pop(inp.key, None)
            elif inp.value:
                self.state.typed[inp.key] = inp.value
        bucket = self.query_one("#storage-bucket", AnswerInput)
        bucket.parent.query_one(Label).update("Container" if provider == "azure" else "Bucket")
        endpoint = self.query_one("#storage-endpoint", AnswerInput)
        endpoint.placeholder = _OPTIONAL_ENDPOINT.get(provider, "https://host:port")
