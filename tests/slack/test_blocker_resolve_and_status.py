"""`/okr blocker resolve`, escaping of blockers everywhere, and the blockers and confidence in
`/okr status`, over signed HTTP on the AI example plan."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import yaml
from sqlalchemy import event, select

from bot.checkins import service as checkin_service
from bot.checkins.models import Blocker
from bot.okrs.method.enums import Source
from bot.okrs.store.models import Metric
from bot.people.models import Person, Workspace
from tests.conftest import TEAM_ID, sqlite_only
from tests.slack.blocker_cases import (
    DAY0,
    KWAME,
    LARS,
    MAYA,
    OLIVIA,
    OUTSIDER,
    PRIYA,
    ROOT,
    TOMAS,
    labels_in_order,
    on,
    shown,
    stored,
    within_limits,
)
from tests.slack.conftest import RunningBot


# -- resolving --------------------------------------------------------------------------------
def raise_on_tickets(bot: RunningBot) -> None:
    """B-1: raised by Kwame (who reports to Lars) on Priya's KPI (Priya reports to Maya)."""
    bot.slack.command("blocker add onboarding-tickets the ticket export is broken",
                      user_id=KWAME)


@pytest.mark.parametrize(("actor", "who"), [
    (KWAME, "its author"), (PRIYA, "the blocked KPI's owner"), (MAYA, "the owner's manager"),
    (LARS, "the author's manager"), (OLIVIA, "a workspace admin"),
])
def test_the_author_the_owner_their_managers_and_an_admin_may_resolve(
        planned: RunningBot, actor: str, who: str) -> None:
    raise_on_tickets(planned)
    if actor == OLIVIA:
        with planned.session_factory.begin() as session:
            session.scalars(select(Person).where(Person.slack_user_id == OLIVIA)).one() \
                .is_admin = True

    reply = planned.slack.command("blocker resolve B-1 export fixed <!channel>", user_id=actor)

    within_limits(reply)
    text = shown(reply)
    assert ":white_check_mark: Blocker *B-1* is resolved." in text, who
    assert f"Resolved by <@{actor}> just now · “export fixed &lt;!channel&gt;”" in text
    assert "<!channel>" not in reply.body
    blocker = stored(planned)[1]
    assert (blocker.resolved_by, blocker.resolution) == (actor, "export fixed <!channel>")
    assert blocker.resolved_at is not None


@pytest.mark.parametrize("actor", [OLIVIA, TOMAS, OUTSIDER])
def test_anyone_else_is_refused_told_who_may_and_nothing_changes(planned: RunningBot,
                                                                  actor: str) -> None:
    raise_on_tickets(planned)

    reply = planned.slack.command("blocker resolve 1", user_id=actor)

    within_limits(reply)
    assert ":no_entry: Only its author (<@U0AIML001>) or the owner of *Onboarding support " \
        "tickets per 100 new AI users* (<@U0AIUX001>), either one's manager or a workspace " \
        "admin can resolve *B-1*. Nothing changed." in shown(reply)
    assert stored(planned)[1].resolved_at is None
    assert "B-1" in labels_in_order(shown(planned.slack.command("blockers", user_id=actor)))


def test_resolving_twice_says_it_was_already_resolved_and_changes_nothing(
        planned: RunningBot) -> None:
    raise_on_tickets(planned)
    with on(DAY0):
        planned.slack.command("blocker resolve B-1 first", user_id=PRIYA)
    before = stored(planned)[1]

    with on(DAY0 + timedelta(days=2, hours=1)):
        reply = planned.slack.command("blocker resolve B-1 second", user_id=KWAME)

    within_limits(reply)
    assert "Blocker *B-1* was already resolved by <@U0AIUX001> 2 days ago. Nothing changed." \
        in shown(reply)
    after = stored(planned)[1]
    assert (after.resolved_by, after.resolved_at, after.resolution) == \
        (before.resolved_by, before.resolved_at, "first")


@sqlite_only  # wording or layout: the backend does not matter
@pytest.mark.parametrize(("args", "says"), [
    ("B-99", "There is no blocker B-99 in this workspace. /okr blockers lists the open ones."),
    ("abc", "“abc” is not a blocker number; expected: /okr blocker resolve &lt;number&gt; "
            "[note]"),
    ("", "which blocker?"),
])
def test_an_unknown_or_malformed_number_says_so(planned: RunningBot, args: str,
                                                says: str) -> None:
    raise_on_tickets(planned)
    reply = planned.slack.command(f"blocker resolve {args}".strip(), user_id=KWAME)
    within_limits(reply)
    assert says in shown(reply)
    assert stored(planned)[1].resolved_at is None


