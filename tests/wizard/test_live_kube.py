"""The Kubernetes and Sizing steps against the sandbox cluster, with the real engine and probes."""

from __future__ import annotations

from textual.widgets import Select

from tests.wizard.support import ANSWERS, FakeClock, loaded_answers
from tests.wizard.test_live_mysql import finished
from wbinstall.screens.app import make_app
from wbinstall.checklist import for_step

K8S_IDS = for_step("kubernetes")

pytest_plugins = ["sandbox.fixtures_kube"]


async def test_kubernetes_and_sizing_steps_read_the_real_cluster(sandbox_kube, state_dir):
    kubeconfig = str(sandbox_kube.admin_kubeconfig)
    text = ANSWERS.replace("kubernetes: {context: prod-eks, namespace: wandb}",
                           f"kubernetes: {{kubeconfig: '{kubeconfig}', namespace: wandb}}")
    text = text.replace("environment: production", "environment: test").replace("class: nginx, ", "")
    app = make_app(loaded_answers(text), clock=FakeClock(), state_dir=state_dir, debounce=0)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_step("kubernetes")
        await finished(pilot)
        assert {i: app.state.results[i].result.status for i in K8S_IDS} == {i: "pass" for i in K8S_IDS}
        # The context list comes from the user's kubeconfig.
        options = app.screen.query_one("#kubernetes-context", Select)._options
        assert any(value not in (None, Select.NULL) for _, value in options)

        app.push_step("sizing")
        await finished(pilot)
        for _ in range(100):
            nodes = str(app.screen.query_one("#nodes").render())
            if "reading the cluster" not in nodes:
                break
            await pilot.pause(0.1)
        assert "nodes meet the recommendation" in nodes, nodes
        assert app.state.results["k8s.capacity"].result.status in ("pass", "warn")
