"""Kubernetes server versions as real distributions report them."""

import pytest

from wbinstall.checks.k8s.versions import KubeVersion, parse_fields, parse_git_version, parse_minimum, parse_server_version


@pytest.mark.parametrize(("git_version", "expected"), [
    ("v1.29.4-eks-036c24b", KubeVersion(1, 29, 4)),                  # EKS
    ("v1.30.2-gke.1587003", KubeVersion(1, 30, 2)),                  # GKE
    ("v1.29.7", KubeVersion(1, 29, 7)),                              # AKS: plain upstream
    ("v1.28.9+k3s1", KubeVersion(1, 28, 9)),                         # k3s
    ("v1.30.4+rke2r1", KubeVersion(1, 30, 4)),                       # RKE2
    ("v1.29.8+f10c92d", KubeVersion(1, 29, 8)),                      # OpenShift 4.16
    ("v1.27.16+03a907c", KubeVersion(1, 27, 16)),                    # OpenShift 4.14
    ("v1.31.0-rc.1", KubeVersion(1, 31, 0, "rc.1")),                 # upstream release candidate
    ("v1.32.0-alpha.3.1234+abcdef0123", KubeVersion(1, 32, 0, "alpha.3")),  # dev build
    ("v1.30.0-beta.0", KubeVersion(1, 30, 0, "beta.0")),
    ("v1.26.15-aliyun.1", KubeVersion(1, 26, 15)),                   # Alibaba ACK
    ("v1.30.0-tke.5", KubeVersion(1, 30, 0)),                        # Tencent TKE
    ("v1.29.10-gke.1227000", KubeVersion(1, 29, 10)),
    ("v1.35.4", KubeVersion(1, 35, 4)),                              # the sandbox
    ("1.29.4", KubeVersion(1, 29, 4)),                               # without the v
    ("v1.29", KubeVersion(1, 29)),                                   # a requirement's form
    ("  v1.30.1  ", KubeVersion(1, 30, 1)),
])
def test_git_version_of_distributions_parses(git_version, expected):
    assert parse_git_version(git_version) == expected


@pytest.mark.parametrize("git_version", [
    "v0.0.0-master+$Format:%H$",   # a source build without version stamping
    "", None, "unknown", "latest", "1", "vX.Y",
])
def test_strings_that_are_not_versions_give_none(git_version):
    assert parse_git_version(git_version) is None


@pytest.mark.parametrize(("major", "minor", "expected"), [
    ("1", "29", KubeVersion(1, 29)),
    ("1", "29+", KubeVersion(1, 29)),       # EKS and GKE have reported "29+"
    ("1", "30-gke", KubeVersion(1, 30)),
    ("", "", None),
    ("1", "", None),
    (None, None, None),
])
def test_major_minor_fields_parse(major, minor, expected):
    assert parse_fields(major, minor) == expected


def test_server_version_prefers_git_version_for_the_patch_level():
    assert parse_server_version("v1.29.4-eks-036c24b", "1", "29+") == KubeVersion(1, 29, 4)


def test_server_version_falls_back_to_the_fields_when_git_version_is_unstamped():
    assert parse_server_version("v0.0.0-master+$Format:%H$", "1", "29+") == KubeVersion(1, 29)


def test_minimum_is_major_minor():
    assert parse_minimum("1.29") == (1, 29)
    assert parse_minimum("v1.32") == (1, 32)


def test_minimum_rejects_garbage():
    with pytest.raises(ValueError):
        parse_minimum("twenty-nine")


@pytest.mark.parametrize(("text", "shown"), [
    (KubeVersion(1, 29, 4), "1.29.4"),
    (KubeVersion(1, 31, 0, "rc.1"), "1.31.0-rc.1"),
    (KubeVersion(1, 29), "1.29"),
])
def test_version_text(text, shown):
    assert str(text) == shown


def test_versions_order_by_minor_then_patch():
    assert KubeVersion(1, 28, 15) < KubeVersion(1, 29, 0) < KubeVersion(1, 29, 4) < KubeVersion(1, 30, 0)
    assert KubeVersion(1, 28, 15).minor_version < (1, 29) <= KubeVersion(1, 29, 0).minor_version
