"""What `okr-bot plan import` did: created, updated, unchanged, and what it left alone."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    measurements_added: int = 0
    not_in_plan: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.measurements_added)

    def lines(self) -> list[str]:
        out = [f"create {c}" for c in self.created] + [f"update {u}" for u in self.updated]
        if self.measurements_added:
            out.append(f"add {self.measurements_added} measurement(s)")
        out += [f"kept, not in plan: {line}" for line in self.not_in_plan]
        out += [f"conflict: {line}" for line in self.conflicts]
        out.append(f"{len(self.created)} created, {len(self.updated)} updated, "
                   f"{self.unchanged} unchanged, {self.measurements_added} measurement(s) added")
        return out
