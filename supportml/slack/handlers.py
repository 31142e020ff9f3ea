"""The responder's logic: Slack payloads (plain dicts) in, store writes and replies out.

No Bolt here: `app.py` wires these methods to Bolt listeners, `replay` runs `compose` over
history, and tests can call them directly. Slack itself is reached only through `SlackPort`.

Nothing acknowledged is lost: an event is stored in the inbox (`receive`) before Slack gets its
200, handled from there, and deleted once handled; rows a dead process leased are drained by
`drain` once the lease expires.

Idempotency comes from the store, not from timing: a request row is keyed by (workspace,
channel, ts), the right to post its reply is a claim with an owner and an expiry (a
compare-and-set), and event ids are remembered after an event was handled, so a retry of an
event whose first delivery failed is handled again while one that succeeded is dropped. A claim
that expired unfinished may have posted (a timeout after Slack did): its reply is looked for in
the thread, by the metadata it carries, before anything is posted again.

The model can be swapped while events are handled (`supportml.learning.watcher`): everything
taken from it sits in one immutable `LoadedModel`, which each payload reads once, so an event in
flight is answered wholly by the model it started with.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from supportml.docs import DocEntry
from supportml.effort import EffortModel
from supportml.messages import Kind, judge, message_text, staff_reply
from supportml.ownership import Ownership
from supportml.redact import DEFAULT_REDACTOR, Redactor
from supportml.slack import blocks
from supportml.store import transaction
from supportml.store.db import GroupCommit
from supportml.store.models import Request
from supportml.store.repository import (
    InboxItem,
    claim_reply,
    done_inbox,
    feedback_history,
    find_request,
    first_nudge_today,
    insert_new_requests,
    insert_thread_replies,
    is_event_processed,
    lease_inbox,
    log_feedback,
    mark_event_processed,
    prune_events,
    put_inbox,
    reassign_request,
    record_doc_feedback,
    record_first_response,
    record_seen,
    record_suggestion,
    release_inbox,
    release_reply,
    renew_inbox,
    route_request,
    set_reply,
    unanswered_requests,
)
from supportml.suggest import Suggester, Suggestion, in_holdout
from supportml.text import store_text, unescape
from supportml.vocabulary import DocFeedback, LabelSource, RequestStatus, Resolution, Source

DRAIN_BATCH = 10  # inbox rows leased per transaction: a short one, acks wait for it

log = logging.getLogger("supportml.slack")


class NotPosted(Exception):
    """Slack answered that it posted nothing (an API error): the claim can be released.

    Any other failure of a post (a timeout, a reset connection) may have posted."""


class SlackPort(Protocol):
    """The Web API calls the responder makes (a WebClient adapter in app.py)."""

    def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> str: ...

    def find_reply(self, channel: str, thread_ts: str, request_id: int) -> str | None: ...

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None: ...

    def ephemeral(self, channel: str, user: str, text: str) -> None: ...

    def open_modal(self, trigger_id: str, view: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class ResponderConfig:
    """Who and where: see the configuration table in README.md."""

    channels: frozenset[str]  # channel ids the responder treats as support channels
    staff: frozenset[str] = frozenset()
    resolved_reaction: str = "white_check_mark"
    holdout: float = 0.10
    shadow: bool = False  # record and suggest, post nothing
    intake_channel: str | None = None  # where /support posts; default: the first channel
    catch_up: timedelta = timedelta(hours=1)  # how old a request may be to get a late reply
    workspace: str = "default"  # when a payload carries no team id
    redactor: Redactor = DEFAULT_REDACTOR
    lease: timedelta = timedelta(minutes=2)  # inbox rows and reply claims; > a post's timeout
    max_attempts: int = 5  # an inbox row that failed this often is dropped (logged), not retried
    ownership: Ownership | None = None  # topic -> owning team and its on-support person
    effort: EffortModel = EffortModel()  # how stored replies become estimated staff time


@dataclass(frozen=True)
class Outcome:
    """What handling one payload did (logged, counted in metrics, asserted on in tests)."""

    done: str
    request_id: int | None = None
    abstained: bool | None = None  # a new request's suggestion: no topic was confident


@dataclass(frozen=True)
class Message:
    """A message event read into what the responder cares about."""

    kind: str  # request / reply / edit / delete / ignore
    channel: str = ""
    ts: str = ""
    text: str = ""
    user: str | None = None
    source: str = Source.MESSAGE
    topic: str | None = None  # chosen on a workflow form
    team: str | None = None  # requesting team from a form
    thread_ts: str | None = None
    reason: str = ""  # why it is ignored


def _ignore(reason: str) -> Message:
    return Message("ignore", reason=reason)


def read_message(
    event: Mapping[str, Any], channels: frozenset[str], own: frozenset[str]
) -> Message:
    """Classify a ``message`` event: a new request, a reply in a thread (a response), an edit,
    a delete, or something to ignore (with the reason). What a message is, is
    `supportml.messages.judge`; here only what is live-only: the channel and our own posts."""
    channel = str(event.get("channel") or "")
    if channel not in channels:
        return _ignore("not a support channel")
    judged = judge(event)
    if judged.kind in (Kind.EDIT, Kind.DELETE):
        return Message(judged.kind, channel, judged.ts, judged.text)
    if not judged.ts:
        return _ignore("message without ts")
    if event.get("bot_id") in own or event.get("user") in own:
        return _ignore("own message")
    if judged.kind == Kind.REPLY:
        if not judged.human:
            return _ignore("bot reply in a thread")
        text = message_text(event)  # only its length is kept (the effort's reply row)
        return Message("reply", channel, judged.ts, text, judged.user, thread_ts=judged.thread_ts)
    if judged.kind == Kind.FORM:
        return Message(
            "request", channel, judged.ts, judged.text, judged.user, Source.WORKFLOW,
            judged.topic, judged.team,
        )  # fmt: skip
    if judged.kind == Kind.REQUEST:
        return Message("request", channel, judged.ts, judged.text, judged.user)
    return _ignore(judged.reason)


INBOX_EVENTS = ("message", "reaction_added")  # what the responder handles; nothing else is stored
_KEPT = ("type", "subtype", "channel", "ts", "thread_ts", "event_ts", "user", "bot_id",
         "deleted_ts", "reaction", "item", "hidden")  # fmt: skip
_TEXTS = ("text", "value", "title", "name")


def inbox_payload(event: Mapping[str, Any], redactor: Redactor) -> dict[str, Any]:
    """The part of an event the responder reads, texts redacted: what the inbox keeps.

    Section blocks and attachment fields stay (a workflow form's fields are read from them);
    rich-text blocks repeat the text, the previous version of an edit is never read."""
    kept: dict[str, Any] = {key: event[key] for key in _KEPT if key in event}
    for key in ("text", "files", "attachments"):
        if key in event:
            kept[key] = _redacted(event[key], redactor)
    sections = [
        {k: b[k] for k in ("type", "text", "fields") if k in b}
        for b in event.get("blocks") or ()
        if isinstance(b, dict) and b.get("type") in ("section", "header")
    ]
    if sections:
        kept["blocks"] = _redacted(sections, redactor)
    if isinstance(event.get("message"), Mapping):
        kept["message"] = inbox_payload(event["message"], redactor)
    return kept


def _redacted(value: Any, redactor: Redactor, key: str = "text") -> Any:
    if isinstance(value, str):
        return redactor.redact(value) if key in _TEXTS else value
    if isinstance(value, Mapping):
        return {k: _redacted(v, redactor, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v, redactor, key) for v in value]
    return value


def ts_datetime(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), UTC)


@dataclass(frozen=True)
class Received:
    """An Events API delivery as the inbox stores it."""

    event_id: str
    team: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class Composed:
    """What the responder would reply for a text: the suggestion and the links it shows."""

    suggestion: Suggestion | None  # None for a message with no text at all
    holdout: bool

    @property
    def links(self) -> list[tuple[str, float]]:
        if self.suggestion is None or self.holdout:
            return []
        return [(link.doc_id, link.score) for link in self.suggestion.links]


@dataclass(frozen=True)
class LoadedModel:
    """Everything the responder takes from one model: the suggester, the topics people can pick,
    the documentation pages its links point to. Swapped whole by `Responder.install`."""

    suggester: Suggester
    topics: tuple[str, ...]
    docs: Mapping[str, DocEntry]

    @classmethod
    def of(cls, suggester: Suggester) -> LoadedModel:
        entries = suggester.docs.entries if suggester.docs is not None else ()
        return cls(
            suggester,
            tuple(suggester.classifier.labels),
            MappingProxyType({entry.id: entry for entry in entries}),
        )


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Responder:
    """Handles each kind of payload; one instance serves all of Bolt's worker threads.

    Each payload reads ``self.model`` once and uses that `LoadedModel` throughout: a swap by
    ``install`` in the middle of an event leaves its stored model version, suggestion, topic
    menu and links all from one model, and the next event gets the new one.
    """

    def __init__(
        self,
        engine: Engine,
        suggester: Suggester,
        config: ResponderConfig,
        slack: SlackPort | None = None,  # None: nothing is posted (shadow mode, replay)
        own_ids: frozenset[str] = frozenset(),  # the app's bot user id and bot id
        now: Callable[[], datetime] = _utc_now,
    ):
        self.engine = engine
        self.config = config
        self.slack = slack
        self.own_ids = own_ids
        self.now = now
        self.model = LoadedModel.of(suggester)
        # who holds a lease: unique per process, readable in the store when one is left behind
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._inbox = GroupCommit(lambda: self.engine, self._put)

    def install(self, suggester: Suggester) -> None:
        """Answer with another model from the next payload on: one reference assignment, atomic
        for every thread (the watcher in `supportml.learning.watcher` calls this)."""
        self.model = LoadedModel.of(suggester)

    @property
    def suggester(self) -> Suggester:
        """The installed model's suggester (its ``model_version`` is what /healthz reports)."""
        return self.model.suggester

    @property
    def topics(self) -> tuple[str, ...]:
        return self.model.topics

    # -- composing -------------------------------------------------------------------------------
    def compose(
        self, text: str, workspace: str, channel: str, ts: str, model: LoadedModel | None = None
    ) -> Composed:
        """The suggestion for a stored (redacted) text and whether its links are held out."""
        suggester = (model or self.model).suggester
        suggestion = suggester.suggest(text, explain=False) if text.strip() else None
        return Composed(suggestion, in_holdout(f"{workspace}/{channel}/{ts}", self.config.holdout))

    def view(
        self, session: Session, request: Request, model: LoadedModel | None = None
    ) -> blocks.ReplyView:
        """The reply for a request's stored state."""
        model = model or self.model
        links = [
            blocks.Link(model.docs[s.doc_id].title, model.docs[s.doc_id].url)
            for s in request.suggestions
            if s.doc_id in model.docs
        ]
        history = [
            line
            for action, actor, value in feedback_history(session, request.id)
            if (line := blocks.history_line(action, actor, value))
        ]
        return blocks.ReplyView(
            request_id=request.id,
            topics=model.topics,
            suggested=request.predicted_topic,
            confidence=request.confidence,
            abstained=bool(request.abstained) or request.predicted_topic is None,
            final_topic=request.final_topic,
            label_source=request.label_source,
            links=links,
            holdout=request.docs_holdout,
            status=request.status,
            resolution=request.resolution,
            deleted=request.deleted,
            history=history,
            teams=self.config.ownership.teams if self.config.ownership else (),
            team=request.assigned_team,
            on_support=request.assigned_to,
        )

    # -- the inbox -------------------------------------------------------------------------------
    def receive(self, body: Mapping[str, Any]) -> int | None:
        """Store an Events API delivery before it is acknowledged, leased to this process.

        Returns the inbox row to handle now, or None: not an event the responder handles, or a
        retry of one already stored. Raises when the store cannot take it: do not ack then.
        """
        event, event_id = body.get("event") or {}, body.get("event_id")
        if event.get("type") not in INBOX_EVENTS or not event_id:
            return None
        received = Received(str(event_id), body.get("team_id"),
                            inbox_payload(event, self.config.redactor))  # fmt: skip
        return self._inbox.write(received)  # Slack waits for the ack: a group commit

    def _put(self, session: Session, received: Received) -> int | None:
        return put_inbox(
            session, received.event_id, received.team, received.payload, self.owner, self.now(),
            self.config.lease,
        )  # fmt: skip

    def handle_stored(self, inbox_id: int) -> Outcome:
        """Handle an inbox row this process leased at `receive`, then forget it."""
        with transaction(self.engine) as session:
            item = renew_inbox(session, inbox_id, self.owner, self.now(), self.config.lease)
        if item is None:
            return Outcome("dropped: handled elsewhere")
        try:
            return self._handle_item(item)
        except Exception:
            with transaction(self.engine) as session:  # retried by the next drain or delivery
                release_inbox(session, inbox_id, self.owner)
            raise

    def drain(self) -> int:
        """Handle the inbox rows nobody holds: left by a dead process, or by a failure here.

        Returns how many were handled (or dropped after ``max_attempts``)."""
        handled = 0
        while True:
            with transaction(self.engine) as session:
                items = lease_inbox(session, self.owner, self.now(), self.config.lease, DRAIN_BATCH)
            if not items:
                return handled
            for item in items:
                try:
                    self._handle_item(item)
                except Exception as exc:  # left leased: retried when the lease expires
                    log.error("stored event %s failed: %s", item.event_id, type(exc).__name__)
                    continue
                handled += 1

    def _handle_item(self, item: InboxItem) -> Outcome:
        if item.attempts > self.config.max_attempts:
            log.error("stored event %s dropped after %d attempts", item.event_id, item.attempts - 1)
            outcome = Outcome("dropped: too many attempts")
        else:
            outcome = self.handle_event(item.payload, item.team, item.event_id)
        with transaction(self.engine) as session:
            done_inbox(session, item.id)
        return outcome

    # -- events ----------------------------------------------------------------------------------
    def handle_event(
        self, event: Mapping[str, Any], team: str | None, event_id: str | None
    ) -> Outcome:
        """Any event Bolt hands over; a delivery of an already handled event id is dropped."""
        if event_id:
            with transaction(self.engine) as session:
                if is_event_processed(session, event_id):
                    return Outcome("dropped: event id already handled")
        workspace, model = team or self.config.workspace, self.model
        if event.get("type") == "reaction_added":
            outcome = self._reaction(event, workspace, model)
        else:
            outcome = self._message(event, workspace, model)
        if event_id:
            with transaction(self.engine) as session:
                mark_event_processed(session, event_id, self.now())
        return outcome

    def _message(self, event: Mapping[str, Any], workspace: str, model: LoadedModel) -> Outcome:
        message = read_message(event, self.config.channels, self.own_ids)
        if message.kind == "request":
            return self.new_request(message, workspace, model)
        if message.kind == "reply":
            return self._response(message, workspace)
        if message.kind == "edit":
            return self._edit(message, workspace, model)
        if message.kind == "delete":
            return self._delete(message, workspace, model)
        return Outcome(f"ignored: {message.reason}")

    def new_request(
        self, message: Message, workspace: str, model: LoadedModel | None = None
    ) -> Outcome:
        """Store (redacted), suggest, reply in the thread; a second delivery changes nothing."""
        model = model or self.model
        text = store_text(message.text, self.config.redactor)
        composed = self.compose(text, workspace, message.channel, message.ts, model)
        row = {
            "workspace": workspace,
            "channel": message.channel,
            "ts": message.ts,
            "thread_ts": message.ts,
            "requester": message.user,
            "requester_team": message.team,
            "text": text,
            "source": message.source,
            "created_at": ts_datetime(message.ts),
            "original_topic": message.topic,
            "final_topic": message.topic,
            "label_source": LabelSource.FORM if message.topic else None,
            "status": RequestStatus.OPEN,
            "resolution": None,
            "deleted": False,
            "docs_holdout": composed.holdout,
        }
        with transaction(self.engine) as session:
            record_seen(session, workspace, message.channel, message.ts)
            inserted = insert_new_requests(session, [row])
            request = find_request(session, workspace, message.channel, message.ts)
            assert request is not None
            if inserted and composed.suggestion is not None:
                self._record(session, request, composed)
            if inserted:
                self._route(session, request)
            request_id, replied = request.id, request.reply_ts is not None
        suggested = composed.suggestion if inserted else None
        abstained = None if suggested is None else suggested.abstained
        if self.slack is None or self.config.shadow:
            return Outcome("recorded" if inserted else "duplicate", request_id, abstained)
        if replied:
            return Outcome("duplicate: already replied", request_id)
        posted = self._post_reply(request_id, model)
        unclassified = composed.suggestion is not None and composed.suggestion.abstained
        if posted and unclassified and message.topic is None:  # a form's topic needs no nudge
            self._nudge(message.channel, message.user)
        done = "replied" if posted else "duplicate: reply in progress"
        return Outcome(done, request_id, abstained)

    def _record(self, session: Session, request: Request, composed: Composed) -> None:
        suggestion = composed.suggestion
        assert suggestion is not None
        record_suggestion(
            session,
            request,
            topic=suggestion.topic,
            confidence=suggestion.confidence,
            abstained=suggestion.abstained,
            model_version=suggestion.model_version,
            links=composed.links,
            holdout=composed.holdout,
        )
        session.flush()
        session.refresh(request)

    def _post_reply(self, request_id: int, model: LoadedModel) -> bool:
        """Post the reply unless it is posted or someone's live claim is posting it.

        A claim taken over from an expired one first looks for the reply in the thread (the
        earlier post may have reached Slack) and adopts it. A failure Slack says posted nothing
        releases the claim; any other failure keeps it until it expires, for the catch-up.
        """
        assert self.slack is not None
        with transaction(self.engine) as session:
            claim = claim_reply(session, request_id, self.owner, self.now(), self.config.lease)
            if claim is None:
                return False
            request = session.get(Request, request_id)
            assert request is not None
            text, content = blocks.reply(self.view(session, request, model))
            channel, ts = request.channel, request.ts
        found = self.slack.find_reply(channel, ts, request_id) if claim.taken_over else None
        try:
            reply_ts = found or self.slack.post(
                channel, text, content, thread_ts=ts, metadata=blocks.reply_metadata(request_id)
            )
        except NotPosted:
            with transaction(self.engine) as session:
                release_reply(session, request_id, self.owner)
            raise
        with transaction(self.engine) as session:
            set_reply(session, request_id, reply_ts)
        if found:
            log.info("request %s: adopted the reply already in its thread", request_id)
        return True

    def _nudge(self, channel: str, user: str | None) -> None:
        """A private hint, at most once a day per person, when the bot could not classify."""
        if self.slack is None or not user:
            return
        with transaction(self.engine) as session:
            first = first_nudge_today(session, user, self.now().date().isoformat())
        if not first:
            return
        try:  # the reply is out; a nudge that fails (user not in channel) is not worth a retry
            self.slack.ephemeral(channel, user, blocks.NUDGE.format(channel=channel))
        except Exception as exc:
            log.warning("nudge not sent: %s", type(exc).__name__)

    def forget_old_events(self, older_than: timedelta = timedelta(days=7)) -> int:
        """Drop remembered event ids older than ``older_than``: Slack retries for minutes, so a
        week is plenty, and the table stays small without a separate `db prune-events` job."""
        with transaction(self.engine) as session:
            return prune_events(session, self.now() - older_than)

    def catch_up(self) -> int:
        """Post the replies that never went out: a Slack outage longer than the client's
        retries, or a process stopped between storing a request and answering it.

        Only live requests (not imported ones) in the watched channels, not deleted, created
        within ``config.catch_up`` and with no live claim (an expired one is retried), so
        nothing is answered twice and nothing old is answered late. Returns how many replies
        were posted (or found in their thread).
        """
        if self.slack is None or self.config.shadow or not self.config.catch_up:
            return 0
        since, model = self.now() - self.config.catch_up, self.model
        with transaction(self.engine) as session:
            waiting = unanswered_requests(session, self.config.channels, since, self.now())
        return sum(self._post_reply(request_id, model) for request_id in waiting)

    def _response(self, message: Message, workspace: str) -> Outcome:
        """Every human reply in a request's thread is stored once (the effort); one by someone
        else (`messages.staff_reply`) is its first response."""
        assert message.thread_ts is not None
        with transaction(self.engine) as session:
            request = find_request(session, workspace, message.channel, message.thread_ts)
            if request is None:
                return Outcome("ignored: reply in an untracked thread")
            when = ts_datetime(message.ts)
            staff = staff_reply(message.user, request.requester)
            reply = {
                "request_id": request.id, "workspace": workspace, "channel": message.channel,
                "ts": message.ts, "user_id": message.user, "is_staff": staff,
                "posted_at": when, "length": len(message.text),
            }  # fmt: skip
            insert_thread_replies(session, [reply], self.config.effort)
            if not staff:
                return Outcome("ignored: the requester's own reply", request.id)
            assert message.user is not None  # a staff reply has an author
            if not record_first_response(session, request.id, message.user, when):
                return Outcome("ignored: already answered", request.id)
            return Outcome("first response", request.id)

    def _reaction(self, event: Mapping[str, Any], workspace: str, model: LoadedModel) -> Outcome:
        item = event.get("item") or {}
        channel, ts, user = item.get("channel"), item.get("ts"), event.get("user")
        if item.get("type") != "message" or channel not in self.config.channels or not ts:
            return Outcome("ignored: not a support request")
        if not user or user in self.own_ids:
            return Outcome("ignored: own reaction")
        when = ts_datetime(str(event.get("event_ts") or ts))
        resolving = str(event.get("reaction", "")).split("::")[0] == self.config.resolved_reaction
        with transaction(self.engine) as session:
            request = find_request(session, workspace, channel, ts)
            if request is None:
                return Outcome("ignored: not a tracked request")
            done = []
            if staff_reply(user, request.requester) and record_first_response(
                session, request.id, user, when
            ):
                done.append("first response")
            if (
                resolving
                and self.may_change(user, request)
                and request.status != RequestStatus.RESOLVED
            ):
                self._resolve(session, request, user, "resolve_reaction", when)
                done.append("resolved")
            if not done:
                return Outcome("ignored: nothing to record", request.id)
            request_id = request.id
        if "resolved" in done:
            self._refresh(request_id, model)
        return Outcome(" + ".join(done), request_id)

    def _resolve(
        self, session: Session, request: Request, user: str, action: str, when: datetime
    ) -> None:
        request.status = RequestStatus.RESOLVED
        request.resolution = request.resolution or Resolution.HUMAN
        request.resolved_at = request.resolved_at or when
        log_feedback(session, request, user, action)

    def _edit(self, message: Message, workspace: str, model: LoadedModel) -> Outcome:
        """An edited request keeps its row; an unlabelled one is re-suggested, its reply updated."""
        with transaction(self.engine) as session:
            request = find_request(session, workspace, message.channel, message.ts)
            if request is None or request.deleted:
                return Outcome("ignored: edit of an untracked message")
            request.text = store_text(message.text, self.config.redactor)
            if request.label_source not in (None, LabelSource.MODEL):
                return Outcome("edited (labelled: topic kept)", request.id)
            composed = self.compose(request.text, workspace, request.channel, request.ts, model)
            if composed.suggestion is not None:
                self._record(session, request, composed)
            routed = self._route(session, request)
            request_id = request.id
        self._refresh(request_id, model)
        if routed:
            self._notify(request_id)
        return Outcome("edited: re-suggested", request_id)

    def _delete(self, message: Message, workspace: str, model: LoadedModel) -> Outcome:
        """A deleted request is kept for the counts, its text purged."""
        with transaction(self.engine) as session:
            request = find_request(session, workspace, message.channel, message.ts)
            if request is None:
                return Outcome("ignored: delete of an untracked message")
            request.deleted, request.text = True, ""
            request_id = request.id
        self._refresh(request_id, model)
        return Outcome("deleted: text purged", request_id)

    def _refresh(self, request_id: int, model: LoadedModel) -> None:
        """Rebuild the posted reply from the stored state (chat.update)."""
        if self.slack is None or self.config.shadow:
            return
        with transaction(self.engine) as session:
            request = session.get(Request, request_id)
            if request is None or request.reply_ts is None:
                return
            text, content = blocks.reply(self.view(session, request, model))
            channel, reply_ts = request.channel, request.reply_ts
        self.slack.update(channel, reply_ts, text, content)

    # -- clicks ----------------------------------------------------------------------------------
    def may_change(self, user: str, request: Request) -> bool:
        """Only the requester or support staff may change a topic or resolve."""
        return user == request.requester or user in self.config.staff

    def handle_action(self, body: Mapping[str, Any]) -> Outcome:
        """A click on the reply: updates the store and the feedback log, then the reply."""
        action = (body.get("actions") or [{}])[0]
        action_id = action.get("action_id")
        request_id = blocks.request_id_of(action.get("block_id"))
        user = str((body.get("user") or {}).get("id") or "")
        channel = str((body.get("channel") or {}).get("id") or "")
        if request_id is None or action_id not in blocks.ACTIONS:
            return Outcome("ignored: not a supportml action")
        model = self.model
        with transaction(self.engine) as session:
            request = session.get(Request, request_id)
            if request is None or request.deleted:
                return Outcome("ignored: request not found", request_id)
            if not self.may_change(user, request):
                self._tell(channel, user, "Only the person who asked or support staff can do that.")
                return Outcome("refused: not the requester or staff", request_id)
            before = request.assigned_to, request.assigned_team
            done = self._apply(session, request, action_id, action, user, model.topics)
            routed = (request.assigned_to, request.assigned_team) != before
        if done.startswith("refused"):
            return Outcome(done, request_id)
        self._refresh(request_id, model)
        if routed:
            self._notify(request_id)
        return Outcome(done, request_id)

    def _apply(
        self,
        session: Session,
        request: Request,
        action_id: str,
        action: Mapping[str, Any],
        user: str,
        topics: Sequence[str],
    ) -> str:
        if action_id == blocks.CONFIRM:
            if not request.predicted_topic or request.abstained:
                return "refused: nothing to confirm"
            request.final_topic, request.label_source = request.predicted_topic, LabelSource.HUMAN
            log_feedback(session, request, user, "confirm", request.predicted_topic)
            self._route(session, request)
            return "confirmed"
        if action_id == blocks.CHANGE_TOPIC:
            topic = str((action.get("selected_option") or {}).get("value") or "")
            if topic not in topics:
                return "refused: unknown topic"
            request.final_topic, request.label_source = topic, LabelSource.HUMAN
            log_feedback(session, request, user, "change_topic", topic)
            self._route(session, request)
            return "topic changed"
        if action_id == blocks.REASSIGN:
            return self._reassign(session, request, action, user)
        if action_id == blocks.DOCS_SOLVED:
            record_doc_feedback(session, request, None, DocFeedback.RESOLVED, user)
            return "resolved by docs"
        if action_id == blocks.NEED_HELP:
            record_doc_feedback(session, request, None, DocFeedback.NOT_HELPFUL, user)
            return "docs not helpful"
        if request.status == RequestStatus.RESOLVED:
            return "refused: already resolved"
        self._resolve(session, request, user, "resolve", self.now())
        return "resolved"

    # -- routing ---------------------------------------------------------------------------------
    def _route(self, session: Session, request: Request) -> bool:
        """Assign the request to its effective topic's owner and name who is on support there
        now, unless a person reassigned it; True when the assignment changed."""
        owners = self.config.ownership
        if owners is None:
            return False
        team = owners.team_for(request.final_topic)
        on_support = owners.on_support(team, self.now()) if team else None
        return route_request(session, request, team, on_support)

    def _reassign(
        self, session: Session, request: Request, action: Mapping[str, Any], user: str
    ) -> str:
        """A person picks the team (the model abstained) or moves it to another one."""
        owners = self.config.ownership
        wanted = str((action.get("selected_option") or {}).get("value") or "")
        team = owners.team(wanted) if owners else None
        if owners is None or team is None:
            return "refused: unknown team"
        if team.name == request.assigned_team:
            return "refused: already with that team"
        on_support = owners.on_support(team.name, self.now())
        reassign_request(session, request, team.name, on_support, user)
        return "reassigned"

    def _notify(self, request_id: int) -> None:
        """Tell the on-support person, in the thread, that a request whose reply is out now
        belongs to their team (a reply edited by chat.update notifies nobody)."""
        if self.slack is None or self.config.shadow:
            return
        with transaction(self.engine) as session:
            request = session.get(Request, request_id)
            if request is None or request.reply_ts is None or not request.assigned_to:
                return
            team, person = request.assigned_team or "", request.assigned_to
            channel, ts = request.channel, request.ts
        text = blocks.routed_to(team, person)
        section = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
        self.slack.post(channel, text, [section], thread_ts=ts)

    def _tell(self, channel: str, user: str, text: str) -> None:
        if self.slack is not None and channel and user:
            self.slack.ephemeral(channel, user, text)

    # -- intake ----------------------------------------------------------------------------------
    @property
    def intake_channel(self) -> str:
        return self.config.intake_channel or sorted(self.config.channels)[0]

    def intake_view(self, text: str = "") -> dict[str, Any]:
        """The /support modal; with text, the summary is filled in and the topic pre-selected.

        The command's text comes escaped (``&amp;``); the modal shows it as the person typed it.
        """
        model, suggested = self.model, None
        clean = store_text(text, self.config.redactor) if text.strip() else ""
        if clean:
            suggestion = model.suggester.suggest(clean, explain=False)
            suggested = None if suggestion.abstained else suggestion.topic
        summary = unescape(text).strip()
        return blocks.intake_modal(model.topics, self.intake_channel, summary, suggested)

    def submit_intake(self, body: Mapping[str, Any], model: LoadedModel | None = None) -> Outcome:
        """Post a submitted form to the support channel on the user's behalf and track it
        (with ``model``, the one its topic was checked against)."""
        assert self.slack is not None
        model = model or self.model
        view = body.get("view") or {}
        values = (view.get("state") or {}).get("values") or {}
        summary, topic = intake_values(values)
        user = str((body.get("user") or {}).get("id") or "")
        team = (body.get("team") or {}).get("id") or body.get("team_id")
        channel = view.get("private_metadata") or self.intake_channel
        text, content = blocks.form_post(user, summary, topic)
        ts = self.slack.post(channel, text, content)
        message = Message("request", channel, ts, summary, user, Source.FORM, topic)
        return self.new_request(message, team or self.config.workspace, model)


def intake_values(values: Mapping[str, Any]) -> tuple[str, str | None]:
    """(summary, topic or None) from a submitted intake modal's state."""
    summary_state = (values.get(blocks.SUMMARY_BLOCK) or {}).get(blocks.SUMMARY_INPUT) or {}
    topic_state = (values.get(blocks.TOPIC_BLOCK) or {}).get(blocks.TOPIC_INPUT) or {}
    summary = str(summary_state.get("value") or "").strip()
    topic = (topic_state.get("selected_option") or {}).get("value")
    return summary, topic


def intake_errors(values: Mapping[str, Any], topics: Sequence[str]) -> dict[str, str]:
    """Field errors Slack shows in the modal (a required summary, a known topic)."""
    summary, topic = intake_values(values)
    errors = {}
    if not summary:
        errors[blocks.SUMMARY_BLOCK] = "Please describe what you need help with."
    if topic is not None and topic not in topics:
        errors[blocks.TOPIC_BLOCK] = "Pick one of the listed topics."
    return errors
