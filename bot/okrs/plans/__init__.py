"""Plan files: the format, reading and linting them, and importing and exporting them."""
