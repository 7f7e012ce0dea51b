"""Apply the rendered install by server-side apply, under the install lock (core: no Textual).

    k = Kube(kube.connect(answers, base_dir))
    with InstallLock(k, namespace):            # LockHeld names the other install's holder
        apply(k, manifests.render(...), on_applied=...)

The sequence around it (checks, lock, apply, rollout) is wbinstall.session's.
"""

from wbinstall.apply.lock import InstallLock, LockHeld
from wbinstall.apply.run import Applied, ApplyFailed, apply

__all__ = ["Applied", "ApplyFailed", "InstallLock", "LockHeld", "apply"]
