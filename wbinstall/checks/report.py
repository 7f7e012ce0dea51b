"""Check results as text (plain lines, no colour unless asked), JSON or JUnit XML."""

from __future__ import annotations

import json
from collections import Counter
from xml.etree import ElementTree as ET

from wbinstall.checks.result import STATUSES, Result

LABELS = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "skip": "SKIP"}


def counts(results: list[Result]) -> dict[str, int]:
    c = Counter(r.status for r in results)
    return {s: c.get(s, 0) for s in STATUSES}


def text(results: list[Result]) -> str:
    width = max((len(r.id) for r in results), default=0)
    lines: list[str] = []
    for r in results:
        lines.append(f"{LABELS[r.status]}  {r.id:<{width}}  {r.summary}")
        pad = " " * (width + 8)
        lines += [f"{pad}seen: {e}" for e in r.evidence]
        if r.remedy and r.status in ("fail", "warn"):
            first, *rest = r.remedy.splitlines()
            lines.append(f"{pad}fix:  {first}")
            lines += [f"{pad}      {line}" for line in rest]
    c = counts(results)
    lines.append("")
    lines.append(", ".join(f"{c[s]} {w}" for s, w in (("pass", "passed"), ("warn", "warned"), ("fail", "failed"), ("skip", "skipped"))))
    return "\n".join(lines)


def to_json(results: list[Result]) -> str:
    return json.dumps({"results": [r.to_dict() for r in results], "counts": counts(results)}, indent=2)


def junit(results: list[Result]) -> str:
    c = counts(results)
    suite = ET.Element("testsuite", name="wbinstall.checks", tests=str(len(results)),
                       failures=str(c["fail"]), skipped=str(c["skip"]), errors="0")
    for r in results:
        area = r.id.split(".")[0]
        case = ET.SubElement(suite, "testcase", classname=f"wbinstall.{area}", name=r.id)
        detail = "\n".join([*(f"seen: {e}" for e in r.evidence), *([f"fix: {r.remedy}"] if r.remedy else [])])
        if r.status == "fail":
            ET.SubElement(case, "failure", message=r.summary).text = detail
        elif r.status == "skip":
            ET.SubElement(case, "skipped", message=r.summary)
        else:
            ET.SubElement(case, "system-out").text = f"{LABELS[r.status]}: {r.summary}" + (f"\n{detail}" if detail else "")
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode")
