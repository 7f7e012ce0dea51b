"""Kubernetes server versions as distributions report them. Pure.

`/version` gives `gitVersion` (the full build string) and `major`/`minor` fields. Managed and
packaged distributions decorate gitVersion with their own build suffix — `v1.29.4-eks-036c24b`,
`v1.30.2-gke.1587003`, `v1.28.9+k3s1`, `v1.30.4+rke2r1`, OpenShift `v1.29.8+f10c92d` — and
some report minor as `"29+"`. Only `-alpha.N` / `-beta.N` / `-rc.N` mark an upstream pre-release.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_GIT_VERSION = re.compile(
    r"^v?(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<patch>\d+))?"
    r"(?:-(?P<pre>(?:alpha|beta|rc)(?:\.?\d+)?))?"
    r"(?P<build>[-+.].*)?$"
)
_FIELD = re.compile(r"^\s*(\d+)\D*$")  # "29", "29+", "29-gke"


@dataclass(frozen=True, order=True)
class KubeVersion:
    major: int
    minor: int
    patch: int | None = None
    # "rc.1", "beta.0": an upstream pre-release of major.minor.patch
    prerelease: str | None = None

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}"
        if self.patch is not None:
            text += f".{self.patch}"
        return text + (f"-{self.prerelease}" if self.prerelease else "")

    @property
    def minor_version(self) -> tuple[int, int]:
        return (self.major, self.minor)


def parse_git_version(text: str | None) -> KubeVersion | None:
    """`v1.29.4-eks-036c24b` -> 1.29.4; None when it is not a version (e.g. an unstamped
    source build's `v0.0.0-master+$Format:%H$`)."""
    m = _GIT_VERSION.match((text or "").strip())
    if not m:
        return None
    major, minor = int(m["major"]), int(m["minor"])
    if major == 0 and minor == 0:
        return None
    return KubeVersion(major, minor, int(m["patch"]) if m["patch"] else None, m["pre"])


def parse_fields(major: str | None, minor: str | None) -> KubeVersion | None:
    """The `major`/`minor` fields of /version; EKS and GKE have reported minor as `"29+"`."""
    ma, mi = _FIELD.match(major or ""), _FIELD.match(minor or "")
    if not (ma and mi):
        return None
    return KubeVersion(int(ma[1]), int(mi[1]))


def parse_server_version(git_version: str | None, major: str | None, minor: str | None) -> KubeVersion | None:
    """gitVersion when it parses (it carries the patch and pre-release), else major/minor."""
    return parse_git_version(git_version) or parse_fields(major, minor)


def parse_minimum(text: str) -> tuple[int, int]:
    """A requirement such as "1.29" -> (1, 29)."""
    version = parse_git_version(text)
    if version is None:
        raise ValueError(f"not a Kubernetes version: {text!r}")
    return version.minor_version
