"""A fake Slack Web API on 127.0.0.1 for slack_sdk's WebClient(base_url=fake.base_url).

It answers like Slack (HTTP 200 with `ok: false` for API errors), records every call, checks
each one against web_api_contract, and fails on request. By hand:
`python -m tests.fakes.slack_api --port 8900` (from the project root).
"""

from __future__ import annotations

import argparse
import itertools
import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .oauth import FakeOAuth
from .rate_limits import RateLimits
from .slack_workspace import FakeWorkspace
from .socket_mode import SocketModeServer
from .web_api_contract import (
    catalogue,
    catalogue_source,
    parse_params,
    validate_call,
    validate_response_url_body,
)

RESPONSE_URL_USES = 5  # a response_url takes 5 posts within 30 minutes (NOTES.md)
RESPONSE_URL = "response_url"  # the failure queue for posts to any response_url
Answer = tuple[int, dict[str, str], bytes]


@dataclass
class RecordedCall:
    method: str
    params: dict[str, Any]  # form, query and JSON merged; JSON-string params decoded
    headers: dict[str, str]
    received_at: float
    status: int = 200  # what the fake answered
    response: dict[str, Any] | None = None  # None when the answer was not JSON (a 500)
    injected: str | None = None  # "429", "500" or the error, when fail_next() answered
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response and self.response.get("ok"))


@dataclass(frozen=True)
class _Failure:
    status: int
    retry_after: int
    error: str | None
    delay: float = 0.0  # a time-out: the answer comes this late
    delivered: bool = True  # ... after doing the work (or not)


