"""`python -m bot` is the `okr-bot` command."""

import sys

from bot.cli.main import main

sys.exit(main())
