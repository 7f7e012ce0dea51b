"""Server-side apply of the rendered install against the sandbox cluster: order, idempotence,
reruns after an interruption, dry runs, conflicts, and that nothing is ever deleted."""

from __future__ import annotations

import pytest

from tests.apply.support import kube_for, objects_for
from wbinstall.apply import ApplyFailed, apply
from wbinstall.kube import object_path
from wbinstall.apply.run import CREATED, UNCHANGED, WOULD_CHANGE, WOULD_CREATE, prepare

pytestmark = pytest.mark.usefixtures("cleanup_cluster_scoped")


def live_versions(kube, objects):
    """What wbinstall's writes would change: each object's spec generation (or, for kinds
    without one, its resourceVersion) and wbinstall's own managed-fields entry. Not the
    resourceVersion of kinds with a status: controllers bump it as the Deployment's pods turn
    ready, whatever wbinstall does."""
    def version(live):
        meta = live["metadata"]
        mine = [m for m in meta.get("managedFields", []) if m["manager"] == "wbinstall"]
        return meta.get("generation") or meta["resourceVersion"], repr(mine)

    return {(o["kind"], o["metadata"]["name"]): version(kube.get(object_path(o))) for o in objects}


def test_first_apply_creates_every_object_in_render_order(sandbox_kube, sandbox_kube_namespace):
    kube = kube_for(sandbox_kube)
    objects = objects_for(sandbox_kube, sandbox_kube_namespace)
    seen = []
    applied = apply(kube, objects, on_applied=seen.append)

    assert [(a.kind, a.name) for a in applied] == [(o["kind"], o["metadata"]["name"]) for o in objects]
    assert seen == applied
    # The namespace existed (the fixture made it): taken over, not created.
    assert {a.action for a in applied[1:]} == {CREATED}
    for o in objects:
        assert kube.get(object_path(o)) is not None, o["kind"]
    for o in (objects[1], objects[7], objects[-1]):   # CRD, controller, WeightsAndBiases
        live = kube.get(object_path(o))
        assert "wbinstall" in [m["manager"] for m in live["metadata"]["managedFields"]]


def test_second_run_reports_unchanged_and_writes_nothing(sandbox_kube, sandbox_kube_namespace):
    kube = kube_for(sandbox_kube)
    objects = objects_for(sandbox_kube, sandbox_kube_namespace)
    apply(kube, objects)
    before = live_versions(kube, objects)

    again = apply(kube, objects)

    assert [(a.kind, a.name, a.action) for a in again] == [
        (o["kind"], o["metadata"]["name"], UNCHANGED) for o in objects]
    assert live_versions(kube, objects) == before


@pytest.mark.parametrize("applied_before", [
    pytest.param(1, id="after-namespace"),
    pytest.param(2, id="after-crd"),
    pytest.param(8, id="after-controller"),
    pytest.param(10, id="after-secrets"),
])
def test_rerun_after_an_interruption_converges_without_duplicates(sandbox_kube, sandbox_kube_namespace,
                                                                  applied_before):
    kube = kube_for(sandbox_kube)
    objects = objects_for(sandbox_kube, sandbox_kube_namespace)
    assert [o["kind"] for o in objects][applied_before - 1] == \
        ["Namespace", "CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding",
         "Role", "RoleBinding", "Deployment", "Secret", "Secret", "WeightsAndBiases"][applied_before - 1]
    apply(kube, objects[:applied_before])            # the run that was killed

    rerun = apply(kube, objects)

    assert [a.action for a in rerun[:applied_before]] == [UNCHANGED] * applied_before
    assert [a.action for a in rerun[applied_before:]] == [CREATED] * (len(objects) - applied_before)
    ns = sandbox_kube_namespace
    crs = kube.list(f"/apis/apps.wandb.com/v1/namespaces/{ns}/weightsandbiases")["items"]
    deployments = kube.list(f"/apis/apps/v1/namespaces/{ns}/deployments")["items"]
    secrets = kube.list(f"/api/v1/namespaces/{ns}/secrets", labelSelector="app.kubernetes.io/managed-by=wbinstall")
    assert [c["metadata"]["name"] for c in crs] == ["wandb"]
    assert [d["metadata"]["name"] for d in deployments] == ["wandb-controller-manager"]
    assert sorted(s["metadata"]["name"] for s in secrets["items"]) == ["wandb-license", "wandb-mysql"]
    assert {a.action for a in apply(kube, objects)} == {UNCHANGED}


