"""Inlined kubeconfig credentials (`client-key-data`, `client-certificate-data`,
`certificate-authority-data`) kept in memory, never written to $TMPDIR.

The kubernetes library writes each into a `tempfile.mkstemp` file and removes them at exit,
so a process that is killed, or ends by a path that skips atexit, leaves the client's private
key behind in /tmp. Python's ssl module only loads a client certificate from a path, so a
path there must be: here it is an anonymous memory file (memfd_create) named through
/proc/self/fd. It has no name in any file system and goes with the process, however it ends.
"""

from __future__ import annotations

import os
import threading

_files: dict[bytes, str] = {}
_lock = threading.Lock()


def available() -> bool:
    return hasattr(os, "memfd_create") and os.path.isdir("/proc/self/fd")


def path_for(content: bytes | str) -> str:
    """A path that reads back `content`, valid while this process runs; one per distinct content."""
    data = content.encode() if isinstance(content, str) else bytes(content)
    with _lock:
        if data in _files:
            return _files[data]
        fd = os.memfd_create("wbinstall-kube-credential", os.MFD_CLOEXEC)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        _files[data] = path = f"/proc/self/fd/{fd}"
        return path


def install() -> None:
    """Make the kubernetes library's kubeconfig loader keep inlined credentials in memory."""
    if not available():
        return  # not Linux: the library's temp files (removed at exit) remain the fallback
    from kubernetes.config import kube_config

    def create(content, temp_file_path=None, force_recreate=False):  # the library's signature
        return path_for(content)

    kube_config._create_temp_file_with_content = create
