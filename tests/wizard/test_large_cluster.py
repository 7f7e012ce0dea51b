"""The wizard on a large cluster: the Sizing step groups 5,000 nodes into a few lines on one
80x24 screen, names the offenders, and Ctrl-T gives the checks more time (checks.timeout)."""

from __future__ import annotations

from tests.wizard.support import FakeClock, ScriptedChecks, fake_services, loaded_answers
from tests.wizard.test_snapshots import at_step, settle
from wbinstall.checks.k8s.capacity import NodeCapacity
from wbinstall.screens.app import make_app


def fleet() -> list[NodeCapacity]:
    """4,812 r6i.2xlarge, 150 m5.2xlarge (half the memory), 38 r6i.large: 5,000 nodes."""
    out = [NodeCapacity.parse(f"ip-10-1-{i // 250}-{i % 250}", "7910m", "63901308Ki", "r6i.2xlarge", "linux/amd64")
           for i in range(4812)]
    out += [NodeCapacity.parse(f"ip-10-2-0-{i}", "7910m", "31530172Ki", "m5.2xlarge", "linux/amd64") for i in range(150)]
    out += [NodeCapacity.parse(f"ip-10-3-0-{i}", "1930m", "15328316Ki", "r6i.large", "linux/amd64") for i in range(38)]
    return out


def big_wizard(state_dir, clock, nodes=None, checks=None):
    services = fake_services(checks or ScriptedChecks())
    services.list_nodes = lambda answers, secrets, base_dir: nodes if nodes is not None else fleet()
    return make_app(loaded_answers(), clock=clock, state_dir=state_dir, services=services, debounce=0.0)


def test_sizing_groups_5000_nodes_on_one_80x24_screen(snap_compare, state_dir):
    clock = FakeClock()
    assert snap_compare(big_wizard(state_dir, clock), terminal_size=(80, 24), run_before=at_step("sizing", clock))


def test_sizing_says_when_the_node_list_was_cut_short(snap_compare, state_dir):
    clock = FakeClock()
    note = "listed 3,500 nodes in 10 s, not all"
    app = big_wizard(state_dir, clock, nodes=(fleet()[:3500], note))
    assert snap_compare(app, terminal_size=(80, 24), run_before=at_step("sizing", clock))


async def test_sizing_text_is_a_few_grouped_lines_naming_the_offenders(state_dir):
    clock = FakeClock()
    app = big_wizard(state_dir, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await at_step("sizing", clock)(pilot)
        text = str(app.screen.query_one("#nodes").render())
    lines = text.splitlines()
    assert len(lines) <= 8
    assert "✘ 150 × m5.2xlarge: 7.91 CPU / 30.1 GiB  short 0.09 CPU, 33.9 GiB" in lines
    assert "    ip-10-2-0-0, ip-10-2-0-1, ip-10-2-0-2 and 147 more" in lines
    assert "✔ 4,812 × r6i.2xlarge: 7.91 CPU / 60.9 GiB  fits (within reserve)" in lines
    assert lines[-1] == "4,812 of 5,000 nodes meet the recommendation."


async def test_ctrl_t_doubles_checks_timeout_and_checks_again(state_dir):
    clock = FakeClock()
    checks = ScriptedChecks()
    app = big_wizard(state_dir, clock, checks=checks)
    async with app.run_test(size=(80, 24)) as pilot:
        await at_step("kubernetes", clock)(pilot)
        before = len(checks.calls)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert app.state.get(("checks", "timeout")) == 20
        assert len(checks.calls) == before + 1
        assert checks.calls[-1][1].checks.timeout == 20  # the answers the checks ran with
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert app.state.get(("checks", "timeout")) == 40
