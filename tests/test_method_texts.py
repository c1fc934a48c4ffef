"""What the method and the flows say never names a command: the command grammar (usages,
examples, how arguments split) lives at each surface, so a modal, a job or the CLI can show the
same error without telling the person to type `/okr …`."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SLASH_COMMAND = re.compile(r"(?<![\w./:-])/okr(?!-)\b")  # not https://okr-bot.dev/…
ROOT = Path(__file__).resolve().parents[1]
CORE = [ROOT / "bot" / "okrs", ROOT / "bot" / "checkins", ROOT / "bot" / "people",
        ROOT / "bot" / "errors.py"]


def texts_of(path: Path) -> list[tuple[int, str]]:
    """Every string constant in the module's code, docstrings aside."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings]


def modules() -> list[Path]:
    return [p for root in CORE for p in ([root] if root.is_file() else root.rglob("*.py"))]


def test_no_text_of_the_method_or_the_flows_names_a_slash_command() -> None:
    found = [f"{path.relative_to(ROOT)}:{line}: {text!r}" for path in modules()
             for line, text in texts_of(path) if SLASH_COMMAND.search(text)]
    assert found == []


def test_the_check_finds_a_command_where_there_is_one(tmp_path: Path) -> None:
    # Positive control: the same walk does see a command in a message (and not in a docstring).
    sample = tmp_path / "sample.py"
    sample.write_text('"""Talks about /okr."""\nMESSAGE = "use /okr update"\n', encoding="utf-8")
    assert [text for _, text in texts_of(sample) if SLASH_COMMAND.search(text)] == \
        ["use /okr update"]
