"""Write imported records into the store in atomic batches, idempotently, with a summary.

A batch commits whole or not at all; a failure mid-file keeps earlier batches, and a re-run
counts those as duplicates and carries on, so nothing is ever half-written or written twice.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from supportml.effort import EffortModel
from supportml.ingest import duplicates
from supportml.ingest.records import ImportedReply, ImportedRequest, Skipped
from supportml.ingest.topics_map import apply_maps
from supportml.store import repository, transaction
from supportml.vocabulary import ImportStatus, LabelSource, RequestStatus


@dataclass
class ImportSummary:
    """What an import did: every record read is imported, a duplicate, or skipped with a reason."""

    read: int = 0
    imported: int = 0
    duplicate: int = 0  # already stored; ``enriched`` of them gained fields they lacked
    enriched: int = 0
    replies: int = 0  # thread replies stored (those already stored are not counted again)
    merged: int = 0  # duplicates: rows without a link that are a stored message (`duplicates`)
    merged_closest: int = 0  # of them, matched several messages; the closest was taken
    merged_examples: list[str] = field(default_factory=list)  # "origin -> channel ts"
    skipped: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)  # a few origins per skip reason
    seconds: float = 0.0
    run_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "imported": self.imported,
            "duplicate": self.duplicate,
            "enriched": self.enriched,
            "replies": self.replies,
            "merged": self.merged,
            "merged_closest": self.merged_closest,
            "merged_examples": self.merged_examples,
            "skipped": sum(self.skipped.values()),
            "skipped_by_reason": dict(self.skipped.most_common()),
            "skipped_examples": self.examples,
            "seconds": round(self.seconds, 3),
            "run_id": self.run_id,
        }


def _status(record: ImportedRequest) -> str:
    if record.resolved_at is not None or record.resolution is not None:
        return RequestStatus.RESOLVED
    if record.first_response_at is not None or record.first_responder is not None:
        return RequestStatus.ANSWERED
    return RequestStatus.OPEN


def row_of(
    record: ImportedRequest, clean: Callable[[str], str], maps: list[dict[str, str]]
) -> dict[str, Any]:
    """The requests row for a record: text cleaned (redacted), labels mapped, raw label kept."""
    topic = apply_maps(record.topic, maps)
    return {
        "workspace": record.workspace,
        "channel": record.channel,
        "ts": record.ts,
        "thread_ts": record.thread_ts,
        "requester": record.requester,
        "requester_team": record.requester_team,
        "text": clean(record.text),
        "source": record.source,
        "created_at": record.created_at,
        "external_id": record.external_id,
        "permalink": record.permalink,
        "docs_holdout": False,
        "original_topic": record.topic,
        "final_topic": topic,
        "label_source": (record.label_source or LabelSource.IMPORT) if topic else None,
        "status": _status(record),
        "first_response_at": record.first_response_at,
        "first_responder": record.first_responder,
        "resolved_at": record.resolved_at,
        "resolution": record.resolution,
        "deleted": False,
    }


def _key(row: dict[str, Any]) -> tuple[str, str, str]:
    return row["workspace"], row["channel"], row["ts"]


def _merge_unlinked(
    session: Session, rows: list[dict[str, Any]], origins: dict[int, str], summary: ImportSummary
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split ``rows`` into those stored under their own key and those re-keyed onto the stored
    message they duplicate (``origins``: id(row) -> origin for the rows without a link).

    A link-less row already stored under its own key stays itself, so a re-import changes
    nothing; the others are matched against one query's candidates for the whole batch.
    """
    loose = [row for row in rows if id(row) in origins]
    own = repository.existing_keys(session, [_key(row) for row in loose])
    loose = [row for row in loose if _key(row) not in own]
    if not loose:
        return rows, []
    workspaces = {row["workspace"] for row in loose}
    found = repository.requests_within(
        session, workspaces, duplicates.windows(row["created_at"] for row in loose)
    )
    candidates = [
        duplicates.Candidate((w, c, ts), who, team, created, text)
        for w, c, ts, who, team, created, text in found
    ]
    teams: dict[str, set[str]] = {}
    wanted = (
        {c.requester for c in candidates if c.requester}
        if any(not row["requester"] for row in loose)
        else set()
    )
    for requester, team in repository.requester_teams(session, workspaces, wanted):
        teams.setdefault(requester, set()).add(duplicates.team_key(team))
    keep, moved = [], []
    matched = {id(row) for row in loose}
    for row in rows:
        if id(row) not in matched:
            keep.append(row)
            continue
        match, count = duplicates.best_match(row, candidates, teams)
        if match is None:
            keep.append(row)
            continue
        workspace, channel, ts = match.key
        moved.append(row | {"workspace": workspace, "channel": channel, "ts": ts})
        summary.merged += 1
        summary.merged_closest += count > 1
        if len(summary.merged_examples) < 3:
            summary.merged_examples.append(f"{origins[id(row)]} -> {channel} {ts}")
    return keep, moved


