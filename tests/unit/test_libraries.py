"""First imports take turns (wbinstall.libraries): the shape that deadlocked the probes (the
control shows it does deadlock without them)."""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import threading
import time

from wbinstall import libraries
from wbinstall.session.runs import RunDone, Runs

WAIT = 20  # seconds: a bound on waiting, never a timing assertion

# The shape of the kubernetes deadlock: thread A starts importing the package, and before the
# package is in sys.modules (on a loaded machine, a first import is slow there), thread B
# imports a submodule: B takes the submodule's lock, sees no package, and waits for the
# package's lock. A, executing the package, needs the submodule's lock: CPython raises
# _DeadlockError in A.
PACKAGE, SUBMODULE = "wbx_slow_pkg", "wbx_slow_pkg.sub"


def _waiting(thread: threading.Thread) -> bool:
    """Whether the thread waits where the shape needs it: on the package's import lock (in
    importlib's _ModuleLock.acquire), or at the door of libraries.load."""
    frame = sys._current_frames().get(thread.ident)
    if frame is None:
        return False
    if frame.f_code.co_name == "acquire":
        return getattr(frame.f_locals.get("self"), "name", None) == PACKAGE
    return frame.f_code.co_name == "load" and frame.f_code.co_filename == libraries.__file__


class _SlowToCreate(importlib.machinery.SourceFileLoader):
    """The package's loader: it holds thread A in create_module (A has the package's lock, the
    package is not in sys.modules yet, and the global import lock is not held) until thread B
    waits. Events, not a head start: the order is the same on a loaded machine (a 0.3 s head
    start was not, in CI)."""

    def __init__(self, name, path, finder: _Finder):
        super().__init__(name, path)
        self.finder = finder

    def create_module(self, spec):
        if self.finder.creating.is_set():
            return None  # B, importing the package after A's import failed: no hold
        self.finder.creating.set()
        for _ in range(WAIT * 100):
            if self.finder.other is not None and _waiting(self.finder.other):
                break
            time.sleep(0.01)
        time.sleep(0.1)  # B, seen at load's door, is then inside the lock's wait
        return None  # the default module


class _Finder:
    """Finds the package (only), with the slow loader."""

    def __init__(self, directory):
        self.directory = directory
        self.creating = threading.Event()
        self.other: threading.Thread | None = None  # thread B, once started

    def find_spec(self, name, path=None, target=None):
        if name != PACKAGE:
            return None
        init = str(self.directory / "__init__.py")
        loader = _SlowToCreate(PACKAGE, init, self)
        return importlib.util.spec_from_file_location(PACKAGE, init, loader=loader, submodule_search_locations=[str(self.directory)])


def _package(tmp_path, monkeypatch) -> _Finder:
    directory = tmp_path / PACKAGE
    directory.mkdir()
    (directory / "__init__.py").write_text(f"from {PACKAGE} import sub\nVALUE = 'package'\n")
    (directory / "sub.py").write_text("VALUE = 'sub'\n")
    for name in (PACKAGE, SUBMODULE):
        monkeypatch.delitem(sys.modules, name, raising=False)
    finder = _Finder(directory)
    monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path])
    return finder


def _side_by_side(finder: _Finder, importer) -> list[BaseException]:
    """A imports the package; B, once A is creating it, the submodule."""
    errors: list[BaseException] = []

    def work(name, after: threading.Event | None):
        if after is not None:
            assert after.wait(WAIT)
        try:
            importer(name)
        except BaseException as e:  # noqa: BLE001 - collected for the assertion
            errors.append(e)

    a = threading.Thread(target=work, args=(PACKAGE, None))
    b = threading.Thread(target=work, args=(SUBMODULE, finder.creating))
    finder.other = b
    for t in (a, b):
        t.start()
    for t in (a, b):
        t.join(WAIT)
    assert not any(t.is_alive() for t in (a, b)), "an import never finished"
    return errors


def _import(name):
    importlib.import_module(name)


def test_the_shape_deadlocks_without_taking_turns(tmp_path, monkeypatch):
    """The control: it does fail, so the next test can."""
    errors = _side_by_side(_package(tmp_path, monkeypatch), _import)
    assert [type(e).__name__ for e in errors] == ["_DeadlockError"], errors


def test_load_makes_first_imports_take_turns(tmp_path, monkeypatch):
    finder = _package(tmp_path, monkeypatch)

    def through_load(name):
        libraries.load([name])
        _import(name)  # what the probe does next: now a lookup in sys.modules

    assert _side_by_side(finder, through_load) == []
    assert sys.modules[PACKAGE].VALUE == "package" and sys.modules[SUBMODULE].VALUE == "sub"


def test_a_library_that_is_missing_is_left_to_its_user():
    libraries.load(["wbx_no_such_library"])
    assert "wbx_no_such_library" not in sys.modules


def test_the_libraries_named_are_what_the_probes_declare():
    assert {"kubernetes", "pymysql", "dns.resolver"} <= set(libraries.first_use())


def test_a_background_run_has_them_loaded_before_its_work_starts(monkeypatch):
    monkeypatch.setattr(libraries, "first_use", lambda: ("wbx_loaded_by_run",))
    loaded = []
    monkeypatch.setattr(libraries, "load", lambda names: loaded.extend(names))
    seen = []
    done = threading.Event()
    runs = Runs(lambda run_id, event: done.set() if isinstance(event, RunDone) else None)
    runs.start(lambda emit, cancel: seen.append(list(loaded)))
    assert done.wait(WAIT)
    assert seen == [["wbx_loaded_by_run"]]
