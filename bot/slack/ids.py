"""Every action, block and callback id okr-bot puts in Slack, in one place: the builders
that set them and the listeners that match them read the same names."""

# Actions (buttons, menus)
SHARE_IN_CHANNEL = "share_in_channel"

# Blocks (one of each per message or view: Slack wants block ids unique within one)
SHARE = "share"  # the actions block that holds the Share in channel button

# Callbacks (modals, shortcuts): none yet
