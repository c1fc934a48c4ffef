"""A workspace's life after install: uninstall, export, purge, reinstall (see flows.py)."""
