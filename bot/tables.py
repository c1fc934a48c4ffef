"""Every table module, imported so Base.metadata is complete (for Alembic and tests)."""

from importlib import import_module

TABLE_MODULES = ("bot.people.models", "bot.slack.models", "bot.okrs.store.models",
                 "bot.checkins.models", "bot.checkins.rounds", "bot.outbox.models",
                 "bot.alerts.models", "bot.summaries.models",
                 "bot.access.models", "bot.audit.models", "bot.install.models",
                 "bot.api.models", "bot.process.models")


def load_all() -> None:
    for name in TABLE_MODULES:
        import_module(name)
