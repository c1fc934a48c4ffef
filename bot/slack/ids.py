"""Every action, block and callback id okr-bot puts in Slack, in one place: the builders
that set them and the listeners that match them read the same names."""

# Actions (buttons, menus)
SHARE_IN_CHANNEL = "share_in_channel"

# Blocks (one of each per message or view: Slack wants block ids unique within one)
SHARE = "share"  # the actions block that holds the Share in channel button

# Callbacks (modals, shortcuts): none yet

# The check-in modal (bot/slack/blocks/checkin_modal.py): its callback, and its inputs' block
# ids, made from these prefixes and the question's or item's key.
CHECKIN_MODAL = "checkin"
QUESTION = "q:"
VALUE = "value:"
CONFIDENCE = "confidence:"
BLOCKER_TEXT = "blocker_text"
BLOCKER_ITEM = "blocker_item"
BLOCKER_HELPER = "blocker_helper"
INPUT = "input"  # the action id of every input element in the modal (one per block)

# The check-in DM (bot/slack/blocks/checkin_dm.py): its buttons carry the round's id, the
# blocker buttons a blocker's number; one actions block per blocker, its id from this prefix.
CHECKIN_START = "checkin_start"
CHECKIN_SKIP = "checkin_skip"
CHECKIN_SNOOZE = "checkin_snooze"
CHECKIN_ACTIONS = "checkin_actions"
BLOCKER_STILL = "blocker_still_blocked"
BLOCKER_RESOLVED = "blocker_resolved"
BLOCKER_ACTIONS = "blocker:"

# An alert DM (bot/slack/blocks/alert_dm.py): its buttons carry the alert's id; Open a blocker
# opens a modal whose private_metadata is the alert's id too (re-checked on submission).
ALERT_ACTIONS = "alert_actions"
ALERT_ACKNOWLEDGE = "alert_acknowledge"
ALERT_BLOCKER = "alert_blocker"
ALERT_SNOOZE = "alert_snooze"
ALERT_SNIPPET = "alert_snippet"
ALERT_BLOCKER_MODAL = "alert_blocker_modal"
ALERT_BLOCKER_TEXT = "alert_blocker_text"
