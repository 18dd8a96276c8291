"""Settings of a Google Sheets target."""

from __future__ import annotations

from pydantic import Field

from tierform.sync.settings import EnvSecret, HttpSettings

DEFAULT_BASE_URL = "https://sheets.googleapis.com/"


class SheetsSettings(HttpSettings):
    platform: str = "sheets"
    # Google's ids are URL-safe (letters, digits, - and _); their length is not documented, so
    # none is required.
    spreadsheet_id: str = Field(
        min_length=1,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The id in the sheet's URL: docs.google.com/spreadsheets/d/<id>/edit. "
        "Create the spreadsheet yourself and share it with the service account (Editor).",
    )
    credentials: EnvSecret = Field(
        description="{env: VAR}: the service-account key JSON, or the path to the key file."
    )
    token_url: str | None = Field(
        None, description="Override the OAuth token endpoint (default: the key's token_uri)."
    )
