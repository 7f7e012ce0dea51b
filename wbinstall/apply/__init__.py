"""Apply the rendered install by server-side apply (core: no Textual; kubernetes loaded lazily).

    api = kube.connect_answers(answers, base_dir)
    k = Kube(api)
    with InstallLock(k, namespace):            # LockHeld names the other install's holder
        apply(k, manifests.render(...), on_applied=...)
"""

from wbinstall.apply.kube import Kube, KubeError, connect, connect_answers
from wbinstall.apply.lock import InstallLock, LockHeld
from wbinstall.apply.run import Applied, ApplyFailed, apply

__all__ = ["Applied", "ApplyFailed", "InstallLock", "Kube", "KubeError", "LockHeld", "apply", "connect",
           "connect_answers"]
