"""Posting the live follow-up: reminders in threads, escalations in a channel, each at most once.

`supportml.followup` decides what is due; this module claims it in the store, posts it and
records it. Exactly once follows the reply's design (`handlers.Responder._post_reply`): the
claim is a compare-and-set with an owner and an expiry (`repository.claim_follow_up`), so of two
replicas or two rounds one posts; a post Slack says failed releases the claim; any other failure
(a timeout, a crash) keeps it until it expires, and whoever takes it over first looks for the
message in Slack by the metadata it carries and adopts it instead of posting again.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from supportml import followup
from supportml.followup import Due, Policy, Waiting, Who
from supportml.slack.handlers import NotPosted
from supportml.store import transaction
from supportml.store.repository import (
    claim_follow_up,
    release_follow_up,
    set_follow_up,
    waiting_requests,
)
from supportml.vocabulary import FollowUpKind

if TYPE_CHECKING:
    from supportml.slack.app import WebPort

log = logging.getLogger("supportml.slack.followup")

EVENT = "supportml_follow_up"  # message metadata naming the request and the kind


def metadata(request_id: int, kind: str) -> dict[str, Any]:
    return {"event_type": EVENT, "event_payload": {"request_id": request_id, "kind": kind}}


def is_follow_up(message: dict[str, Any], request_id: int, kind: str) -> bool:
    found = message.get("metadata") or {}
    payload = found.get("event_payload") or {}
    return (
        found.get("event_type") == EVENT
        and payload.get("request_id") == request_id
        and payload.get("kind") == kind
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


class FollowUps:
    """One responder's follow-up: `run` posts what is due now (called every minute or so).

    ``escalation_channel`` None means no escalations, whatever the policy says."""

    def __init__(
        self,
        engine: Engine,
        slack: WebPort,
        policy: Policy,
        channels: Iterable[str],
        who: Who = followup.nobody,
        escalation_channel: str | None = None,
        lease: timedelta = timedelta(minutes=2),
        now: Callable[[], datetime] = _utc_now,
    ):
        self.engine, self.slack, self.who = engine, slack, who
        self.policy, self.channels = policy, frozenset(channels)
        self.escalation_channel, self.lease, self.now = escalation_channel, lease, now
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"

    def run(self) -> Counter[str]:
        """Post the reminders and escalations due now; returns how many of each were posted
        (or found already posted). One that fails is logged and tried again next round."""
        now = self.now()
        with transaction(self.engine) as session:
            rows = waiting_requests(session, self.channels, self.policy.since(now))
        posted: Counter[str] = Counter()
        for item in followup.due([Waiting(*row) for row in rows], self.policy, now):
            if item.kind == FollowUpKind.ESCALATION and not self.escalation_channel:
                continue
            try:
                if self._post(item):
                    posted[item.kind] += 1
            except Exception as exc:  # the next round tries again (a kept claim once it expires)
                log.error(
                    "%s for request %s failed: %s", item.kind, item.request.request_id,
                    type(exc).__name__,
                )  # fmt: skip
        return posted

    def _post(self, item: Due) -> bool:
        request, kind = item.request, item.kind
        with transaction(self.engine) as session:
            claim = claim_follow_up(
                session, request.request_id, kind, self.owner, self.now(), self.lease
            )
        if claim is None:
            return False
        found = self._find(item) if claim.taken_over else None
        try:
            ts = found or self._send(item)
        except NotPosted:
            with transaction(self.engine) as session:
                release_follow_up(session, request.request_id, kind, self.owner)
            raise
        with transaction(self.engine) as session:
            set_follow_up(session, request.request_id, kind, ts, self.now())
        log.info("request %s: %s %s", request.request_id, kind, "adopted" if found else "posted")
        return True

    def _send(self, item: Due) -> str:
        request, meta = item.request, metadata(item.request.request_id, item.kind)
        if item.kind == FollowUpKind.REMINDER:
            text = followup.reminder_text(item, self.who)
            return self.slack.post(
                request.channel, text, _section(text), thread_ts=request.thread_ts, metadata=meta
            )
        assert self.escalation_channel is not None
        link = request.permalink or str(
            self.slack.client.chat_getPermalink(
                channel=request.channel, message_ts=request.thread_ts
            )["permalink"]
        )
        text = followup.escalation_text(item, link, self.who)
        return self.slack.post(self.escalation_channel, text, _section(text), metadata=meta)

    def _find(self, item: Due) -> str | None:
        """The message an expired claim may have posted (a timeout after Slack took it)."""
        request, client = item.request, self.slack.client
        if item.kind == FollowUpKind.REMINDER:
            response = client.conversations_replies(
                channel=request.channel, ts=request.thread_ts, include_all_metadata=True,
                limit=200,
            )  # fmt: skip
        else:
            assert self.escalation_channel is not None  # `run` skips escalations without one
            response = client.conversations_history(
                channel=self.escalation_channel, include_all_metadata=True, limit=200,
                oldest=f"{request.created_at.timestamp():.6f}",
            )  # fmt: skip
        for message in response.get("messages") or ():
            if is_follow_up(message, request.request_id, item.kind):
                return str(message["ts"])
        return None


def _section(text: str) -> list[dict[str, Any]]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
