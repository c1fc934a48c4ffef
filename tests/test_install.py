"""Installs are reproducible (constraints.txt) and `make run` installs only what serving needs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def pins() -> dict[str, str]:
    found = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            found[canonicalize_name(name)] = version.strip()
    return found


def test_constraints_pin_every_dependency_within_its_range() -> None:
    pinned = pins()
    wanted = [*PYPROJECT["dependencies"], *PYPROJECT["optional-dependencies"]["dev"]]
    for requirement in map(Requirement, wanted):
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement.name} is not in constraints.txt (make constraints)"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"constraints.txt pins {name}=={pinned[name]}, outside {requirement}"
        )
    assert "pytest-xdist" in pinned and "pytest-timeout" in pinned
    assert "psycopg-binary" in pinned  # extras' packages are pinned too


def test_makefile_and_dockerfile_install_with_the_constraints() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installs = [i.strip() for i in re.findall(r"\$\(call INSTALL,([^)]*\)?)\)", makefile)]
    assert installs == ["-c constraints.txt -e .", '-c constraints.txt -e ".[dev]"']
    # Through uv when pip could install it, through pip otherwise: the same arguments.
    # uv compiles bytecode as pip does (every process would compile SQLAlchemy again where
    # PYTHONDONTWRITEBYTECODE is set), and so are okr-bot's modules before serving or testing.
    assert "$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python $(1)" in (
        makefile)
    assert "@$(call COMPILE,bot)" in makefile and "@$(call COMPILE,bot tests bench)" in makefile
    assert "else $(PIP) install $(1)" in makefile
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY pyproject.toml constraints.txt ./" in dockerfile
    assert "pip install --no-cache-dir -r /tmp/requirements.txt -c constraints.txt" in dockerfile


def make_plan(target: str, venv: Path) -> str:
    """What `make` would run for `target` against the virtualenv `venv` (nothing is run)."""
    result = subprocess.run(["make", "--dry-run", target, f"VENV={venv}"], cwd=ROOT,
                            capture_output=True, text=True, check=True)  # fmt: skip
    return result.stdout


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python").touch()  # a venv already made, newer than pyproject.toml
    return tmp_path


def test_run_installs_only_what_serving_needs(venv: Path) -> None:
    plan = make_plan("run", venv)
    assert "install --quiet --compile-bytecode --python" in plan
    assert "install -c constraints.txt -e .;" in plan
    assert "[dev]" not in plan
    assert "--quiet --quiet --disable-pip-version-check" in plan


def test_test_adds_the_dev_tools_after_run(venv: Path) -> None:
    (venv / ".installed-run").touch()
    assert "pip" not in make_plan("run", venv)
    assert 'install -c constraints.txt -e ".[dev]"' in make_plan("test", venv)


def test_run_after_test_installs_nothing(venv: Path) -> None:
    (venv / ".installed-run").touch()
    (venv / ".installed-dev").touch()
    assert "pip" not in make_plan("run", venv)
    assert "pip" not in make_plan("test", venv)


def test_a_changed_pin_reinstalls(venv: Path) -> None:
    (venv / ".installed-run").touch()
    stale = (ROOT / "constraints.txt").stat().st_mtime - 60
    os.utime(venv / ".installed-run", (stale, stale))
    assert "install -c constraints.txt -e ." in make_plan("run", venv)
