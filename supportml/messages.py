"""Shapes of Slack messages that both the export reader and the live responder must recognise.

Pure functions over message dicts as Slack sends them (Events API) and stores them (exports):
Workflow Builder form posts (fields in blocks, attachments or text), file-only messages, and
`judge`, the one rule for what a message is, so a live event and the same message in an
export are never judged differently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# Form labels as Workflow Builder and the old form bot wrote them -> the field they fill.
FORM_LABELS: Mapping[str, str] = {
    "topic": "topic",
    "request topic": "topic",
    "category": "topic",
    "request type": "topic",
    "team": "team",
    "your team": "team",
    "requesting team": "team",
    "product team": "team",
    "summary": "summary",
    "summary of request": "summary",
    "request summary": "summary",
    "description": "summary",
    "what do you need help with": "summary",
    "details": "details",
    "additional details": "details",
    "more details": "details",
    "anything else": "details",
    "submitted by": "submitter",
    "submitter": "submitter",
    "requester": "submitter",
    "requested by": "submitter",
}

MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_BOLD_LABEL = re.compile(r"\s*\*([^*\n]{1,60})\*\s*:?\s*(.*)")
_PLAIN_LABEL = re.compile(r"\s*([A-Za-z][A-Za-z ?'/]{0,40}?)\s*:\s*(.*)")


def file_titles(message: Mapping[str, Any]) -> str:
    """The titles (or names) of a message's files, one per line: the text of a pasted screenshot."""
    return "\n".join(
        str(f.get("title") or f.get("name"))
        for f in message.get("files") or ()
        if isinstance(f, dict) and (f.get("title") or f.get("name"))
    )


def _label(raw: str, labels: Mapping[str, str]) -> str | None:
    return labels.get(" ".join(raw.strip(" *_:?").lower().split()))


def _form_fields(chunks: list[str], labels: Mapping[str, str]) -> tuple[dict[str, str], str]:
    """Known ``label -> value`` fields found in the chunks, and the text outside any field."""
    fields: dict[str, list[str]] = {}
    outside: list[str] = []
    for chunk in chunks:
        current: list[str] | None = None
        for line in chunk.split("\n"):
            match = _BOLD_LABEL.fullmatch(line) or _PLAIN_LABEL.fullmatch(line)
            name = _label(match[1], labels) if match else None
            if match and name and name not in fields:
                current = fields[name] = [match[2]] if match[2].strip() else []
            elif current is not None:
                current.append(line)
            else:
                outside.append(line)
    return {k: "\n".join(v).strip() for k, v in fields.items()}, "\n".join(outside)


def _chunks(message: Mapping[str, Any]) -> list[str]:
    """Texts of section blocks (text and fields) and attachment fields, else the message text."""
    chunks: list[str] = []
    for block in message.get("blocks") or ():
        if not isinstance(block, dict):
            continue
        if isinstance(block.get("text"), dict) and block.get("type") in ("section", "header"):
            chunks.append(str(block["text"].get("text") or ""))
        for item in block.get("fields") or ():
            if isinstance(item, dict):
                chunks.append(str(item.get("text") or ""))
    for attachment in message.get("attachments") or ():
        if not isinstance(attachment, dict):
            continue
        for item in attachment.get("fields") or ():
            if isinstance(item, dict):
                chunks.append(f"*{item.get('title') or ''}*\n{item.get('value') or ''}")
    return chunks


def parse_form(
    message: Mapping[str, Any], labels: Mapping[str, str] = FORM_LABELS
) -> dict[str, str | None] | None:
    """The form fields of a bot message (topic, team, summary, details, requester), or None.

    Blocks are read first (Workflow Builder puts each field in a section field); the plain
    text is the fallback. Fewer than two known fields means bot chatter, not a form.
    """
    fields, outside = _form_fields(_chunks(message), labels)
    if len(fields) < 2:
        fields, outside = _form_fields([str(message.get("text") or "")], labels)
    if len(fields) < 2:
        return None
    mention = MENTION.search(fields.get("submitter", "")) or MENTION.search(outside)
    return {
        "topic": fields.get("topic") or None,
        "team": fields.get("team") or None,
        "text": "\n\n".join(v for v in (fields.get("summary"), fields.get("details")) if v),
        "requester": mention[1] if mention else None,
    }


