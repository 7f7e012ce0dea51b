"""Wizard test setup: snapshots under the top-level snapshots/ folder, a clean environment.

pytest-textual-snapshot has no option for the folder; its snap_compare looks the extension
class up by module global on every call, so replacing it here is enough (see textual.md §2.3).
Caveat: with the folder outside tests/, run --snapshot-update on whole files or with -k only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_textual_snapshot as pts

SNAPSHOTS = Path(__file__).resolve().parents[2] / "snapshots"


class TopLevelSVG(pts.SVGImageExtension):
    @classmethod
    def dirname(cls, *, test_location):
        return str(SNAPSHOTS / "wizard" / test_location.basename)


pts.SVGImageExtension = TopLevelSVG


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    # Snapshots must not depend on the host: colour, theme, state, kubeconfig, secrets.
    for name in ("NO_COLOR", "TEXTUAL_THEME", "KUBECONFIG", "WB_TEST_LICENSE", "WB_TEST_MYSQL_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WBINSTALL_STATE_DIR", str(tmp_path / "state-from-env"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def state_dir(tmp_path) -> Path:
    path = tmp_path / "state"
    path.mkdir()
    return path
