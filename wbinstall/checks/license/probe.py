"""License probe: the license value the answers point at, read as a JWT. No network: the
value is already resolved (env/file) and the clock is the only other input."""

from __future__ import annotations

import datetime as dt

from wbinstall.checks.context import ProbeContext
from wbinstall.checks.license import token
from wbinstall.checks.license.facts import LicenseFacts


def gather(ctx: ProbeContext) -> LicenseFacts:
    return token.read(ctx.secrets.get(("license",)), dt.datetime.now(dt.timezone.utc))
