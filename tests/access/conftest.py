"""One served bot per backend for every case of the role matrix (tests/access/matrix.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.access import matrix
from tests.slack.conftest import RunningBot
from tests.support.templates import Content, PostgresTemplates, SqliteTemplates


@pytest.fixture(scope="module")
def sqlite_bot(sqlite_templates: SqliteTemplates,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    url = sqlite_templates.copy(Content.MIGRATED, tmp_path_factory.mktemp("matrix") / "m.db")
    with matrix.matrix_bot(url) as bot:
        yield bot


@pytest.fixture(scope="module")
def postgres_bot(postgres_templates: PostgresTemplates) -> Iterator[RunningBot]:
    with matrix.matrix_bot(postgres_templates.copy(Content.MIGRATED)) as bot:
        yield bot
