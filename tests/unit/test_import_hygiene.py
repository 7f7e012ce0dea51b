"""The core never imports Textual; heavy SDKs load only when a probe needs them."""

import pkgutil
import subprocess
import sys

import pytest

import wbinstall

FACES = {"wbinstall.tui", "wbinstall.screens", "wbinstall.__main__"}
CORE = sorted(
    m.name for m in pkgutil.walk_packages(wbinstall.__path__, "wbinstall.")
    if not any(m.name == f or m.name.startswith(f + ".") for f in FACES)
    and not m.name.startswith("wbinstall.assets")
)


def imported_after(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    return set(out.stdout.split())


def test_there_are_core_modules_to_check():
    assert {"wbinstall.cli", "wbinstall.answers.model", "wbinstall.manifests.render", "wbinstall.sizing"} <= set(CORE)


@pytest.mark.parametrize("module", CORE)
def test_core_module_does_not_import_textual(module):
    assert not any(m == "textual" or m.startswith("textual.") for m in imported_after(module))


def test_the_cli_loads_no_heavy_sdk_at_start():
    loaded = imported_after("wbinstall.cli")
    assert not {"textual", "kubernetes", "boto3", "botocore", "pymysql", "dns", "cryptography"} & loaded


def test_the_cli_parser_loads_no_validation_library():
    # The wizard's first frame waits for this import: pydantic alone costs ~100 ms.
    assert "pydantic" not in imported_after("wbinstall.cli")
