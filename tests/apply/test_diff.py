"""Dry-run diffs: server noise dropped, Secret values never shown."""

from __future__ import annotations

import base64

from wbinstall.apply.diff import REDACTED, REDACTED_CHANGED, clean, unified
from wbinstall.apply.run import prepare


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def live_secret(value: str) -> dict:
    return {"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "wandb-mysql", "namespace": "wandb", "uid": "u-1", "resourceVersion": "812",
                         "creationTimestamp": "2026-05-01T10:00:00Z",
                         "managedFields": [{"manager": "wbinstall", "operation": "Apply"}]},
            "type": "Opaque", "data": {"password": b64(value)}}


def test_clean_drops_what_the_server_owns():
    obj = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "x", "uid": "u", "resourceVersion": "1", "generation": 3, "managedFields": [],
                        "creationTimestamp": "t", "annotations": {"deployment.kubernetes.io/revision": "2"}},
           "spec": {"replicas": 1}, "status": {"replicas": 1}}
    assert clean(obj) == {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
                          "spec": {"replicas": 1}}
    assert obj["metadata"]["uid"] == "u"     # the input is not modified


def test_a_changed_secret_value_is_marked_never_shown():
    text = unified("Secret/wandb-mysql", live_secret("old-pass-1"), live_secret("new-pass-2"))
    assert f"+  password: '{REDACTED_CHANGED}'" in text
    assert f"-  password: {REDACTED}" in text
    assert "old-pass-1" not in text and "new-pass-2" not in text
    assert b64("old-pass-1") not in text and b64("new-pass-2") not in text


def test_an_unchanged_secret_has_no_diff():
    assert unified("Secret/wandb-mysql", live_secret("same"), live_secret("same")) == ""


def test_a_new_secret_from_string_data_is_redacted():
    desired = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "wandb-license"},
               "stringData": {"license": "lic-abc-123"}}
    text = unified("Secret/wandb-license", None, desired)
    assert text.startswith("--- /dev/null")
    assert "lic-abc-123" not in text and REDACTED in text


def test_prepare_sends_secrets_as_base64_data():
    body = prepare({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                    "stringData": {"k": "välue"}})
    assert body == {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": b64("välue")}}
