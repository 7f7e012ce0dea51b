"""Object storage: provider, bucket, region or endpoint, credentials; live storage.* checks."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Select

from wbinstall.choices import CLOUD_PROVIDER, PROVIDER_NAMES
from wbinstall.screens.base import StepScreen
from wbinstall.screens.widgets.fields import Row, field, secret_field

PROVIDERS = tuple((name, p) for p, name in PROVIDER_NAMES.items())


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
        yield field("Bucket", "storage.bucket", get("bucket"), placeholder="my-wandb-bucket")
        yield field("Region", "storage.region", get("region"), placeholder="us-east-1")
        yield field("Endpoint", "storage.endpoint", get("endpoint"), placeholder="(S3-compatible only) https://host:port")
        yield field("Account", "storage.account", get("account"), placeholder="(Azure only) storage account name")
        yield secret_field("Access key", "storage.accessKey", get("accessKey"), "WANDB_S3_ACCESS_KEY")
        yield secret_field("Secret key", "storage.secretKey", get("secretKey"), "WANDB_S3_SECRET_KEY")

    def on_select_changed(self, event: Select.Changed) -> None:
        if self.state.get(("storage", "provider")) == event.value:
            return
        self.state.set(("storage", "provider"), event.value)
        self.answers_changed()
