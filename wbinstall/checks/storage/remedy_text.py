"""Remedy helpers every provider shares: compact JSON for a terminal, W&B's CORS rule. Pure."""

from __future__ import annotations

import json
import re

from wbinstall.checks.storage.facts import CorsRule
from wbinstall.requirements import CorsReq


def to_json(document: object) -> str:
    """Indented JSON with short lists on one line, to fit a terminal and be pasted into a file."""
    text = json.dumps(document, indent=2)

    def one_line(m: re.Match[str]) -> str:
        line = "[" + ", ".join(item.strip() for item in m.group(1).split(",\n")) + "]"
        return line if len(line) <= 64 else m.group(0)

    return re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", one_line, text)


def cors_rule(host: str, req: CorsReq) -> CorsRule:
    """The rule W&B documents (requirements objectStorage.cors), for the user's own origin."""
    return CorsRule(allowed_origins=(f"https://{host}",), allowed_methods=req.allowed_methods,
                    allowed_headers=req.allowed_headers, expose_headers=req.expose_headers,
                    max_age_seconds=req.max_age_seconds)
