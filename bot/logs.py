"""Structured logging, as logfmt (the default) or JSON lines (LOG_FORMAT=json), with secrets
redacted from every line."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterable

# Anything shaped like a Slack token is masked even if we were never told its value.
# xoxe-: the refresh tokens of Slack's token rotation.
TOKEN_PATTERN = re.compile(r"\b(xox[abposre]|xapp)-[A-Za-z0-9-]+")
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_./:@+-]+$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def logfmt_value(value: object) -> str:
    """A value as logfmt: bare when safe, else quoted with every control character escaped,
    so nothing a person types can start a forged log line."""
    text = str(value)
    if text and _SAFE_VALUE.fullmatch(text):  # fullmatch: `$` would let a trailing \n in
        return text
    escaped = "".join(_ESCAPES.get(c, f"\\x{ord(c):02x}" if ord(c) < 32 or ord(c) == 127 else c)
                      for c in text)
    return f'"{escaped}"'


def kv(**fields: object) -> str:
    """Render fields as `key=value` pairs, skipping the ones that are None."""
    return " ".join(f"{key}={logfmt_value(value)}" for key, value in fields.items()
                    if value is not None)


class LogfmtFormatter(logging.Formatter):
    """`ts=… level=… logger=… msg=…` on one line; exceptions folded into the same line."""

    converter = time.gmtime  # timestamps in UTC, like everything else we store

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return TOKEN_PATTERN.sub(lambda match: match.group(1) + "-[redacted]", text)

    def format(self, record: logging.LogRecord) -> str:
        ts = self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z"
        message = record.getMessage()
        line = f"ts={ts} level={record.levelname.lower()} logger={record.name} "
        # Messages built with kv() are already structured; free text gets quoted as msg=.
        line += message if getattr(record, "structured", False) else kv(msg=message)
        if record.exc_info:
            line += " " + kv(exc=self.formatException(record.exc_info))
        return self.redact(line)


class JsonFormatter(LogfmtFormatter):
    """One JSON object a line: `ts`, `level`, `logger`, then the fields a kv() message carries
    (each a string, as in logfmt) or `msg` for free text, and `exc` for a traceback. Redacted
    as logfmt is, value by value, so a secret cannot hide behind JSON's escaping."""

    def format(self, record: logging.LogRecord) -> str:
        ts = self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z"
        line: dict[str, str] = {"ts": ts, "level": record.levelname.lower(),
                                "logger": record.name}
        fields = getattr(record, "fields", None)
        if getattr(record, "structured", False) and isinstance(fields, dict):
            line |= {key: str(value) for key, value in fields.items() if value is not None
                     and key not in line}
        else:
            line["msg"] = record.getMessage()
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps({key: self.redact(value) for key, value in line.items()},
                          ensure_ascii=False)


LOG_FORMATS = {"logfmt": LogfmtFormatter, "json": JsonFormatter}


def configure_logging(level: int | str = "INFO", secrets: Iterable[str] = (),
                      log_format: str = "logfmt") -> None:
    """Send every logger's records, redacted, to stderr as logfmt or JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LOG_FORMATS[log_format](secrets))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # Third-party chatter at INFO would drown the one line per request we promise;
    # at DEBUG a person is asking for everything.
    third_party = root.level if root.level <= logging.DEBUG else max(root.level, logging.WARNING)
    for noisy in ("slack_bolt", "slack_sdk", "apscheduler", "uvicorn.access",
                  "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(third_party)


def structured(logger: logging.Logger, level: int, event: str, *,
               exc_info: BaseException | None = None, **fields: object) -> None:
    """Log one structured line: `event=<event> key=value …` (and the traceback, if given)."""
    if logger.isEnabledFor(level):
        logger.log(level, kv(event=event, **fields), exc_info=exc_info,
                   extra={"structured": True, "fields": {"event": event, **fields}})
