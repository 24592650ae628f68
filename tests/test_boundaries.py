"""Package boundaries: what each top-level package may import, checked in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Every module of the package is imported, then sys.modules is searched for the forbidden ones.
PROBE = """
import importlib, pkgutil, sys
package = importlib.import_module({package!r})
for info in pkgutil.walk_packages(package.__path__, {package!r} + "."):
    if info.name.split(".")[-1] in {skip!r}:
        continue
    importlib.import_module(info.name)
forbidden = {forbidden!r}
bad = sorted(m for m in sys.modules if m.split(".")[0] in forbidden)
assert not bad, bad
"""

RULES = [
    # The service a partner deploys: neither the demo nor the shim generator.
    ("backend", ("sample_app", "webview_shims"), ("env", "script.py")),
    # The generator runs on a developer's machine without the service.
    ("webview_shims", ("backend", "sample_app"), ()),
    # The emulator stands in for another company: it only talks to the kit over HTTP.
    ("sample_app.wise_emulator", ("backend", "webview_shims"), ()),
    # Acme Bank is a partner app: it uses the kit's API, never its code.
    ("sample_app.acme", ("backend", "webview_shims"), ()),
]


@pytest.mark.parametrize(("package", "forbidden", "skip"), RULES, ids=[r[0] for r in RULES])
def test_a_package_imports_nothing_it_must_not(
    package: str, forbidden: tuple[str, ...], skip: tuple[str, ...]
) -> None:
    code = PROBE.format(package=package, forbidden=set(forbidden), skip=set(skip))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_a_production_install_has_no_demo(tmp_path: Path) -> None:
    """The wheel holds the service and the generator; the demo command says how to get it."""
    import sysconfig
    import zipfile

    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheel_dir),
         str(ROOT)],
        check=True, capture_output=True, cwd=tmp_path,
    )  # fmt: skip
    (wheel,) = wheel_dir.glob("*.whl")
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {"backend", "webview_shims"} <= tops
    assert "sample_app" not in tops
    assert "tests" not in tops
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
         str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    # Only the installed wheel and the third-party packages: -S skips the .pth of this
    # checkout's editable install, and PYTHONSAFEPATH keeps the working folder off the path.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]]),
        "PYTHONSAFEPATH": "1",
    }
    code = "import sys; sys.argv = ['onboarding-kit', 'demo']; from backend.cli import main; main()"
    result = subprocess.run(
        [sys.executable, "-S", "-c", code],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "pip install -e '.[demo]'" in result.stderr
    assert "Traceback" not in result.stderr
