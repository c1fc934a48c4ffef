"""How okr-bot runs as processes: roles (web, worker, both), the heartbeat each one keeps in
the database, readiness, and a graceful stop that gives back what the process holds."""
