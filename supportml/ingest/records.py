"""What every importer yields: one historical request, as found in its source (not yet redacted).

Importers are readers only: they parse a source into these records and never touch the store, so
they can be tested without a database; `supportml.ingest.load` redacts and writes them in batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from supportml.vocabulary import Source


@dataclass(frozen=True)
class ImportedReply:
    """A human reply in a request's thread (no text: only its length is kept)."""

    ts: str
    user: str | None
    posted_at: datetime  # timezone-aware, UTC
    staff: bool  # `messages.staff_reply`: someone other than the requester
    length: int  # characters of its text


@dataclass(frozen=True)
class ImportedRequest:
    """One request; (workspace, channel, ts) identifies it, so re-importing it changes nothing.

    ``ts`` is Slack's message timestamp string ("1712345678.123456"); sources without one (a
    spreadsheet row with no Slack link) use a stable key of their own such as "sheet:TICKET-12".
    ``origin`` says where the record came from ("export.zip:help-platform/2026-03-02.json#4") so
    an error or a skip can name it.
    """

    channel: str
    ts: str
    text: str
    created_at: datetime  # timezone-aware, UTC
    origin: str
    source: str = Source.IMPORT
    workspace: str = "default"
    thread_ts: str | None = None
    requester: str | None = None
    requester_team: str | None = None
    topic: str | None = None
    label_source: str | None = None  # LabelSource.FORM when a form chose it, else IMPORT
    first_response_at: datetime | None = None
    first_responder: str | None = None
    resolved_at: datetime | None = None
    resolution: str | None = None
    external_id: str | None = None  # ticket id in a tracking sheet
    permalink: str | None = None
    linked: bool = True  # False: a sheet row naming no Slack message; the import looks for it
    channel_name: str | None = None  # as shown in Slack, when the source knows it
    replies: tuple[ImportedReply, ...] = ()  # its thread's human replies, oldest first


@dataclass(frozen=True)
class Skipped:
    """A message or row that is not a request, with the reason (counted in the import summary)."""

    origin: str
    reason: str
