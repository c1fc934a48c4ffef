"""Fixtures for the measurements API: a served okr-bot over real HTTP, a token made by the
CLI as an operator would, and a second workspace with a plan of its own."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.okrs.plans.files import load_plan
from bot.okrs.store.importer import import_plan
from bot.okrs.store.models import Measurement
from bot.serve import Runtime, build_runtime
from tests.conftest import TEAM_ID
from tests.support.cli import okr_bot
from tests.support.server import serving

ROOT = Path(__file__).resolve().parents[2]
OTHER_TEAM = "T0OTHER"
B2B_PLAN = ROOT / "examples" / "b2b-saas.yml"
TOKEN = re.compile(r"okr_[A-Za-z0-9_-]{20,}")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class Api:
    """okr-bot serving over real HTTP, and what a client needs to call its API."""

    url: str
    runtime: Runtime
    database_url: str

    @property
    def session_factory(self) -> sessionmaker[Session]:
        return self.runtime.session_factory

    def call(self, method: str, path: str, *, token: str | None = None, body: Any = None,
             raw: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        if data is not None:
            sent.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return Reply(response.status, _lower(response.headers), response.read().decode())
        except urllib.error.HTTPError as error:
            return Reply(error.code, _lower(error.headers), error.read().decode())

    def post(self, body: Any = None, **options: Any) -> Reply:
        return self.call("POST", "/api/v1/measurements", body=body, **options)

    def cli(self, *args: str, cwd: Path) -> Any:
        return okr_bot(*args, cwd=cwd, env={"DATABASE_URL": self.database_url})

    def new_token(self, tmp_path: Path, team_id: str = TEAM_ID, name: str = "warehouse") -> str:
        made = self.cli("api-token", "create", team_id, name, cwd=tmp_path)
        assert made.returncode == 0, made.stderr
        found = TOKEN.search(made.stdout)
        assert found, made.stdout
        return found.group(0)

    def measurements(self) -> int:
        with self.session_factory() as session:
            return session.scalar(select(func.count()).select_from(Measurement))


@pytest.fixture
def planned(settings: Settings, database_url: str) -> Iterator[Api]:
    """The AI example plan imported for TEAM_ID (tests/support/templates.py), served."""
    runtime = build_runtime(settings)
    with serving(runtime.web_app(with_scheduler=False, warm_chains=False)) as url:
        yield Api(url, runtime, database_url)


@pytest.fixture
def token(planned: Api, tmp_path: Path) -> str:
    return planned.new_token(tmp_path)


@pytest.fixture
def other_token(planned: Api, tmp_path: Path) -> str:
    """A token of another workspace, which holds the B2B example plan."""
    with planned.session_factory.begin() as session:
        plan = load_plan(B2B_PLAN).plan
        import_plan(db_session=session, plan=plan.model_copy(update={"workspace": OTHER_TEAM}))
    return planned.new_token(tmp_path, OTHER_TEAM, "other")


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}
