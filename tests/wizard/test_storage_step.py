"""The Object storage step shows only the chosen provider's fields, and the same live checks."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select

from tests.wizard.support import ANSWERS, FakeClock, loaded_answers, wizard
from tests.wizard.test_snapshots import at_step

S3 = "storage: {provider: s3, bucket: my-wandb-bucket, region: us-east-1}"
STORES = {
    "s3-compatible": "storage: {provider: s3-compatible, bucket: wandb, endpoint: 'https://minio.lab:9000', "
                     "accessKey: {env: MINIO_KEY}, secretKey: {env: MINIO_SECRET}}",
    "gcs": "storage: {provider: gcs, bucket: wandb-artifacts, serviceAccountKey: {file: gcs-key.json}}",
    "azure": "storage: {provider: azure, account: wandbstore, bucket: wandb, accountKey: {env: AZURE_KEY}}",
}
SHOWN = {
    "s3": {"storage-bucket", "storage-region", "storage-accessKey", "storage-secretKey"},
    "s3-compatible": {"storage-bucket", "storage-region", "storage-endpoint", "storage-accessKey", "storage-secretKey"},
    "gcs": {"storage-bucket", "storage-endpoint", "storage-serviceAccountKey"},
    "azure": {"storage-account", "storage-bucket", "storage-endpoint", "storage-accountKey", "storage-sasToken"},
}


def shown_fields(screen) -> set[str]:
    return {i.id for i in screen.query(Input) if i.id and not i.id.endswith("-value")
            and all(n.display for n in i.ancestors_with_self)}


@pytest.mark.parametrize("provider", STORES)
def test_each_provider_at_80x24(snap_compare, state_dir, provider):
    clock = FakeClock()
    app = wizard(state_dir, loaded=loaded_answers(ANSWERS.replace(S3, STORES[provider])), clock=clock)
    assert snap_compare(app, terminal_size=(80, 24), run_before=at_step("storage", clock))


async def test_switching_provider_shows_its_fields_and_drops_the_others_answers(state_dir):
    clock = FakeClock()
    app = wizard(state_dir, loaded=loaded_answers(), clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await at_step("storage", clock)(pilot)
        screen = app.screen
        assert shown_fields(screen) == SHOWN["s3"]
        for provider in ("azure", "gcs", "s3-compatible", "s3"):
            screen.query_one("#storage-provider", Select).value = provider
            await pilot.pause()
            assert shown_fields(screen) == SHOWN[provider], provider
            storage = app.state.get(("storage",))
            assert storage["provider"] == provider
            assert not {k for k in storage if f"storage-{k}" not in SHOWN[provider]} - {"provider"}, storage
        # back on S3, the region typed before is an answer again
        assert app.state.get(("storage", "region")) == "us-east-1"
