"""A larger cluster (300 kwok nodes of three shapes beside the sandbox's three) against the
real kube-apiserver: nodes read in pages, grouped and bounded text, every node in the JSON,
and a slow node list (a loopback proxy that throttles what the server sends) that never
fails k8s.connect."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from sandbox.kube import nodes as sandbox_nodes
from sandbox.kube.cluster import ADMIN_CONTEXT
from tests.checks.support import make_answers, make_secrets, probe_context, run_checks
from tests.checks.throttle import ThrottlingProxy
from wbinstall.checks import engine, report
from wbinstall.checks.k8s import probe

FLEET = 300
TOTAL = FLEET + 3  # the sandbox's own three r6i.xlarge nodes stay
NODE_CHECKS = ["k8s.connect", "k8s.arch", "k8s.capacity"]


@pytest.fixture(scope="module")
def fleet(sandbox_kube):
    sandbox_nodes.add_nodes(sandbox_kube.api, sandbox_nodes.fleet_specs(FLEET, prefix="t-fleet"))
    sandbox_nodes.wait_nodes_ready(sandbox_kube.api, TOTAL, timeout=120)
    yield sandbox_kube
    sandbox_kube.reset_nodes()


def answers_for(kubeconfig: Path | str, **more: Any):
    return make_answers(kubernetes={"kubeconfig": str(kubeconfig)}, workload="models", environment="production",
                        cloud="aws", **more)


def node_lists(api) -> int:
    """LIST requests for nodes the API server has answered so far (its own metrics)."""
    resp = api.call_api("/metrics", "GET", header_params={"Accept": "text/plain"}, auth_settings=["BearerToken"],
                        _preload_content=False, _return_http_data_only=True)
    total = 0
    for line in resp.data.decode().splitlines():
        if line.startswith("apiserver_request_total{") and 'resource="nodes"' in line and 'verb="LIST"' in line \
                and 'subresource=""' in line:
            total += int(float(line.rsplit(" ", 1)[1]))
    return total


# ----- paging ------------------------------------------------------------------------------

def test_nodes_are_read_in_pages_and_every_one_arrives(fleet):
    before = node_lists(fleet.api)
    listing = probe.gather_nodes(probe_context(answers_for(fleet.admin_kubeconfig)), page=100)
    requests = node_lists(fleet.api) - before
    assert listing.complete and listing.problem is None
    assert len(listing.items) == TOTAL and len({n.name for n in listing.items}) == TOTAL
    assert listing.pages == 4
    assert requests >= 4  # the server answered (at least) four LISTs: 100 + 100 + 100 + 3


def test_the_default_page_is_500_nodes(fleet):
    listing = probe.gather_nodes(probe_context(answers_for(fleet.admin_kubeconfig)))
    assert listing.pages == 1 and len(listing.items) == TOTAL
    assert probe.NODE_PAGE == 500


# ----- grouped, bounded text; every node in JSON ----------------------------------------

def test_text_report_groups_300_nodes_into_a_few_lines(fleet):
    results = run_checks(answers_for(fleet.admin_kubeconfig), only=NODE_CHECKS)
    arch, capacity = results["k8s.arch"], results["k8s.capacity"]
    assert arch.status == "pass" and arch.summary == f"all {TOTAL} schedulable nodes are linux/amd64"
    assert set(arch.evidence) == {"183 × r6i.xlarge linux/amd64", "90 × r6i.2xlarge linux/amd64",
                                  "30 × m5.xlarge linux/amd64"}
    assert capacity.status == "warn"
    assert capacity.summary.startswith(f"213 of {TOTAL} nodes are below the recommended 8 CPU / 64 GiB: ")
    assert capacity.evidence[1:] == (
        "183 × r6i.xlarge linux/amd64: 4 CPU / 32 GiB, short 4 CPU, 32 GiB: sandbox-node-0, sandbox-node-1, "
        "sandbox-node-2 and 180 more",
        "30 × m5.xlarge linux/amd64: 4 CPU / 16 GiB, short 4 CPU, 48 GiB: t-fleet-m5-xlarge-00000, "
        "t-fleet-m5-xlarge-00001, t-fleet-m5-xlarge-00002 and 27 more",
        "90 × r6i.2xlarge linux/amd64: 8 CPU / 64 GiB, meets it")
    text = report.text([results[i] for i in NODE_CHECKS])
    assert len(text.splitlines()) < 30, text


def test_json_report_keeps_every_node(fleet):
    results = run_checks(answers_for(fleet.admin_kubeconfig), only=NODE_CHECKS)
    out = json.loads(report.to_json([results[i] for i in NODE_CHECKS]))
    by_id = {r["id"]: r for r in out["results"]}
    assert len(by_id["k8s.arch"]["data"]["nodes"]) == TOTAL
    capacity = by_id["k8s.capacity"]["data"]["nodes"]
    assert len(capacity) == TOTAL
    assert {"name": "t-fleet-m5-xlarge-00029", "instanceType": "m5.xlarge", "platform": "linux/amd64", "cpu": 4.0,
            "memoryGiB": 16.0, "verdict": "short", "cpuShort": 4.0, "memoryShortGiB": 48.0} in capacity


# ----- a slow node list --------------------------------------------------------------------

@pytest.fixture
def slow_kubeconfig(fleet, tmp_path):
    """A kubeconfig whose server is a proxy sending 64 KB/s: /version and the identity review
    (a few KB with the TLS handshake) take well under a second; the node list (~1 MB) ~15 s."""
    host, port = re.match(r"https://([\d.]+):(\d+)", fleet.server).groups()
    proxy = ThrottlingProxy((host, int(port)), 64 * 1024).start()
    try:
        yield fleet.kubeconfig_for(tmp_path / "slow.yaml", {ADMIN_CONTEXT: (fleet.admin_user, "default")}, proxy.url)
    finally:
        proxy.stop()


def test_a_slow_node_list_never_fails_connect_and_says_how_to_allow_more_time(slow_kubeconfig):
    results = run_checks(answers_for(slow_kubeconfig), only=NODE_CHECKS, timeout=3)
    assert results["k8s.connect"].status == "pass"
    for cid in ("k8s.arch", "k8s.capacity"):
        r = results[cid]
        assert r.status == "warn", (cid, r)
        assert re.match(r"listed \d+ nodes in 3\.\d s, not all", r.summary), r.summary
        assert (r.remedy or "").startswith("Allow more time with --timeout SECONDS: ")


def test_the_wizard_names_its_own_way_to_more_time(slow_kubeconfig):
    from wbinstall.screens import services

    answers = answers_for(slow_kubeconfig, checks={"timeout": 3})
    got: list = []
    services.run_checks(answers, make_secrets(), Path.cwd(), NODE_CHECKS, got.append)
    by_id = {r.id: r for r in got}
    assert by_id["k8s.connect"].status == "pass"
    assert by_id["k8s.arch"].status == "warn"
    assert (by_id["k8s.arch"].remedy or "").startswith(f"Allow more time with {services.MORE_TIME}: ")
    assert "--timeout" not in (by_id["k8s.arch"].remedy or "")


def test_sizing_reads_the_slow_list_and_notes_it_was_cut_short(slow_kubeconfig):
    from wbinstall.screens import services

    seen = services.list_nodes(answers_for(slow_kubeconfig, checks={"timeout": 3}), make_secrets(), Path.cwd())
    assert isinstance(seen, tuple), seen
    nodes, note = seen
    assert re.fullmatch(r"listed \d+ nodes in 3 s, not all", note), note
