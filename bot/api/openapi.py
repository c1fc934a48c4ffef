"""GET /api/v1/openapi.json: the API as an OpenAPI 3.1 document, its schemas the pydantic
models' own JSON schema, so the document and the validation never disagree."""

from __future__ import annotations

import functools
from typing import Any

from pydantic.json_schema import models_json_schema

from bot import __version__
from bot.api.schemas import (
    MeasurementBatch,
    MeasurementIn,
    MeasurementsRecorded,
    MetricOut,
    Problem,
)

REF = "#/components/schemas/{model}"


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": REF.format(model=schema)}}}}


UNAUTHORIZED = _json("Problem", "no token, an unknown one or a revoked one "
                     "(WWW-Authenticate: Bearer)")


@functools.cache
def document() -> dict[str, Any]:
    _, schemas = models_json_schema(
        [(m, "validation") for m in (MeasurementIn, MeasurementBatch)]
        + [(m, "serialization") for m in (MeasurementsRecorded, MetricOut, Problem)],
        ref_template=REF)
    body = {"oneOf": [{"$ref": REF.format(model="MeasurementIn")},
                      {"$ref": REF.format(model="MeasurementBatch")}]}
    return {
        "openapi": "3.1.0",
        "info": {"title": "okr-bot measurements API", "version": __version__,
                 "description": "Record measurements of a workspace's key results and KPIs, "
                                "and read a metric's health. See docs/api.md."},
        "components": {"schemas": schemas["$defs"],
                       "securitySchemes": {"token": {"type": "http", "scheme": "bearer",
                                                     "description": "okr-bot api-token create"}}},
        "security": [{"token": []}],
        "paths": {
            "/api/v1/measurements": {"post": {
                "summary": "Record one measurement or a batch of up to 1,000, all or none",
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                "schema": {"type": "string", "maxLength": 200},
                                "description": "a repeat with the same body answers the same "
                                               "and writes nothing; another body is a 422"}],
                "requestBody": {"required": True,
                                "content": {"application/json": {"schema": body}}},
                "responses": {
                    "201": _json("MeasurementsRecorded", "recorded"),
                    "400": _json("Problem", "the body is not valid; each wrong field is "
                                 "named (measurements[3].value) and nothing was recorded"),
                    "401": UNAUTHORIZED,
                    "422": _json("Problem", "the Idempotency-Key was used for another body"),
                }}},
            "/api/v1/metrics/{key}": {"get": {
                "summary": "A metric with its baseline, target, current value and health",
                "parameters": [{"name": "key", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {"200": _json("MetricOut", "the metric"),
                              "401": UNAUTHORIZED,
                              "404": _json("Problem", "no metric has this key in the "
                                           "token's workspace")}}},
            "/api/v1/openapi.json": {"get": {
                "summary": "This document", "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        },
    }
