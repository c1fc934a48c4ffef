"""The measurements API: workspace tokens, POST /api/v1/measurements, GET /api/v1/metrics/{key},
the OpenAPI document, and the CSV import that shares its validation (docs/api.md)."""