def test_another_workspaces_blockers_can_be_neither_seen_nor_resolved(
        planned: RunningBot) -> None:
    with planned.session_factory.begin() as session:
        other = Workspace(slack_team_id="T0OTHER")
        session.add(other)
        session.flush()
        for n in range(3):
            checkin_service.raise_blocker(db_session=session, workspace_id=other.id,
                                          author=KWAME, text=f"their secret {n}",
                                          source=Source.SLACK, now=DAY0)
    raise_on_tickets(planned)

    listed = shown(planned.slack.command("blockers", user_id=KWAME))
    third = planned.slack.command("blocker resolve B-3", user_id=KWAME)
    first = planned.slack.command("blocker resolve B-1", user_id=KWAME)

    assert "their secret" not in listed
    assert "There is no blocker B-3 in this workspace" in shown(third)
    assert "is resolved" in shown(first)
    with planned.session_factory() as session:
        theirs = session.scalars(select(Blocker).join(Workspace).where(
            Workspace.slack_team_id == "T0OTHER")).all()
    assert [b.resolved_at for b in theirs] == [None, None, None]
    assert stored(planned)[1].resolved_by == KWAME


@sqlite_only  # wording or layout: the backend does not matter
# -- escaping everywhere ------------------------------------------------------------------------
@pytest.mark.parametrize(("typed", "escaped"), [
    ("<!channel> hi", "&lt;!channel&gt; hi"),
    ("<https://evil.example|click> here", "&lt;https://evil.example|click&gt; here"),
])
def test_blocker_text_is_escaped_wherever_the_bot_shows_it(planned: RunningBot, typed: str,
                                                          escaped: str) -> None:
    raw = typed.split(" ")[0]
    replies = {
        "blocker add": planned.slack.command(f"blocker add first-week-activation {typed}",
                                             user_id=MAYA),
        "blockers": planned.slack.command("blockers", user_id=MAYA),
        "blockers mine": planned.slack.command("blockers mine", user_id=MAYA),
        "status": planned.slack.command("status onboarding", user_id=MAYA),
        "blocker resolve": planned.slack.command("blocker resolve 1", user_id=MAYA),
    }
    for surface, reply in replies.items():
        within_limits(reply)
        assert escaped in shown(reply), surface
        assert raw not in reply.body, surface


# -- /okr status ------------------------------------------------------------------------------
def record_confidence(bot: RunningBot, key: str, value: int, by: str, at: datetime) -> None:
    """As check-ins will: through the service, in a transaction of their own."""
    with bot.session_factory.begin() as session:
        metric = session.scalars(select(Metric).where(Metric.key == key)).one()
        checkin_service.record_confidence(db_session=session, metric=metric, confidence=value,
                                          reported_by=by, at=at, source=Source.CHECKIN)


def section_of(reply, starts: str) -> str:
    return next(b["text"]["text"] for b in reply.json["blocks"]
                if b["type"] == "section" and b["text"]["text"].startswith(starts))


def key_result(reply, name: str) -> str:
    """The section of one key result: its mark, then its name."""
    return next(b["text"]["text"] for b in reply.json["blocks"]
                if b["type"] == "section"
                and b["text"]["text"].partition(" ")[2].startswith(f"*{name}*"))


def test_status_shows_the_open_blockers_on_the_objective_and_its_work(
        planned: RunningBot) -> None:
    with on(DAY0):
        planned.slack.command("blocker add onboarding-tours design review slipped",
                              user_id=PRIYA)  # B-1: an activity driving the objective
        planned.slack.command("blocker add trial-drop-off no exit survey", user_id=MAYA)  # B-2
        planned.slack.command("blocker add answer-grounding quota", user_id=KWAME)  # B-3 other
        planned.slack.command("blocker add - the VPN", user_id=MAYA)  # B-4 general
        planned.slack.command("blocker add onboarding-completion tracking broke",
                              user_id=TOMAS)  # B-5: a KPI measuring it
        planned.slack.command("blocker resolve B-5", user_id=TOMAS)

    with on(DAY0 + timedelta(days=3, hours=1)):
        reply = planned.slack.command("status onboarding", user_id=MAYA)

    within_limits(reply)
    blockers = section_of(reply, "*Open blockers* (2)")
    assert labels_in_order(blockers) == ["B-2", "B-1"], "key result before activity"
    assert "*B-2* · open 3 days · raised by <@U0AIPM001>\non ⚪ Key result *Drop-off after " \
        "first AI feature trial* (`trial-drop-off`), owner <@U0AIPM001>\n>no exit survey" \
        in blockers
    assert "*B-1* · open 3 days · raised by <@U0AIUX001>\non " in blockers
    assert "Activity *Implement in-app onboarding tours for AI features* (`onboarding-tours`), " \
        "owner <@U0AIPM001>\n>design review slipped" in blockers
    text = shown(reply)
    assert "quota" not in text and "the VPN" not in text and "tracking broke" not in text
    order = [text.index(s) for s in ("*Customer effort score*", "*Open blockers* (2)",
                                     "*North Star:*")]
    assert order == sorted(order), "after the key results, before the chain"


