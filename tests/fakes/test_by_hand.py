"""The fake run by hand (`make fake-slack`): it prints each call and each problem."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakes.payloads import BOT_TOKEN
from tests.support.lines import Lines

PROJECT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.usefixtures("no_threads_left_behind")


def test_runs_by_hand_and_prints_each_call() -> None:
    command = [sys.executable, "-m", "tests.fakes.slack_api", "--port", "0"]
    proc = subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    lines = Lines(proc.stdout)
    try:
        banner, source = lines.next(), lines.next()
        base_url = banner.split(" at ")[1].split()[0]
        assert source.startswith("Web API calls are checked against "), source
        client = WebClient(token=BOT_TOKEN, base_url=base_url)
        with pytest.raises(SlackApiError):
            client.chat_postMessage(channel="C1", text="hi", colour="red")
        call_line, problem_line = lines.next(), lines.next()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=5)
    assert call_line.startswith("chat.postMessage {") and '"colour": "red"' in call_line
    assert "invalid_arguments" in call_line and BOT_TOKEN not in call_line
    assert problem_line.strip() == "PROBLEM: chat.postMessage: unknown parameter 'colour'"
    assert proc.returncode == 0
