"""Who changed what, written in the same transaction as the change."""
