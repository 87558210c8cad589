"""One line of ``lecture-notes doctor``: a check that passed, failed, or only warns."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    """One doctor line. ``required`` failures make the command exit non-zero; others are warnings."""

    name: str
    ok: bool
    message: str
    fix: str = ""
    required: bool = True

    @property
    def status(self) -> str:
        return "ok" if self.ok else ("FAIL" if self.required else "warn")

    def line(self) -> str:
        text = f"{self.status:<5} {self.name}: {self.message}"
        return text + (f" -> fix: {self.fix}" if not self.ok and self.fix else "")
