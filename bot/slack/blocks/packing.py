"""Lists cut to Slack's limits, in one place: lines packed into as few sections as fit (3000
characters each), no more sections than a message can carry (50 blocks), then "…and N more"
with where to see the rest. Every list view packs through here. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from bot.slack.blocks.mrkdwn import SECTION_TEXT_LIMIT, context, section, truncate

SECTION_BUDGET = SECTION_TEXT_LIMIT - 100  # room for the "…and N more" a caller may add
MAX_SECTIONS = 45  # under Slack's 50 blocks, with room for a header, the count and a button


class Packer:
    """Lines packed into at most `max_sections` sections, after an optional title line; `add`
    says False once no more fit, so a caller can stop formatting and just count what is left."""

    def __init__(self, *, max_sections: int = MAX_SECTIONS, title: str = "") -> None:
        self.blocks: list[dict] = []
        self.current = title
        self.max_sections = max_sections
        self.full = False

    def add(self, line: str) -> bool:
        if self.full:
            return False
        line = truncate(line, SECTION_BUDGET)  # one line longer than a section still shows
        if self.current and len(self.current) + len(line) + 1 > SECTION_BUDGET:
            if len(self.blocks) + 1 >= self.max_sections:
                self.full = True
                return False
            self.blocks.append(section(self.current))
            self.current = ""
        self.current = f"{self.current}\n{line}" if self.current else line
        return True

    def finish(self, *, left_out: int, more_hint: str) -> list[dict]:
        blocks = [*self.blocks, *([section(self.current)] if self.current else [])]
        if left_out:
            blocks.append(context(f"…and {left_out} more: {more_hint}"))
        return blocks


def packed(lines: Sequence[str], *, more_hint: str, title: str = "",
           max_sections: int = MAX_SECTIONS) -> list[dict]:
    """`lines` packed, after `title`, into as few sections as fit, then '…and N more'."""
    packer = Packer(max_sections=max_sections, title=title)
    used = 0
    for line in lines:
        if not packer.add(line):
            break
        used += 1
    return packer.finish(left_out=len(lines) - used, more_hint=more_hint)
