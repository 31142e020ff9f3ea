"""Shapes of Slack messages that both the export reader and the live responder must recognise.

Pure functions over message dicts as Slack sends them (Events API) and stores them (exports):
Workflow Builder form posts (fields in blocks, attachments or text) and file-only messages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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
