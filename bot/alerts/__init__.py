"""Action-trigger alerts: a key result or KPI that turns yellow or red, or meets one of its
plan's triggers, is told to its owner by DM, once per crossing (docs/alerts.md)."""