# Subtypes a person's own top-level message can have; any other subtype is not a request.
HUMAN_SUBTYPES = frozenset({None, "file_share", "me_message"})
# Channel events that are never a request, with the reason they are counted under.
_EVENT_REASONS: Mapping[str, str] = {
    "channel_join": "join/leave",
    "channel_leave": "join/leave",
    "group_join": "join/leave",
    "group_leave": "join/leave",
    "tombstone": "deleted message",
}
SLACKBOT = "USLACKBOT"  # Slack's own user: tombstones and reminders, never a person


class Kind(StrEnum):
    """What a message is to support."""

    REQUEST = "request"  # a person's top-level message
    FORM = "form"  # a bot's post of a form with a summary (Workflow Builder)
    REPLY = "reply"  # in a request's thread (``thread_broadcast`` included)
    EDIT = "edit"
    DELETE = "delete"
    NOISE = "noise"  # anything else; ``reason`` says what


@dataclass(frozen=True)
class Judgement:
    """A message judged by `judge`, with what its kind needs."""

    kind: Kind
    ts: str = ""  # the message meant: the edited or deleted one for an edit or a delete
    text: str = ""  # request, form, edit: the raw (unredacted) text
    user: str | None = None  # request: the author; form: the submitter; reply: the author
    thread_ts: str | None = None  # reply: the thread it answers
    human: bool = True  # reply: by a person, not a bot or a tombstone
    topic: str | None = None  # form: the topic chosen on it
    team: str | None = None  # form: the requesting team
    reason: str = ""  # noise: why it is not a request


def message_text(message: Mapping[str, Any]) -> str:
    """The text of a message, or its files' titles when it has none (a pasted screenshot)."""
    text = message.get("text")
    return text if isinstance(text, str) and text.strip() else file_titles(message)


def staff_reply(user: str | None, requester: str | None) -> bool:
    """Whether a human reply in a request's thread is a response (staff's), not the requester's
    own follow-up: anyone else answering counts. The one rule for first responses and effort,
    live and from exports alike."""
    return bool(user) and user != requester


def judge(
    message: Mapping[str, Any],
    bots: AbstractSet[str] = frozenset(),
    labels: Mapping[str, str] = FORM_LABELS,
) -> Judgement:
    """A request, a form post, a reply, an edit, a delete, or noise (with the reason).

    ``bots`` are user ids known to be bots beyond what the message says (an export's
    users.json); ``labels`` the form labels to read. Whether the channel is watched and
    whether the message is the app's own are the caller's business.
    """
    subtype = message.get("subtype")
    if subtype == "message_changed":
        new = message.get("message") or {}
        if new.get("subtype") == "tombstone":  # how Slack deletes a message with thread replies
            return Judgement(Kind.DELETE, str(new.get("ts") or ""))
        return Judgement(Kind.EDIT, str(new.get("ts") or ""), message_text(new))
    if subtype == "message_deleted":
        return Judgement(Kind.DELETE, str(message.get("deleted_ts") or ""))
    ts = str(message.get("ts") or "")
    user = message.get("user")
    bot = (
        bool(message.get("bot_id")) or subtype == "bot_message" or user == SLACKBOT or user in bots
    )
    thread_ts = message.get("thread_ts")
    if thread_ts and thread_ts != ts:
        human = not bot and subtype != "tombstone"
        return Judgement(Kind.REPLY, ts, user=user, thread_ts=str(thread_ts), human=human)
    if isinstance(subtype, str) and subtype in _EVENT_REASONS:
        return Judgement(Kind.NOISE, ts, reason=_EVENT_REASONS[subtype])
    if bot:
        form = parse_form(message, labels)
        if form is None:
            return Judgement(Kind.NOISE, ts, reason="bot message")
        if not form["text"]:
            return Judgement(Kind.NOISE, ts, reason="form without summary")
        return Judgement(
            Kind.FORM, ts, form["text"] or "", form["requester"],
            topic=form["topic"], team=form["team"],
        )  # fmt: skip
    if subtype not in HUMAN_SUBTYPES:
        return Judgement(Kind.NOISE, ts, reason=f"subtype {subtype}")
    if not isinstance(user, str):
        return Judgement(Kind.NOISE, ts, reason="message without user")
    text = message_text(message)
    if not text:
        return Judgement(Kind.NOISE, ts, reason="empty message")
    return Judgement(Kind.REQUEST, ts, text, user)
