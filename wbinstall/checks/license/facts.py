"""What the license probe read: the license's shape and its expiry, never the license itself."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class LicenseFacts:
    now: dt.datetime  # UTC, read by the probe so that the judge never reads the clock
    present: bool  # a license value was given (the wizard may not have one yet)
    # Why it is not a JWT (three base64url parts, JSON header and payload), in words that quote
    # nothing of the license; "" when the shape is right.
    shape_problem: str = ""
    expires: dt.datetime | None = None  # from the payload's `exp` claim (not verified)
    expiry_problem: str = ""  # `exp` present but unusable (not a number, out of range)
