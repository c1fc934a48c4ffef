"""The fake Slack's rate limits, time-outs and message history, as the outbox relies on."""

from __future__ import annotations

import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakes import FakeSlack
from tests.fakes.payloads import BOT_TOKEN


def test_above_its_rate_a_method_answers_429_with_retry_after(
        fake: FakeSlack, client: WebClient) -> None:
    fake.rate_limits.limit("chat.postMessage", 3)
    for n in range(3):
        client.chat_postMessage(channel="C1", text=f"within {n}")
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C1", text="over")
    assert refused.value.response.status_code == 429
    assert refused.value.response.headers["Retry-After"] == "1"
    assert fake.rate_limits.refused["chat.postMessage"] == 1
    assert [m["text"] for m in fake.workspace.messages["C1"]] == [f"within {n}" for n in range(3)]
    time.sleep(1.05)  # the window moves on
    assert client.chat_postMessage(channel="C1", text="later")["ok"]
    client.users_info(user="U0ALICE")  # other methods are not limited


def test_a_per_channel_rate_counts_each_channel_apart(fake: FakeSlack,
                                                      client: WebClient) -> None:
    fake.rate_limits.limit("chat.postMessage", 1, per_channel=True)
    client.chat_postMessage(channel="C1", text="one")
    client.chat_postMessage(channel="C2", text="one")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="two")


@pytest.mark.parametrize("delivered", [True, False])
def test_a_timed_out_call_is_answered_late_after_acting_or_not(
        fake: FakeSlack, delivered: bool) -> None:
    impatient = WebClient(token=BOT_TOKEN, base_url=fake.base_url, timeout=0.2,
                          retry_handlers=[])
    fake.time_out_next("chat.postMessage", seconds=0.6, delivered=delivered)
    with pytest.raises(TimeoutError):
        impatient.chat_postMessage(channel="C1", text="hello")
    [call] = fake.wait_for("chat.postMessage", timeout=3)
    assert call.injected == ("timeout (delivered)" if delivered else "timeout")
    assert len(fake.workspace.messages.get("C1", [])) == (1 if delivered else 0)
    assert impatient.chat_postMessage(channel="C1", text="again")["ok"]  # only the next one


def test_history_returns_messages_newest_first_with_metadata_when_asked(
        fake: FakeSlack, client: WebClient) -> None:
    metadata = {"event_type": "okr_bot_outbox", "event_payload": {"outbox_id": 7}}
    first = client.chat_postMessage(channel="U0ALICE", text="first", metadata=metadata)
    second = client.chat_postMessage(channel="DALICE", text="second")
    assert first["channel"] == "D0ALICE" and float(second["ts"]) > float(first["ts"])
    assert float(first["ts"]) == pytest.approx(time.time(), abs=5)  # ts is the posting instant
    history = client.conversations_history(channel="D0ALICE", include_all_metadata=True)
    assert [m["text"] for m in history["messages"]] == ["first"]
    assert history["messages"][0]["metadata"] == metadata
    plain = client.conversations_history(channel="D0ALICE")
    assert "metadata" not in plain["messages"][0]
    after = client.conversations_history(channel="D0ALICE", oldest=first["ts"])
    assert after["messages"] == []  # `oldest` is exclusive, as Slack's


def test_a_thread_keeps_its_replies_out_of_the_channels_history(client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C0TEAM", text="the digest")
    metadata = {"event_type": "okr_bot_outbox", "event_payload": {"outbox_id": 9}}
    reply = client.chat_postMessage(channel="C0TEAM", text="the detail",
                                    thread_ts=parent["ts"], metadata=metadata)
    assert [m["text"] for m in client.conversations_history(channel="C0TEAM")["messages"]] == \
        ["the digest"]
    thread = client.conversations_replies(channel="C0TEAM", ts=parent["ts"],
                                          include_all_metadata=True)["messages"]
    assert [(m["text"], m.get("thread_ts")) for m in thread] == [
        ("the digest", None), ("the detail", parent["ts"])]
    assert thread[1]["metadata"] == metadata and thread[1]["ts"] == reply["ts"]
    with pytest.raises(SlackApiError, match="thread_not_found"):
        client.chat_postMessage(channel="C0TEAM", text="lost", thread_ts="1.000001")
