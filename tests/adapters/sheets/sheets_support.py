"""Constants and a fake clock shared by the Sheets adapter tests."""

from __future__ import annotations

from dataclasses import dataclass, field

SA_EMAIL = "tierform-sync@client-project.iam.gserviceaccount.com"
SHEET_ID = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-"
ENV = "TF_TEST_SHEETS_KEY"


@dataclass
class FakeClock:
    """A clock that moves only when slept on: paced waits are recorded, never slept."""

    now_s: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def now(self) -> float:
        return self.now_s

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now_s += seconds
