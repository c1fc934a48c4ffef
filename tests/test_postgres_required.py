"""Without PostgreSQL binaries the PostgreSQL tests skip with a reason — unless CI requires them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.postgres import BIN_VARIABLE, REQUIRE_VARIABLE

ROOT = Path(__file__).resolve().parents[1]


def run_postgres_test(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != REQUIRE_VARIABLE}
    environment |= {BIN_VARIABLE: str(tmp_path)} | env  # an empty folder: no binaries
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
         "tests/test_migrations.py::test_upgrade_is_idempotent"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120, check=False)


def test_missing_binaries_skip_with_a_visible_reason(tmp_path: Path) -> None:
    result = run_postgres_test(tmp_path)
    assert result.returncode == 0, result.stdout
    assert "1 passed, 1 skipped" in result.stdout
    assert "no PostgreSQL binaries" in result.stdout


def test_missing_binaries_fail_when_postgres_is_required(tmp_path: Path) -> None:
    result = run_postgres_test(tmp_path, **{REQUIRE_VARIABLE: "1"})
    assert result.returncode == 1, result.stdout
    assert f"{REQUIRE_VARIABLE}=1 makes this a failure" in result.stdout
