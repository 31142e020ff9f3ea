"""Block Kit for the responder's thread reply, the intake modal and nudges (pure functions).

The reply is always rebuilt from the stored state of its request (`ReplyView`), never patched:
whatever happened last (a click, an edit, a reaction), `reply()` of the current state is the
message Slack shows, so a retried event or a restart can never leave it half-updated.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from supportml.text import escape, slack_link
from supportml.vocabulary import PEOPLES_LABELS, LabelSource, RequestStatus, Resolution

# action ids (one per kind of click) and the block id that carries the request id
CONFIRM = "supportml_confirm"
CHANGE_TOPIC = "supportml_topic"
DOCS_SOLVED = "supportml_docs_solved"
NEED_HELP = "supportml_need_help"
RESOLVE = "supportml_resolve"
REASSIGN = "supportml_reassign"  # the team select: pick a team (abstained) or move it to another
ACTIONS = (CONFIRM, CHANGE_TOPIC, DOCS_SOLVED, NEED_HELP, RESOLVE, REASSIGN)
BLOCK_PREFIX = "supportml_request:"
# intake
SHORTCUT = "supportml_new_request"
INTAKE_VIEW = "supportml_intake"
SUMMARY_BLOCK, SUMMARY_INPUT = "summary", "summary_input"
TOPIC_BLOCK, TOPIC_INPUT = "topic", "topic_input"

MAX_OPTIONS = 100  # static_select's limit
MAX_OPTION_TEXT = 75
MAX_SECTION_TEXT = 3000


def _clip(text: str, limit: int) -> str:
    """Escaped text cut to ``limit`` characters without leaving half an entity (``&am``)."""
    return text if len(text) <= limit else re.sub(r"&[a-z]*$", "", text[:limit])


def block_id(request_id: int) -> str:
    return f"{BLOCK_PREFIX}{request_id}"


def request_id_of(block: str | None) -> int | None:
    """The request an action belongs to, from its block id; None for anything else."""
    if not block or not block.startswith(BLOCK_PREFIX):
        return None
    tail = block[len(BLOCK_PREFIX) :]
    return int(tail) if tail.isascii() and tail.isdigit() else None


REPLY_EVENT = "supportml_reply"  # message metadata marking the responder's reply in a thread


def reply_metadata(request_id: int) -> dict[str, Any]:
    """chat.postMessage ``metadata`` naming the request a reply answers: after a timeout the
    responder finds its own reply in the thread by it instead of posting a second one."""
    return {"event_type": REPLY_EVENT, "event_payload": {"request_id": request_id}}


def is_reply_to(message: dict[str, Any], request_id: int) -> bool:
    """Whether a thread message (conversations.replies with metadata) is the reply to a request."""
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return metadata.get("event_type") == REPLY_EVENT and payload.get("request_id") == request_id


def _option(topic: str) -> dict[str, Any]:
    return {
        "text": {"type": "plain_text", "text": topic[:MAX_OPTION_TEXT], "emoji": True},
        "value": topic,
    }


def topic_select(
    action_id: str, topics: Sequence[str], initial: str | None, placeholder: str
) -> dict[str, Any]:
    """A static select over names (the model's topics, the owning teams); Slack allows 100
    options."""
    options = [_option(t) for t in list(topics)[:MAX_OPTIONS]]
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": {"type": "plain_text", "text": placeholder},
        "options": options,
    }
    if initial is not None and initial in topics[:MAX_OPTIONS]:
        select["initial_option"] = _option(initial)
    return select


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class ReplyView:
    """What the reply shows about one request."""

    request_id: int
    topics: Sequence[str]  # the options of the topic select
    suggested: str | None  # the model's topic (None when the text was empty)
    confidence: float | None
    abstained: bool
    final_topic: str | None
    label_source: str | None  # human / form / model / import
    links: Sequence[Link] = ()
    holdout: bool = False
    status: str = RequestStatus.OPEN
    resolution: str | None = None
    deleted: bool = False
    history: Sequence[str] = field(default_factory=tuple)  # "✅ <@U1> confirmed *CI Error*"
    teams: Sequence[str] = ()  # the owning teams (an ownership file is loaded); () routes nothing
    team: str | None = None  # the team the request is assigned to
    on_support: str | None = None  # the Slack user id the reply names for that team


def _routing(view: ReplyView) -> str:
    """The team line: the owner and only its on-support person, never a group or channel."""
    if view.team is None:
        if view.abstained or view.suggested is None or not view.final_topic:
            return "*Team:* I couldn't tell which team owns this; pick one below."
        return f"*Team:* no team owns {escape(view.final_topic)} yet; pick one below."
    if view.on_support is None:
        return f"*Team:* {escape(view.team)} (nobody is on support there right now)"
    return f"*Team:* {escape(view.team)}, on support: <@{escape(view.on_support)}>"


def _headline(view: ReplyView) -> str:
    if view.label_source in PEOPLES_LABELS and view.final_topic:
        how = "chosen on the form" if view.label_source == LabelSource.FORM else "confirmed"
        return f"*Topic:* {escape(view.final_topic)} ({how})"
    if view.abstained or view.suggested is None:
        return (
            "I couldn't tell which topic this is. Pick one below so it is tracked "
            "and support can find it."
        )
    return f"*Suggested topic:* {escape(view.suggested)} ({view.confidence or 0:.0%} confident)"


def fallback_text(view: ReplyView) -> str:
    """The text Slack shows in notifications: no request text, and topic names escaped, because
    Slack parses this ``text`` as mrkdwn too (a label ``<!here>`` would ping the channel)."""
    if view.deleted:
        return "This request was deleted."
    if view.label_source in PEOPLES_LABELS and view.final_topic:
        text = f"Topic: {escape(view.final_topic)}"
    elif view.abstained or view.suggested is None:
        text = "I couldn't tell which topic this is; please pick one."
    else:
        text = f"Suggested topic: {escape(view.suggested)} ({view.confidence or 0:.0%})"
    if view.teams and view.team is not None:
        text += f" Team: {escape(view.team)}"
        if view.on_support is not None:
            text += f", on support: <@{escape(view.on_support)}>"
    return text


def reply(view: ReplyView) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) of the thread reply for the request's current state."""
    text = fallback_text(view)
    if view.deleted:
        return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": _headline(view)}}
    ]
    if view.teams:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _routing(view)}})
    if view.links:
        lines = "\n".join(f"• {slack_link(link.url, link.title)}" for link in view.links)
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*These pages may help:*\n{lines}"},
            }
        )
    closed = view.status == RequestStatus.RESOLVED
    if not closed:
        elements: list[dict[str, Any]] = []
        if view.suggested and not view.abstained and view.label_source not in PEOPLES_LABELS:
            elements.append(_button("Correct", CONFIRM, "primary"))
        initial = view.final_topic if view.label_source in PEOPLES_LABELS else None
        elements.append(topic_select(CHANGE_TOPIC, view.topics, initial, "Change topic"))
        if view.links:
            elements.append(_button("Docs solved it", DOCS_SOLVED))
            elements.append(_button("Still need help", NEED_HELP))
        elements.append(_button("Mark resolved", RESOLVE))
        if view.teams:
            label = "Pick a team" if view.team is None else "Reassign"
            elements.append(topic_select(REASSIGN, view.teams, view.team, label))
        blocks.append(
            {"type": "actions", "block_id": block_id(view.request_id), "elements": elements}
        )
    notes = list(view.history)
    if closed:
        how = "by the documentation" if view.resolution == Resolution.DOCS else ""
        notes.append(f"Resolved {how}".strip() + ".")
    if notes:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": note[:MAX_SECTION_TEXT]} for note in notes[-10:]
                ],
            }
        )
    return text, blocks


