"""First imports take turns (wbinstall.libraries): the shape that deadlocked the probes (the
control shows it does deadlock without them)."""

from __future__ import annotations

import importlib
import sys
import threading
import time

from wbinstall import libraries
from wbinstall.session.runs import RunDone, Runs

WAIT = 20  # seconds: a bound on waiting, never a timing assertion

# The shape of the kubernetes deadlock: thread A imports the package (its spec is slow to
# find, as a first import is on a loaded machine), thread B imports a submodule meanwhile. B
# holds the submodule's lock while it waits for the package; A, executing the package,
# needs the submodule: CPython raises _DeadlockError in A.
PACKAGE, SUBMODULE = "wbx_slow_pkg", "wbx_slow_pkg.sub"


class _SlowToFind:
    """A finder that takes two seconds to look for the package (then leaves it to the others)."""

    def find_spec(self, name, path=None, target=None):
        if name == PACKAGE:
            time.sleep(2.0)
        return None


def _package(tmp_path, monkeypatch) -> None:
    (tmp_path / PACKAGE).mkdir()
    (tmp_path / PACKAGE / "__init__.py").write_text("from wbx_slow_pkg import sub\nVALUE = 'package'\n")
    (tmp_path / PACKAGE / "sub.py").write_text("VALUE = 'sub'\n")
    for name in (PACKAGE, SUBMODULE):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "meta_path", [_SlowToFind(), *sys.meta_path])


def _side_by_side(importer) -> list[BaseException]:
    """A imports the package; B, 0.3 s later, the submodule."""
    errors: list[BaseException] = []

    def work(name, after):
        time.sleep(after)
        try:
            importer(name)
        except BaseException as e:  # noqa: BLE001 - collected for the assertion
            errors.append(e)

    threads = [threading.Thread(target=work, args=(PACKAGE, 0.0)), threading.Thread(target=work, args=(SUBMODULE, 0.3))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert not any(t.is_alive() for t in threads), "an import never finished"
    return errors


def _import(name):
    importlib.import_module(name)


def test_the_shape_deadlocks_without_taking_turns(tmp_path, monkeypatch):
    """The control: it does fail, so the next test can."""
    _package(tmp_path, monkeypatch)
    errors = _side_by_side(_import)
    assert [type(e).__name__ for e in errors] == ["_DeadlockError"], errors


def test_load_makes_first_imports_take_turns(tmp_path, monkeypatch):
    _package(tmp_path, monkeypatch)

    def through_load(name):
        libraries.load([name])
        _import(name)  # what the probe does next: now a lookup in sys.modules

    assert _side_by_side(through_load) == []
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