class FakeSlack:
    """Start with `with FakeSlack() as fake:` or `.start()` / `.stop()`."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test-token",  # noqa: S107 (fake credentials)
        app_token: str = "xapp-1-test",  # noqa: S107
        team_id: str = "T0TEST",
        bot_user_id: str = "UBOT",
        users: dict[str, dict[str, Any]] | None = None,
        app_id: str = "A0TEST",
        system_users: bool = True,  # list the bot and Slackbot in users.list, as Slack does
        port: int = 0,
        on_call: Callable[[RecordedCall], None] | None = None,
        on_problem: Callable[[str], None] | None = None,  # e.g. print: a crash of the fake
        spec_dir: Path | None = None,  # Slack's OpenAPI spec; see web_api_catalogue.spec_path
    ) -> None:
        self.bot_token, self.app_token = bot_token, app_token
        self.team_id, self.bot_user_id, self.app_id = team_id, bot_user_id, app_id
        self.bot_id = "B0BOT"
        self.on_call, self.on_problem = on_call, on_problem
        self.spec_dir = spec_dir
        self.methods = catalogue(spec_dir)
        self.workspace = FakeWorkspace(team_id=team_id, bot_user_id=bot_user_id, app_id=app_id,
                                       bot_id=self.bot_id)  # fmt: skip
        self.oauth = FakeOAuth(self)  # OAuth v2: codes, oauth.v2.access, the tokens issued
        self.problems: list[str] = []
        self.responses: list[dict[str, Any]] = []
        self.refused_responses: list[dict[str, Any]] = []  # posts fail_next_responses refused
        self._calls: list[RecordedCall] = []
        self._cond = threading.Condition()
        self._failures: dict[str, list[_Failure]] = defaultdict(list)
        self.rate_limits = RateLimits()  # .limit("chat.postMessage", 5, per_channel=False)
        self._response_ids = itertools.count(1)
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._socket_mode: SocketModeServer | None = None
        for user_id, fields in (users or {}).items():
            self.add_user(user_id, **fields)
        if system_users:
            self.add_user(bot_user_id, name="okr-bot", real_name="OKR Bot", is_bot=True,
                          profile={"bot_id": self.bot_id, "api_app_id": app_id})  # fmt: skip
            self.add_user("USLACKBOT", name="slackbot", real_name="Slackbot")

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeSlack:
        server = ThreadingHTTPServer(("127.0.0.1", self._port), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.005,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._socket_mode is not None:
            self._socket_mode.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "FakeSlack not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/api/"  # WebClient urljoins method names onto it: keep the slash

    @property
    def socket_mode(self) -> SocketModeServer:
        """Started on first use (or by apps.connections.open); stopped with the fake.

        Close SocketModeClients first: the fake's stop() sends them a close frame, and a client
        still set to auto-reconnect would then call apps.connections.open on a stopped server.
        """
        with self._cond:
            if self._socket_mode is None:
                self._socket_mode = SocketModeServer(app_id=self.app_id).start()
            return self._socket_mode

    @property
    def source(self) -> str:
        """One line saying what calls are checked against (the spec is optional)."""
        return catalogue_source(self.spec_dir)

    # -- directory -------------------------------------------------------------------------
    def add_user(self, user_id: str, **fields: Any) -> dict[str, Any]:
        with self._cond:
            return self.workspace.add_user(user_id, **fields)

    def dm_channel(self, user_id: str) -> str:
        """The stable D… id conversations.open gives for a user."""
        return self.workspace.dm_channel(user_id)

    # -- recording -------------------------------------------------------------------------
    @property
    def calls(self) -> list[RecordedCall]:
        with self._cond:
            return list(self._calls)

    def calls_to(self, method: str) -> list[RecordedCall]:
        with self._cond:
            return [c for c in self._calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5) -> list[RecordedCall]:
        # Condition.wait_for keeps real time even under freezegun (which leaves threading be).
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.calls_to(method)) >= count, timeout):
                seen = [f"{c.method} {c.params}" for c in self._calls]
                raise AssertionError(f"{count} x {method} not seen in {timeout} s; calls: {seen}")
            return self.calls_to(method)

    def reset(self) -> None:
        with self._cond:
            self._calls.clear()
            self.problems.clear()
            self.responses.clear()
            self.refused_responses.clear()
            self._failures.clear()

    def assert_no_problems(self) -> None:
        with self._cond:
            assert not self.problems, "Slack contract problems:\n" + "\n".join(self.problems)

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        error: str | None = None,
    ) -> None:
        """The next `times` calls get HTTP `status` (or, with `error`, 200 ok:false error)."""
        with self._cond:
            self._failures[method] += [_Failure(status, retry_after, error)] * times

    def time_out_next(self, method: str, *, seconds: float, times: int = 1,
                      delivered: bool = True) -> None:
        """The next `times` calls are answered `seconds` late (give the client a shorter
        timeout); `delivered` says whether Slack acted on them all the same."""
        with self._cond:
            self._failures[method] += [_Failure(200, 0, None, seconds, delivered)] * times

    # -- response_url ----------------------------------------------------------------------
    def fail_next_responses(self, *, status: int = 500, times: int = 1,
                            retry_after: int = 1) -> None:
        """The next `times` posts to any response_url get HTTP `status` (a 429 with
        Retry-After) and are not shown; they land in `refused_responses`."""
        self.fail_next(RESPONSE_URL, status=status, retry_after=retry_after, times=times)

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.url}/response/{name}/{next(self._response_ids)}"

    def wait_for_response(self, count: int = 1, timeout: float = 5) -> list[dict[str, Any]]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.responses) >= count, timeout):
                raise AssertionError(f"{count} response_url posts not seen; got {self.responses}")
            return list(self.responses)

    # -- request handling (called from server threads) --------------------------------------
    def _record(self, call: RecordedCall) -> None:
        with self._cond:
            self._calls.append(call)
            self.problems.extend(call.problems)
            self._cond.notify_all()
        if self.on_call is not None:
            self.on_call(call)

    def handle_api(self, method: str, headers: dict[str, str], query: str, body: bytes) -> Answer:
        """Called by the HTTP handler thread for `/api/<method>`."""
        params, parse_problems = parse_params(query, headers.get("Content-Type", ""), body)
        call = RecordedCall(method, params, headers, time.time())
        call.problems = [f"{method}: {p}" for p in parse_problems]
        call.problems += validate_call(method, params, self.methods)
        token = headers.get("Authorization", "").removeprefix("Bearer ") or params.get("token")
        if method == "oauth.v2.access":  # client credentials, not a token (fakes/oauth.py)
            return self.oauth.access(call, headers)
        wanted = self.app_token if method == "apps.connections.open" else self.oauth.wanted(token)
        extra: dict[str, str] = {}
        failure = self._take_failure(method) if token == wanted else None
        if token != wanted:
            error = "not_allowed_token_type" if token in (self.bot_token, self.app_token) else ""
            error = error or ("invalid_auth" if token else "not_authed")
            call.problems.append(f"{method}: answered {error} (token {str(token)[:5]}…)")
            answer = {"ok": False, "error": error}
        elif failure and failure.delay and not failure.delivered:
            call.injected, answer = "timeout", {"ok": False, "error": "request_timeout"}
        elif failure and not failure.delay:
            call.injected = failure.error or str(failure.status)
            call.status = 200 if failure.error else failure.status
            answer = {"ok": False, "error": failure.error or "ratelimited"}
            if failure.status == 429 and not failure.error:
                extra["Retry-After"] = str(failure.retry_after)
            elif not failure.error:  # Slack's 5xx pages are not JSON
                self._record(call)
                return failure.status, {"Content-Type": "text/plain"}, b"Internal Server Error"
        elif method not in self.methods:
            answer = {"ok": False, "error": "unknown_method"}
        elif (wait := self.rate_limits.retry_after(method, params)) is not None:
            call.injected, call.status = "429 (rate)", 429
            answer, extra["Retry-After"] = {"ok": False, "error": "ratelimited"}, str(wait)
        elif call.problems:
            messages = [f"[ERROR] {p}" for p in call.problems]
            answer = {"ok": False, "error": "invalid_arguments"}
            answer["response_metadata"] = {"messages": messages}
        elif method == "apps.connections.open":
            answer = {"ok": True, "url": self.socket_mode.new_url()}
        else:
            with self._cond:  # answers read and update the workspace
                answer = self.oauth.answer(token, method, params, call.problems)
        call.response = answer
        if failure and failure.delay:
            call.injected = call.injected or "timeout (delivered)"
        self._record(call)
        if failure and failure.delay:
            time.sleep(failure.delay)  # the caller has given up by now
        return call.status, extra, json.dumps(answer).encode()

    def report(self, problem: str) -> None:
        """A problem outside any recorded call, kept in `problems` and shown by on_problem."""
        with self._cond:
            self.problems.append(problem)
            self._cond.notify_all()
        if self.on_problem is not None:
            self.on_problem(problem)

    def _take_failure(self, method: str) -> _Failure | None:
        with self._cond:
            queue = self._failures.get(method)
            return queue.pop(0) if queue else None

    def handle_response_url(self, url: str, headers: dict[str, str], body: bytes) -> Answer:
        """Called by the HTTP handler thread for `/response/<name>/<n>`."""
        if failure := self._take_failure(RESPONSE_URL):
            with self._cond:
                self.refused_responses.append({"url": url, "status": failure.status,
                                               "received_at": time.time()})
                self._cond.notify_all()
            extra = {"Retry-After": str(failure.retry_after)} if failure.status == 429 else {}
            return failure.status, extra, b"rate_limited" if extra else b"server_error"
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            payload = body.decode("utf-8", errors="replace")
        problems = [f"response_url: {p}" for p in validate_response_url_body(payload)]
        with self._cond:
            uses = sum(1 for r in self.responses if r["url"] == url) + 1
            if uses > RESPONSE_URL_USES:
                problems.append(f"response_url {url} used {uses} times (Slack allows 5)")
            self.responses.append({"url": url, "json": payload, "headers": headers,
                                   "received_at": time.time(), "problems": problems})  # fmt: skip
            self.problems.extend(problems)
            self._cond.notify_all()
        if uses > RESPONSE_URL_USES:  # Slack's exact answer here is unverified
            return 404, {}, json.dumps({"ok": False, "error": "used_url"}).encode()
        return 200, {}, b'{"ok": true}'


class _Handler(BaseHTTPRequestHandler):
    def _respond(self) -> None:
        fake: FakeSlack = self.server.fake  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.title(): v for k, v in self.headers.items()}  # urllib sends "Content-type"
        try:
            if url.path.startswith("/api/"):
                status, extra, payload = fake.handle_api(url.path[5:], headers, url.query, body)
            elif url.path.startswith("/response/") and self.command == "POST":
                full_url = fake.url + url.path
                status, extra, payload = fake.handle_response_url(full_url, headers, body)
            else:
                status, extra, payload = 404, {}, b'{"ok": false, "error": "not_found"}'
        except Exception as e:  # a bug in the fake, or input it never expected: say so loudly
            fake.report(f"fake Slack crashed on {url.path}: {e!r}")
            status, extra, payload = 500, {"Content-Type": "text/plain"}, repr(e).encode()
        extra = {"Content-Type": "application/json; charset=utf-8"} | extra
        try:
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # a client that timed out has gone: what a time-out is

    do_GET = do_POST = _respond

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per call comes from on_call instead


def _print_call(call: RecordedCall) -> None:
    params = {k: "(redacted)" if k == "token" else v for k, v in call.params.items()}
    error = "" if call.ok else f" -> {call.status} {(call.response or {}).get('error', '')}"
    print(f"{call.method} {json.dumps(params)[:300]}{error}", flush=True)
    for problem in call.problems:
        _print_problem(problem)


def _print_problem(problem: str) -> None:
    print(f"  PROBLEM: {problem}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the fake Slack Web API until Ctrl-C.")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--bot-token", default="xoxb-test-token")
    parser.add_argument("--app-token", default="xapp-1-test")
    args = parser.parse_args(argv)
    fake = FakeSlack(port=args.port, bot_token=args.bot_token, app_token=args.app_token,
                     on_call=_print_call, on_problem=_print_problem)  # fmt: skip
    with fake:
        try:  # Ctrl-C may come as soon as the banner is read, before the wait begins
            print(f"Fake Slack Web API at {fake.base_url} (Ctrl-C to stop)", flush=True)
            print(fake.source, flush=True)
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopping", flush=True)


if __name__ == "__main__":
    main()
