"""okr-bot: weekly OKR and KPI check-ins, status and summaries in Slack."""

__version__ = "0.1.0"