def test_dry_run_diffs_a_change_of_the_values_and_changes_nothing(sandbox_kube, sandbox_kube_namespace):
    kube = kube_for(sandbox_kube)
    apply(kube, objects_for(sandbox_kube, sandbox_kube_namespace))
    changed = objects_for(sandbox_kube, sandbox_kube_namespace, host="wandb2.sandbox.test")
    before = live_versions(kube, changed)

    result = apply(kube, changed, dry_run=True)

    by_kind = {a.kind: a for a in result}
    cr = by_kind["WeightsAndBiases"]
    assert cr.action == WOULD_CHANGE
    assert "-      host: https://wandb.sandbox.test" in cr.diff
    assert "+      host: https://wandb2.sandbox.test" in cr.diff
    assert "managedFields" not in cr.diff and "resourceVersion" not in cr.diff
    assert [a.kind for a in result if a.action != UNCHANGED] == ["WeightsAndBiases"]
    assert live_versions(kube, changed) == before
    live = kube.get(object_path(changed[-1]))
    assert live["spec"]["values"]["global"]["host"] == "https://wandb.sandbox.test"


def test_dry_run_redacts_secret_values_and_marks_the_changed_key(sandbox_kube, sandbox_kube_namespace):
    kube = kube_for(sandbox_kube)
    apply(kube, objects_for(sandbox_kube, sandbox_kube_namespace))
    changed = objects_for(sandbox_kube, sandbox_kube_namespace, secrets={"mysql.password": "n3w-s3cret-value"})

    result = {a.name: a for a in apply(kube, changed, dry_run=True)}

    mysql = result["wandb-mysql"]
    assert mysql.action == WOULD_CHANGE
    assert "+  password: '<redacted: changes>'" in mysql.diff
    assert "n3w-s3cret-value" not in mysql.diff and "test-mysql-password" not in mysql.diff
    assert result["wandb-license"].action == UNCHANGED


def test_dry_run_on_a_cluster_without_the_operator_shows_creations_only(sandbox_kube, sandbox_kube_namespace):
    kube = kube_for(sandbox_kube)
    objects = objects_for(sandbox_kube, sandbox_kube_namespace)

    result = apply(kube, objects, dry_run=True)

    assert [a.action for a in result] == [UNCHANGED] + [WOULD_CREATE] * (len(objects) - 1)
    cr = result[-1]
    assert cr.diff.startswith("--- /dev/null")
    assert "test-license-0001" not in "".join(a.diff for a in result)
    assert all(kube.get(object_path(o)) is None for o in objects[1:])


def test_a_field_another_manager_owns_is_not_taken_without_force(sandbox_kube, sandbox_kube_namespace):
    kube = kube_for(sandbox_kube)
    objects = objects_for(sandbox_kube, sandbox_kube_namespace)
    apply(kube, objects)
    controller = prepare(objects[7])
    # Someone scales the operator with their own apply (as `kubectl apply --server-side` would).
    theirs = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": controller["metadata"]["name"], "namespace": sandbox_kube_namespace},
              "spec": {"replicas": 2}}
    kube.request("PATCH", object_path(theirs), query=[("fieldManager", "someone"), ("force", "true")],
                 body=theirs, content_type="application/apply-patch+yaml")

    with pytest.raises(ApplyFailed) as failure:
        apply(kube, objects)
    assert "conflict" in str(failure.value) and "someone" in str(failure.value)
    assert "--force-conflicts" in str(failure.value)

    apply(kube, objects, force_conflicts=True)
    assert kube.get(object_path(controller))["spec"]["replicas"] == 1


def test_apply_never_deletes_anything(sandbox_kube, sandbox_kube_namespace):
    kube = kube_for(sandbox_kube)
    ns = sandbox_kube_namespace
    objects = objects_for(sandbox_kube, ns, storage={"accessKey": {"env": "X"}, "secretKey": {"env": "Y"}},
                          secrets={"storage.accessKey": "a", "storage.secretKey": "b"})
    apply(kube, objects)
    pvc = kube.create({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                       "metadata": {"name": "user-data", "namespace": ns},
                       "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})

    without_bucket_keys = objects_for(sandbox_kube, ns)
    apply(kube, without_bucket_keys)

    assert kube.get(f"/api/v1/namespaces/{ns}/secrets/wandb-bucket") is not None
    assert kube.get(f"/api/v1/namespaces/{ns}/persistentvolumeclaims/user-data")["metadata"]["uid"] == \
        pvc["metadata"]["uid"]
