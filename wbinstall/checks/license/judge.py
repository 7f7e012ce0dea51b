"""Judge license.valid: a JWT, not expired, not about to. Pure; shows only the expiry date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from wbinstall.checks.context import CheckInputs
from wbinstall.checks.durations import days_or_hours as _days
from wbinstall.checks.license.facts import LicenseFacts
from wbinstall.checks.result import Result, failed, passed, warned

CHECK_ID = "license.valid"

_NEW_LICENSE = ("Get a current license from W&B (your account team, or the deploy page), store it where "
                "the answers' license points ({where}) and run the checks again.")


def license_valid(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    f: LicenseFacts = facts["license"]
    where = inputs.answers.license.describe()
    if not f.present:
        return failed(CHECK_ID, "no license value to check", f"license from {where}",
                      remedy=f"Give the W&B license: {where} must hold it.")
    if f.shape_problem:
        return failed(CHECK_ID, f"the license is not a W&B license (a JWT): {f.shape_problem}", f"license from {where}",
                      remedy="Copy the whole license as W&B sent it: one line, three parts separated by '.'. "
                             + _NEW_LICENSE.format(where=where))
    if f.expires is None:
        return warned(CHECK_ID, f"the license is a JWT, but {f.expiry_problem}: its expiry cannot be checked",
                      f"license from {where}",
                      remedy="Check the license's term with W&B; the operator will refuse an expired license.")
    warn_days = inputs.requirements.license.expiry_warning_days
    left = f.expires - f.now
    evidence = (f"expires: {_date(f.expires)} (read from the license, signature not verified)", f"license from {where}")
    if left <= dt.timedelta(0):
        return failed(CHECK_ID, f"the license expired on {_date(f.expires)}, {_days(-left)} ago", *evidence,
                      remedy=_NEW_LICENSE.format(where=where))
    if left < dt.timedelta(days=warn_days):
        return warned(CHECK_ID, f"the license expires on {_date(f.expires)}, in {_days(left)}", *evidence,
                      remedy=f"Renew the license with W&B before {_date(f.expires)} (warning from {warn_days} "
                             f"days before expiry), then update {where}.")
    return passed(CHECK_ID, f"the license expires on {_date(f.expires)} (in {_days(left)})", *evidence)


def _date(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%d")
