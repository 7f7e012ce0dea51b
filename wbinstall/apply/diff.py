"""Readable diffs between live objects and what an apply would make of them.

Noise the server owns (managedFields, status, resourceVersion, uid, timestamps, generation)
is dropped; Secret values are never shown: only whether each key would change.
"""

from __future__ import annotations

import base64
import copy
import difflib
from typing import Any

import yaml

Obj = dict[str, Any]
_META_NOISE = ("managedFields", "resourceVersion", "uid", "creationTimestamp", "generation",
               "selfLink", "deletionGracePeriodSeconds")
_ANNOTATION_NOISE = ("deployment.kubernetes.io/revision", "kubectl.kubernetes.io/last-applied-configuration")
REDACTED = "<redacted>"
REDACTED_CHANGED = "<redacted: changes>"


def clean(obj: Obj | None) -> Obj | None:
    if obj is None:
        return None
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta = out.get("metadata") or {}
    for key in _META_NOISE:
        meta.pop(key, None)
    annotations = meta.get("annotations") or {}
    for key in _ANNOTATION_NOISE:
        annotations.pop(key, None)
    if "annotations" in meta and not annotations:
        meta.pop("annotations")
    return out


def secret_values(obj: Obj | None) -> dict[str, bytes]:
    """A Secret's values (data and stringData) as bytes."""
    if not obj:
        return {}
    values = {k: base64.b64decode(v or "") for k, v in (obj.get("data") or {}).items()}
    values.update({k: (v or "").encode() for k, v in (obj.get("stringData") or {}).items()})
    return values


def redact_pair(live: Obj | None, desired: Obj | None) -> tuple[Obj | None, Obj | None]:
    """Secrets with every value replaced; a value that would change is marked as such."""
    if (desired or live or {}).get("kind") != "Secret":
        return live, desired
    old, new = secret_values(live), secret_values(desired)

    def redacted(obj: Obj | None, mine: dict[str, bytes], other: dict[str, bytes], marks: bool) -> Obj | None:
        if obj is None:
            return None
        obj = copy.deepcopy(obj)
        obj.pop("stringData", None)
        obj["data"] = {k: (REDACTED_CHANGED if marks and k in other and other[k] != v else REDACTED)
                       for k, v in sorted(mine.items())}
        return obj

    return redacted(live, old, new, False), redacted(desired, new, old, True)


def to_text(obj: Obj | None) -> list[str]:
    if obj is None:
        return []
    return yaml.safe_dump(obj, sort_keys=True, default_flow_style=False).splitlines(keepends=True)


def unified(label: str, live: Obj | None, desired: Obj | None) -> str:
    """A unified diff of the cleaned, redacted objects ('' when they are the same)."""
    live, desired = redact_pair(clean(live), clean(desired))
    lines = difflib.unified_diff(to_text(live), to_text(desired),
                                 fromfile=f"live/{label}" if live is not None else "/dev/null",
                                 tofile=f"applied/{label}")
    return "".join(lines)
