"""A CSV file of measurements (metric,value,at,note with a header row) imported through the
API's own checks and batch flow, all or nothing, once per file.

Once per file: the import is keyed by the file's sha256, claimed in the same table and the same
transaction as an Idempotency-Key, so importing a file again (from any replica) changes nothing
and says when it was first imported. A file with one row changed is a new file: every row of it
is recorded, so a correction goes in a file of its own."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.access.policy import Actor
from bot.api import idempotency, render
from bot.api.recording import Incoming, record_batch
from bot.api.schemas import AT_EXPECTED
from bot.errors import InvalidFields
from bot.okrs import flows as okr_flows

COLUMNS = ("metric", "value", "at", "note")
REQUIRED = ("metric", "value")
MAX_ROWS = 100_000


@dataclass(frozen=True)
class Imported:
    rows: int
    answer: dict[str, Any]  # what render.recorded says of the batch
    first_imported_at: datetime | None = None  # set when the file was imported before


def read_csv(content: bytes) -> tuple[list[Incoming], dict[str, str]]:
    """The file's rows, and what is wrong with the others by line (`row 4.at`); InvalidFields
    when the file as a whole is not one of measurements."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidFields({"file": f"expected UTF-8 text ({error})"}) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    unknown = [h for h in header if h not in COLUMNS]
    missing = [c for c in REQUIRED if c not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise InvalidFields({"row 1": "expected the header row metric,value,at,note (at and "
                             f"note may be left out), not {','.join(header) or 'nothing'}"})
    errors: dict[str, str] = {}
    items: list[Incoming] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            errors[f"row {line}"] = f"expected {len(header)} columns, found {len(row)}"
            continue
        cells = dict(zip(header, row, strict=True))
        at = None
        if cells.get("at", "").strip():
            try:
                at = datetime.fromisoformat(cells["at"].strip())
            except ValueError:
                at = None
            if at is None or at.tzinfo is None:
                errors[f"row {line}.at"] = AT_EXPECTED
                continue
        items.append(Incoming(cells["metric"], cells["value"], at,
                              cells.get("note", "").strip() or None, f"row {line}"))
        if len(items) > MAX_ROWS:
            raise InvalidFields({"file": f"at most {MAX_ROWS:,} rows in one file"})
    if not items and not errors:
        raise InvalidFields({"file": "no measurements below the header row"})
    return items, errors


def import_csv(session_factory: sessionmaker[Session], team_id: str, content: bytes, *,
               now: datetime) -> Imported:
    """Record every row of the file as the CLI's operator, or nothing."""
    key = idempotency.CSV_FILES + idempotency.fingerprint(content)
    # Read before the transaction: SQLite's one write lock is held from its start.
    rows = read_csv(content)
    try:
        return _import(session_factory, team_id, content, rows, key, now)
    except IntegrityError:  # imported at this moment by another process: say what it did
        return _import(session_factory, team_id, content, rows, key, now)


def _import(session_factory: sessionmaker[Session], team_id: str, content: bytes,
            rows: tuple[list[Incoming], dict[str, str]], key: str, now: datetime) -> Imported:
    request_hash = idempotency.fingerprint("csv import", content)
    with session_factory.begin() as db_session:
        workspace = okr_flows.workspace(db_session, team_id)
        earlier = idempotency.stored_row(db_session, workspace.id, key, request_hash)
        if earlier is not None:
            return Imported(earlier.response.get("recorded", 0), earlier.response,
                            first_imported_at=earlier.created_at)
        claimed = idempotency.claim(db_session, workspace.id, key, request_hash, now=now)
        items, wrong = rows
        batch = record_batch(db_session, workspace, Actor.operator(), items, now=now,
                             found=wrong)
        answer = render.recorded(batch)
        idempotency.answer(claimed, 201, answer)
        return Imported(batch.count, answer)
