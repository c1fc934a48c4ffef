"""An example plan imported into the served bot's workspace, for tests that need one."""

from __future__ import annotations

from pathlib import Path

from bot.okrs.plans.files import load_plan
from bot.okrs.store.importer import import_plan
from tests.conftest import TEAM_ID
from tests.slack.conftest import RunningBot

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def import_example(bot: RunningBot, name: str = "b2b-saas.yml") -> RunningBot:
    plan = load_plan(EXAMPLES / name).plan
    with bot.session_factory.begin() as session:
        import_plan(db_session=session, plan=plan.model_copy(update={"workspace": TEAM_ID}))
    return bot