def _store_replies(
    session: Session,
    threads: dict[tuple[str, str, str], tuple[ImportedReply, ...]],
    effort: EffortModel,
) -> int:
    """Store the batch's thread replies under their (now stored) requests; new replies stored."""
    if not threads:
        return 0
    ids = repository.request_ids(session, threads)
    rows = [
        {
            "request_id": ids[key],
            "workspace": key[0],
            "channel": key[1],
            "ts": reply.ts,
            "user_id": reply.user,
            "is_staff": reply.staff,
            "posted_at": reply.posted_at,
            "length": reply.length,
        }  # fmt: skip
        for key, replies in threads.items()
        if key in ids
        for reply in replies
    ]
    return repository.insert_thread_replies(session, rows, effort)


def import_records(
    engine: Engine,
    kind: str,
    source: str,
    items: Iterable[ImportedRequest | Skipped],
    clean: Callable[[str], str],
    batch_size: int = 2000,
    advance: Callable[[int], None] | None = None,
    effort: EffortModel | None = None,
) -> ImportSummary:
    """Store every new request from ``items`` and their threads' replies (the replies not stored
    yet; ``effort`` turns them into each request's staff time); ``clean`` redacts text before
    it is written."""
    summary = ImportSummary()
    start = time.perf_counter()
    with transaction(engine) as session:
        summary.run_id = repository.start_import(session, kind, source)
        maps = repository.topic_maps(session)
    batch: dict[tuple[str, str, str], dict[str, Any]] = {}
    origins: dict[int, str] = {}  # id(row) -> origin, for rows without a link
    channel_names: dict[tuple[str, str], str] = {}
    threads: dict[tuple[str, str, str], tuple[ImportedReply, ...]] = {}

    def flush() -> None:
        with transaction(engine) as session:
            rows, moved = _merge_unlinked(session, list(batch.values()), origins, summary)
            new, enriched = repository.merge_requests(session, rows)
            while moved:  # one statement may update a row once: one row per message a round
                taken: dict[tuple[str, str, str], dict[str, Any]] = {}
                for row in moved:
                    taken.setdefault(_key(row), row)
                more, also = repository.merge_requests(session, list(taken.values()))
                new, enriched = new + more, enriched + also
                done = {id(row) for row in taken.values()}
                moved = [row for row in moved if id(row) not in done]
            repository.save_channel_names(session, channel_names)
            summary.replies += _store_replies(session, threads, effort or EffortModel())
        summary.imported += new
        summary.duplicate += len(batch) - new
        summary.enriched += enriched
        batch.clear()
        origins.clear()
        threads.clear()

    try:
        for item in items:
            summary.read += 1
            if isinstance(item, Skipped):
                summary.skipped[item.reason] += 1
                examples = summary.examples.setdefault(item.reason, [])
                if len(examples) < 3:
                    examples.append(item.origin)
            else:
                if item.channel_name:
                    channel_names[item.workspace, item.channel] = item.channel_name
                key = (item.workspace, item.channel, item.ts)
                if key in batch:
                    summary.duplicate += 1  # the same message twice in one source
                else:
                    row = row_of(item, clean, maps)
                    row["import_run_id"] = summary.run_id
                    batch[key] = row
                    if not item.linked:
                        origins[id(row)] = item.origin
                    if item.replies:
                        threads[key] = item.replies
                if len(batch) >= batch_size:
                    flush()
            if advance is not None and summary.read % 1000 == 0:
                advance(1000)
        if batch:
            flush()
        if advance is not None:
            advance(summary.read % 1000)
    except BaseException:
        summary.seconds = time.perf_counter() - start
        with transaction(engine) as session:
            repository.finish_import(
                session, summary.run_id, ImportStatus.FAILED, summary.to_dict()
            )
        raise
    summary.seconds = time.perf_counter() - start
    with transaction(engine) as session:
        repository.finish_import(session, summary.run_id, ImportStatus.DONE, summary.to_dict())
    return summary