def test_status_says_when_nothing_blocks_the_objective(planned: RunningBot) -> None:
    reply = planned.slack.command("status onboarding", user_id=MAYA)
    assert "No open blockers on this objective or the work under it." in shown(reply)


def test_status_shows_each_key_results_latest_confidence(planned: RunningBot) -> None:
    record_confidence(planned, "trial-drop-off", 4, MAYA, DAY0 - timedelta(days=7))
    record_confidence(planned, "trial-drop-off", 6, LARS, DAY0)
    record_confidence(planned, "first-week-activation", 7, MAYA, DAY0 + timedelta(days=1))
    record_confidence(planned, "ai-opt-out", 2, OLIVIA, DAY0)  # another objective's

    with on(DAY0 + timedelta(days=4, hours=1)):
        reply = planned.slack.command("status onboarding", user_id=MAYA)

    within_limits(reply)
    assert key_result(reply, "Drop-off after first AI feature trial").endswith(
        "\nConfidence *6/10* · <@U0AIVP001>, 4 days ago")
    assert key_result(reply, "First-week activation").endswith(
        "\nConfidence *7/10* · <@U0AIPM001>, 3 days ago")
    assert key_result(reply, "Customer effort score").endswith("\n_no confidence yet_")
    assert "2/10" not in shown(reply)


def test_status_reads_blockers_and_confidence_in_a_fixed_number_of_statements(
        planned: RunningBot) -> None:
    def statements_of_a_warm_status() -> int:
        planned.slack.command("status onboarding", user_id=MAYA)  # the chain is cached now
        sent: list[str] = []

        def count(_conn, _cursor, statement, *_args) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                sent.append(statement)

        event.listen(planned.runtime.engine, "before_cursor_execute", count)
        try:
            planned.slack.command("status onboarding", user_id=MAYA)
        finally:
            event.remove(planned.runtime.engine, "before_cursor_execute", count)
        return len(sent)

    few = statements_of_a_warm_status()
    with planned.session_factory.begin() as session:
        workspace_id = session.scalars(select(Workspace.id).where(
            Workspace.slack_team_id == TEAM_ID)).one()
        metrics = session.scalars(select(Metric).where(Metric.key.in_(
            ["trial-drop-off", "first-week-activation", "tutorial-completion"]))).all()
        for n in range(30):
            metric = metrics[n % 3]
            checkin_service.raise_blocker(db_session=session, workspace_id=workspace_id,
                                          author=MAYA, text=f"b{n}", source=Source.SLACK,
                                          now=DAY0, metric_id=metric.id)
            checkin_service.record_confidence(db_session=session, metric=metric,
                                              confidence=1 + n % 10, reported_by=MAYA,
                                              at=DAY0 + timedelta(hours=n),
                                              source=Source.CHECKIN)
    many = statements_of_a_warm_status()
    assert many == few
    # A read-only command looks up no request receipt (nothing is recorded for it).
    assert few <= 4, "the workspace, the chain's change log, the blockers, the confidences"


@sqlite_only  # wording or layout: the backend does not matter
# -- help and manifest ------------------------------------------------------------------------
def test_help_lists_blockers_and_blocker_with_examples(planned: RunningBot) -> None:
    text = shown(planned.slack.command("help", user_id=MAYA))
    assert "*`/okr blockers [mine | team] [page]`*" in text
    assert "Example: `/okr blockers team`" in text
    assert "*`/okr blocker add &lt;objective, key result, KPI or activity&gt; &lt;what blocks " \
        "it&gt; | /okr blocker resolve &lt;number&gt; [note]`*" in text
    assert "Example: `/okr blocker add onboarding-tours waiting on the design review`" in text
    assert {"blocker", "blockers"} <= {sub.name for sub in planned.runtime.router}


def test_the_manifest_usage_hint_names_the_blocker_forms() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    hint = manifest["features"]["slash_commands"][0]["usage_hint"]
    assert "blockers [mine | team]" in hint
    assert "blocker add <item> <text>" in hint
    assert "blocker resolve <number>" in hint


@sqlite_only  # wording or layout: the backend does not matter
@pytest.mark.parametrize("args", [
    "blocker add <!channel> hi", "blocker add answer<!here> x", "blocker <!channel>",
    "blocker resolve <!channel>", "blockers <!channel>", "update <!channel> 3",
    "status <!channel>", "team <!channel>",
])
def test_typed_text_said_back_is_escaped_in_the_notification_text_too(planned: RunningBot,
                                                                       args: str) -> None:
    reply = planned.slack.command(args, user_id=MAYA)
    within_limits(reply)
    assert "&lt;!" in reply.json["text"] + shown(reply), "the reply says back what was typed"
    assert "<!channel>" not in reply.body
    assert "<!here>" not in reply.body