def _button(label: str, action_id: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label},
        "value": action_id,
    }
    if style:
        button["style"] = style
    return button


def history_line(action: str, actor: str, value: str | None) -> str | None:
    """One feedback-log entry as the reply shows it (None for entries it does not show)."""
    who = f"<@{escape(actor)}>"
    topic = escape(value or "")
    return {
        "confirm": f"✅ {who} confirmed *{topic}*",
        "change_topic": f"✏️ {who} set the topic to *{topic}*",
        "doc_resolved": f"📗 {who}: the docs solved it",
        "doc_not_helpful": f"🙋 {who} still needs help",
        "resolve": f"☑️ {who} marked it resolved",
        "resolve_reaction": f"☑️ {who} marked it resolved with a reaction",
        "reassign": f"🔀 {who} moved it to *{topic}*",
    }.get(action)


def routed_to(team: str, on_support: str) -> str:
    """The thread message telling the new on-support person a request is now theirs: its only
    mention (who moved it shows in the updated reply, which notifies nobody)."""
    return f"<@{escape(on_support)}>: this request now belongs to *{escape(team)}*."


def intake_modal(
    topics: Sequence[str],
    channel: str,
    summary: str = "",
    suggested: str | None = None,
) -> dict[str, Any]:
    """The /support and shortcut modal: a required summary, an optional topic select
    (pre-selected with the model's suggestion when /support came with text)."""
    summary_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": SUMMARY_INPUT,
        "multiline": True,
        "max_length": MAX_SECTION_TEXT,
        "placeholder": {"type": "plain_text", "text": "What do you need help with?"},
    }
    if summary:
        summary_input["initial_value"] = summary[:MAX_SECTION_TEXT]
    return {
        "type": "modal",
        "callback_id": INTAKE_VIEW,
        "private_metadata": channel,
        "title": {"type": "plain_text", "text": "Ask platform support"},
        "submit": {"type": "plain_text", "text": "Post request"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": SUMMARY_BLOCK,
                "label": {"type": "plain_text", "text": "Summary"},
                "element": summary_input,
            },
            {
                "type": "input",
                "block_id": TOPIC_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Topic"},
                "element": topic_select(TOPIC_INPUT, topics, suggested, "Pick a topic (optional)"),
            },
        ],
    }


def form_post(user: str, summary: str, topic: str | None) -> tuple[str, list[dict[str, Any]]]:
    """The message the bot posts in the support channel for a submitted intake form."""
    fields = [{"type": "mrkdwn", "text": f"*Submitted by*\n<@{escape(user)}>"}]
    if topic:
        fields.append({"type": "mrkdwn", "text": f"*Topic*\n{escape(topic)}"})
    text = f"Support request from <@{escape(user)}>"
    label = "*Summary*\n"
    body = _clip(escape(summary), MAX_SECTION_TEXT - len(label))
    return text, [
        {"type": "section", "fields": fields},
        {"type": "section", "text": {"type": "mrkdwn", "text": label + body}},
    ]


NUDGE = (
    "I couldn't tell what your request in <#{channel}> is about. Picking a topic in my reply "
    "(or asking with `/support` next time) gets it to the right people faster."
)
