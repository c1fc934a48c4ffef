"""What the API takes and gives, as pydantic models; their JSON schema is the OpenAPI
document's. Reading a body turns every problem into a field error with a path people can
follow (`measurements[3].value`), never pydantic's own words."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.api.recording import MAX_NOTE, Incoming
from bot.errors import InvalidFields
from bot.okrs.method.typed_values import EXAMPLES

MAX_MEASUREMENTS = 1000
VALUE_EXPECTED = f"expected a number or a value as people type it ({EXAMPLES})"
AT_EXPECTED = "expected an ISO 8601 instant with its offset, e.g. 2026-12-01T09:00:00+00:00"


class MeasurementIn(BaseModel):
    """One measurement of a key result, KPI, goal or the North Star, by its key."""

    model_config = ConfigDict(extra="forbid")

    metric: Annotated[str, Field(min_length=1, max_length=255,
                                 description="the metric's key, as in the plan")]
    value: Annotated[int | float | str, Field(description="a number, or a value as typed in Slack: "
                                        + EXAMPLES)]
    at: Annotated[AwareDatetime | None, Field(description="when it was measured (ISO 8601 "
                                              "with offset); default: now")] = None
    note: Annotated[str | None, Field(max_length=MAX_NOTE)] = None

    @field_validator("value", mode="before")
    @classmethod
    def _number_or_text(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(VALUE_EXPECTED)
        return value

    @field_validator("at", mode="before")
    @classmethod
    def _iso_text(cls, at: Any) -> Any:
        # pydantic would read a bare number as Unix time; the API promises ISO 8601 only.
        if at is not None and not isinstance(at, str):
            raise ValueError(AT_EXPECTED)
        return at

    def value_text(self) -> str:
        """The value as parse_value reads it: a JSON number written out in full (1e-07 is
        0.0000001), so its decimals are kept."""
        if isinstance(self.value, str):
            return self.value
        return format(Decimal(repr(self.value)), "f")

    def incoming(self, path: str = "") -> Incoming:
        return Incoming(self.metric, self.value_text(), self.at, self.note, path)


class MeasurementBatch(BaseModel):
    """Up to 1,000 measurements, recorded together or not at all."""

    model_config = ConfigDict(extra="forbid")

    measurements: Annotated[list[MeasurementIn], Field(min_length=1,
                                                       max_length=MAX_MEASUREMENTS)]


class MetricRecorded(BaseModel):
    key: str
    count: Annotated[int, Field(description="values recorded for it by this request")]
    at: AwareDatetime
    value: float
    previous_value: float | None
    status: str
    reason: str
    triggers: list[str]


class MeasurementsRecorded(BaseModel):
    recorded: int
    metrics: list[MetricRecorded]


class MetricOut(BaseModel):
    key: str
    name: str
    kind: Literal["north_star", "goal", "key_result", "kpi"]
    unit: str
    owner: str | None
    direction: str
    baseline: float | None
    target: float | None
    current: float | None
    measured_at: AwareDatetime | None
    status: str
    reason: str
    stale: bool
    progress: float | None


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    error: str
    message: str
    errors: list[FieldError] = []


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def _message(error: Any) -> str:
    kind, loc = error["type"], error["loc"]
    field = loc[-1] if loc else ""
    if kind == "missing":
        return "required" + ("; " + VALUE_EXPECTED if field == "value" else "")
    if kind == "extra_forbidden":
        return "not a field of a measurement; expected metric, value, at and note only"
    if field == "at":
        return AT_EXPECTED
    if field == "measurements" and kind == "too_long":
        return f"at most {MAX_MEASUREMENTS:,} measurements in one request"
    if field == "measurements" and kind == "too_short":
        return "expected at least one measurement"
    if field == "value":
        return VALUE_EXPECTED
    if field == "metric":
        return "expected a metric's key: text of 1 to 255 characters"
    if field == "note":
        return f"expected text of at most {MAX_NOTE} characters"
    if kind == "model_type":
        return ("expected an object with metric, value, at and note, or "
                "{\"measurements\": [...]}")
    return f"expected something else here ({error['msg']})"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def read_body(raw: bytes) -> tuple[list[Incoming], dict[str, str]]:
    """The measurements a request's body holds, and what is wrong with the others by field
    (each measurement is read on its own, so one bad field hides nothing else). InvalidFields
    when the body as a whole is not one measurement or a list of them."""
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidFields({"body": f"expected a JSON object ({error})"}) from None
    if not (isinstance(body, dict) and "measurements" in body):
        try:
            return [MeasurementIn.model_validate(body).incoming()], {}
        except ValidationError as error:
            return [], _errors(error, ())
    listed = body["measurements"]
    outer = {name: "not a field of a batch; expected measurements only"
             for name in body if name != "measurements"}
    if not isinstance(listed, list):
        outer["measurements"] = "expected a list of measurements"
    elif not listed:
        outer["measurements"] = "expected at least one measurement"
    elif len(listed) > MAX_MEASUREMENTS:
        outer["measurements"] = f"at most {MAX_MEASUREMENTS:,} measurements in one request"
    if outer:
        raise InvalidFields(outer)
    items: list[Incoming] = []
    errors: dict[str, str] = {}
    for index, entry in enumerate(listed):
        try:
            items.append(MeasurementIn.model_validate(entry).incoming(f"measurements[{index}]"))
        except ValidationError as error:
            errors.update(_errors(error, ("measurements", index)))
    return items, errors


def _errors(error: ValidationError, prefix: tuple[int | str, ...]) -> dict[str, str]:
    return {_path((*prefix, *e["loc"])): _message(e) for e in error.errors()}
