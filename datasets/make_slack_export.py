#!/usr/bin/env python3
"""Write a synthetic Slack workspace export, and a manual tracking sheet, from the sample requests.

Everything written here is synthetic: the requests come from ``sample_requests.csv`` (itself
synthetic) and the replies, reactions, people and bots are made up by this script.

The export looks like the .zip a workspace admin downloads: ``channels.json``, ``users.json``
and one folder per channel with one ``YYYY-MM-DD.json`` array per day, replies filed under
their own day. Each sample request becomes a thread in its channel; around it the script adds
what a real support channel has: platform engineers replying within minutes to days (skewed to
business hours) and often again minutes later (the staff time the effort estimate counts), 👀 and
✅ reactions, "fixed now" / "closing this" replies, a docs bot's auto-answers, Workflow Builder
form posts, joins, deploy-bot chatter, edits, deleted messages and a #random channel that is not
a support channel.

Usage (from the project root)::

    python datasets/make_slack_export.py --out /tmp/export.zip   # one thread per sample row
    python datasets/make_slack_export.py --out big.zip --messages 100000 --threads 2000
    python datasets/make_slack_export.py --sheet datasets/sample_tracking_sheet.csv

Standard library only, deterministic for a seed (the zip is byte-identical). Tests and
benchmarks load it by file path and call `build_export` / `build_tracking_sheet`, which return
the plan (what each thread's first response and resolution should be read as).
"""

# No `from __future__ import annotations`: with it, dataclasses need this module in
# sys.modules, and benchmarks load it by file path without registering it.
import argparse
import csv
import datetime as dt
import hashlib
import json
import random
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLE = HERE / "sample_requests.csv"
TOPICS_MAP = HERE / "topics_map.example.yaml"
SEED = 20261127
WORKSPACE = "T0SYNTH01"
SLACK_HOST = "example-agency.slack.com"
SUPPORT_CHANNELS = {
    "C02A7QK9PLS": "platform-support",
    "C03F8RWT2XM": "platform-frontend-support",
    "C04D1EVSN6B": "platform-devops-support",
}
RANDOM_CHANNEL = ("C05RNDM0001", "random")
STAFF = [f"U0PLAT{n:03d}" for n in range(1, 13)]
DOCS_BOT = ("U0BOTDOCS", "B0DOCSBOT", "docs-helper")
DEPLOY_BOT = ("U0BOTDPLY", "B0DEPLOY1", "deploybot")
WORKFLOW_BOT = ("B0WORKFLW", "Platform support request")
ZIP_TIME = (2026, 11, 1, 0, 0, 0)
HOUR = 3600

FIRST_NAMES = [
    "Alex",
    "Sam",
    "Jordan",
    "Taylor",
    "Casey",
    "Riley",
    "Morgan",
    "Jamie",
    "Avery",
    "Quinn",
    "Drew",
    "Harper",
]
LAST_NAMES = [
    "Rivera",
    "Chen",
    "Okafor",
    "Novak",
    "Haddad",
    "Larsen",
    "Ibarra",
    "Mensah",
    "Kowalski",
    "Tanaka",
]

ASKER_FOLLOW_UPS = ["any update? :eyes:", "bumping this", "still blocked on this, any ideas?"]
ASKER_FILLERS = [
    "thanks!",
    "ok trying that now",
    "still seeing it after a rebuild",
    "that got me further but the next step fails",
    "same error on a fresh branch",
    "let me check with my team and get back to you",
    "here's the run: <https://github.com/example-agency/app/actions/runs/{n}|run {n}>",
    "sorry, wrong link, this one: <https://github.com/example-agency/app/pull/{n}|PR {n}>",
]
STAFF_FILLERS = [
    "looking",
    "can you share the full log?",
    "which environment is this?",
    "I see it, one moment",
    "try re-running the job",
    "that's a known flake, a retry usually gets past it",
    "checking with the owning team",
    "can you try clearing the cache?",
    "pinging <@{staff}> who knows this area",
    "hmm, can you post the exact command?",
]
BOT_ANSWER = (
    "I found documentation that may help: <https://docs.platform.example.gov/search?q={n}|"
    "search results>. Was your question resolved? React with :white_check_mark:"
)
STAFF_CLOSERS = [
    "closing this, let us know if it comes back",
    "this should be fixed now, it was a stale runner cache",
    "resolved: the retry went through",
]
ASKER_CLOSERS = [
    "fixed now, thanks!",
    "all set now, thank you!",
    "nvm, fixed now, my branch was off",
]
DOCS_CLOSERS = [
    "resolved: this is covered in the docs <https://docs.platform.example.gov/{slug}|here>",
    "closing this, the runbook has the steps: <https://docs.platform.example.gov/{slug}|runbook>",
]
CHATTER = [
    "Deployed `vets-api` to staging: build {n} :rocket:",
    "Nightly e2e run {n}: 3 failures, see <https://ci.platform.example.gov/runs/{n}|the run>",
    ":large_green_circle: All systems operational",
]
RANDOM_TALK = ["lunch?", "anyone at the office today?", "happy friday :tada:", "nice demo!"]


@dataclass(frozen=True)
class SampleRequest:
    id: str
    created_at: dt.datetime
    channel: str
    user: str
    team: str
    text: str
    topic: str


@dataclass
class PlannedRequest:
    """A request thread as generated: what a correct reader must find in it."""

    channel: str
    ts: str
    requester: str
    text: str
    workflow: bool = False
    topic: str | None = None  # only form posts carry a topic
    team: str | None = None  # only form posts carry a team
    first_responder: str | None = None
    first_response_ts: str | None = None  # None when the only response is a 👀 reaction
    resolution: str | None = None  # "human" / "docs"
    resolved_ts: str | None = None  # closing reply, or the last human reply for a ✅ reaction


@dataclass
class ExportPlan:
    """What `build_export` wrote: message counts and every request thread's expected reading."""

    path: Path
    messages: int
    channels: dict[str, str]
    requests: list[PlannedRequest]
    user_teams: dict[str, str]
    messages_by_channel: dict[str, int] = field(default_factory=dict)


def load_sample(path: Path = SAMPLE) -> list[SampleRequest]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            SampleRequest(
                id=row["id"],
                created_at=dt.datetime.fromisoformat(row["created_at"]),
                channel=row["channel"],
                user=row["user"],
                team=row["requester_team"],
                text=row["text"],
                topic=row["topic"],
            )
            for row in csv.DictReader(handle)
        ]


def request_ts(sample: SampleRequest, cycle: int = 0) -> int:
    """Microseconds of the request's Slack ts: stable per row (the sheet's links match it)."""
    micro = int(hashlib.sha256(f"{sample.id}/{cycle}".encode()).hexdigest(), 16) % 1_000_000
    return int(sample.created_at.timestamp()) * 1_000_000 + micro


def ts_str(micros: int) -> str:
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def permalink(channel: str, micros: int) -> str:
    return f"https://{SLACK_HOST}/archives/{channel}/p{micros}"


def business_hours(seconds: int, rng: random.Random) -> int:
    """Most replies wait for a weekday, 13:00-22:00 UTC (US working hours)."""
    when = dt.datetime.fromtimestamp(seconds, dt.UTC)
    if when.weekday() < 5 and 13 <= when.hour < 22 or rng.random() < 0.2:
        return seconds
    day = when.date() + dt.timedelta(days=1 if when.hour >= 22 else 0)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    start = dt.datetime(day.year, day.month, day.day, 13, tzinfo=dt.UTC)
    return int(start.timestamp()) + rng.randint(60, 90 * 60)


def response_delay(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.4:
        return rng.randint(2 * 60, 30 * 60)
    if roll < 0.7:
        return rng.randint(30 * 60, 3 * HOUR)
    if roll < 0.9:
        return rng.randint(3 * HOUR, 24 * HOUR)
    return rng.randint(24 * HOUR, 4 * 24 * HOUR)


class _Writer:
    """Collects messages per channel with unique timestamps, then writes the zip."""

    def __init__(self) -> None:
        self.messages: dict[str, list[tuple[int, dict]]] = defaultdict(list)
        self.used: dict[str, set[int]] = defaultdict(set)

    def ts(self, channel: str, micros: int) -> int:
        while micros in self.used[channel]:
            micros += 1
        self.used[channel].add(micros)
        return micros

    def add(self, channel: str, micros: int, message: dict) -> dict:
        message["ts"] = ts_str(micros)
        self.messages[channel].append((micros, message))
        return message

    def write(self, out: Path, channels: dict[str, str], users: list[dict]) -> dict[str, int]:
        counts: dict[str, int] = {}
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:

            def put(name: str, data: object) -> None:
                info = zipfile.ZipInfo(name, ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, json.dumps(data, indent=4, ensure_ascii=False))

            put("channels.json", [_channel_entry(cid, name) for cid, name in channels.items()])
            put("users.json", users)
            for cid, name in channels.items():
                days: dict[str, list[tuple[int, dict]]] = defaultdict(list)
                for micros, message in self.messages[cid]:
                    day = dt.datetime.fromtimestamp(micros // 1_000_000, dt.UTC).date()
                    days[day.isoformat()].append((micros, message))
                for day in sorted(days):
                    put(f"{name}/{day}.json", [m for _, m in sorted(days[day], key=_first)])
                counts[name] = len(self.messages[cid])
        return counts


def _first(item: tuple[int, dict]) -> int:
    return item[0]


def _channel_entry(cid: str, name: str) -> dict:
    return {
        "id": cid,
        "name": name,
        "created": 1609459200,
        "creator": STAFF[0],
        "is_archived": False,
        "is_general": name == "random",
        "topic": {"value": "" if name == "random" else "Ask the platform team for help"},
        "purpose": {"value": ""},
    }


def _users(requesters: dict[str, str], rng: random.Random) -> list[dict]:
    users = []
    people = [(uid, f"Software Engineer, {team}") for uid, team in sorted(requesters.items())]
    people += [(uid, "Platform Engineer") for uid in STAFF]
    for uid, title in people:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        real = f"{first} {last}"
        users.append(
            {
                "id": uid,
                "team_id": WORKSPACE,
                "name": f"{first[0]}{last}{uid[-3:]}".lower(),
                "deleted": False,
                "real_name": real,
                "is_bot": False,
                "profile": {"real_name": real, "display_name": first, "title": title},
            }
        )
    for uid, bot_id, name in (DOCS_BOT, DEPLOY_BOT):
        users.append(
            {
                "id": uid,
                "team_id": WORKSPACE,
                "name": name,
                "deleted": False,
                "is_bot": True,
                "profile": {"real_name": name, "bot_id": bot_id},
            }
        )
    return users


def _human(user: str, text: str) -> dict:
    return {
        "type": "message",
        "text": text,
        "user": user,
        "team": WORKSPACE,
        "user_team": WORKSPACE,
        "source_team": WORKSPACE,
    }


def _bot(bot: tuple[str, str, str], text: str) -> dict:
    return {
        "type": "message",
        "subtype": "bot_message",
        "text": text,
        "bot_id": bot[1],
        "username": bot[2],
        "user": bot[0],
    }


def _form_post(sample: SampleRequest, style: str) -> dict:
    """A Workflow Builder post: no ``user``, the submitter only as a mention."""
    who = f"<@{sample.user}>"
    message = {"type": "message", "subtype": "bot_message", "bot_id": WORKFLOW_BOT[0]}
    message["username"] = WORKFLOW_BOT[1]
    if style == "blocks":
        message["text"] = f"New support request from {who}"
        message["blocks"] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": message["text"]}},
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*Topic*\n{sample.topic}"},
                    {"type": "mrkdwn", "text": f"*Team*\n{sample.team}"},
                    {"type": "mrkdwn", "text": f"*Submitted by*\n{who}"},
                ],
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*Summary*\n{sample.text}"}},
        ]
    elif style == "bold":
        message["text"] = (
            f"*Topic*\n{sample.topic}\n*Team*\n{sample.team}\n*Submitted by*\n{who}\n"
            f"*Summary*\n{sample.text}"
        )
    else:
        message["text"] = (
            f"{who} submitted a support request\nTopic: {sample.topic}\nTeam: {sample.team}\n"
            f"Summary: {sample.text}"
        )
    return message


def build_export(
    out: str | Path,
    *,
    messages: int | None = None,
    threads: int | None = None,
    seed: int = SEED,
    sample: str | Path = SAMPLE,
) -> ExportPlan:
    """Write the export zip to ``out``; ``threads`` requests (sample rows, cycled) in ``messages``.

    ``messages`` counts everything written (requests, replies, joins, bot posts, edit events,
    #random); replies pad the threads (heavy-tailed) to reach it exactly. By default there is
    one thread per sample row and about four messages per thread.
    """
    rng = random.Random(seed)
    rows = load_sample(Path(sample))
    threads = len(rows) if threads is None else threads
    messages = threads * 4 if messages is None else messages
    span = max(r.created_at for r in rows) - min(r.created_at for r in rows) + dt.timedelta(days=1)
    writer = _Writer()
    plans: list[PlannedRequest] = []
    thread_of: dict[str, list[tuple[int, str, str, bool]]] = {}  # parent ts -> replies
    parents: dict[str, dict] = {}
    requesters: dict[str, str] = {}
    weights: list[float] = []
    first_at: list[int] = []  # staff may add filler replies after this (µs); -1: nobody may
    written = 0

    for index in range(threads):
        cycle, row = divmod(index, len(rows))
        sample_row = rows[row]
        requesters[sample_row.user] = sample_row.team
        chan = sample_row.channel
        micros = writer.ts(
            chan, request_ts(sample_row, cycle) + cycle * int(span.total_seconds()) * 10**6
        )
        t0 = micros // 1_000_000
        workflow = rng.random() < 0.12
        if workflow:
            style = rng.choice(["blocks", "blocks", "bold", "plain"])
            parent = writer.add(chan, micros, _form_post(sample_row, style))
            if style != "blocks":
                parent["team"] = WORKSPACE  # Workflow posts sometimes carry it, sometimes not
        else:
            parent = writer.add(chan, micros, _human(sample_row.user, sample_row.text))
            if rng.random() < 0.03:
                parent["subtype"] = "file_share"
                parent["files"] = [
                    {
                        "id": f"F{index:08d}",
                        "name": "screenshot.png",
                        "title": "Screenshot",
                        "mimetype": "image/png",
                    }
                ]
            if rng.random() < 0.05:
                parent["edited"] = {"user": sample_row.user, "ts": ts_str(micros + 90_000_000)}
        written += 1
        plan = PlannedRequest(chan, ts_str(micros), sample_row.user, sample_row.text, workflow)
        if workflow:
            plan.topic, plan.team = sample_row.topic, sample_row.team
        replies: list[tuple[int, str, str, bool]] = []  # (µs, user, text, bot)

        def reply(at: int, user: str, text: str, bot: bool = False, *, _r=replies, _c=chan) -> int:
            stamped = writer.ts(_c, at * 1_000_000 + rng.randint(0, 999_999))
            _r.append((stamped, user, text, bot))
            return stamped

        if rng.random() < 0.15:
            reply(
                t0 + rng.randint(20 * 60, 6 * HOUR), sample_row.user, rng.choice(ASKER_FOLLOW_UPS)
            )
        if rng.random() < 0.10:
            reply(t0 + rng.randint(2, 20), DOCS_BOT[0], BOT_ANSWER.format(n=index), bot=True)
        responder = rng.choice(STAFF)
        reactions: list[dict] = []
        staff_from = -1
        roll = rng.random()
        if roll < 0.66:  # a staff reply (and sometimes 👀 as well)
            answer_at = business_hours(t0 + response_delay(rng), rng)
            # a follow-up may have been stamped later; the answer still comes after it
            answer_at = max(answer_at, max((r[0] // 1_000_000 for r in replies), default=t0) + 1)
            stamped = reply(answer_at, responder, rng.choice(STAFF_FILLERS).format(staff=responder))
            plan.first_responder, plan.first_response_ts = responder, ts_str(stamped)
            staff_from = stamped
            if rng.random() < 0.3:
                reactions.append({"name": "eyes", "users": [responder], "count": 1})
        elif roll < 0.78:  # 👀 only
            plan.first_responder = responder
            reactions.append({"name": "eyes", "users": [responder], "count": 1})
        closing = rng.random()
        after = max((r[0] for r in replies), default=micros) // 1_000_000
        if plan.first_response_ts and closing < 0.7 or not plan.first_response_ts and closing < 0.3:
            kind = rng.random()
            if kind < 0.5:
                who = rng.choice([sample_row.user, responder])
                reactions.append({"name": "white_check_mark", "users": [who], "count": 1})
                plan.resolution = "human"
            else:
                by_staff = plan.first_response_ts is not None and kind < 0.85
                if kind >= 0.8 and plan.first_response_ts:
                    text = rng.choice(DOCS_CLOSERS).format(slug=f"guides/{index % 40}")
                    plan.resolution = "docs"
                else:
                    text = rng.choice(STAFF_CLOSERS if by_staff else ASKER_CLOSERS)
                    plan.resolution = "human"
                stamped = reply(
                    after + rng.randint(5 * 60, 2 * 24 * HOUR),
                    responder if by_staff else sample_row.user,
                    text,
                )
                plan.resolved_ts = ts_str(stamped)
        if reactions:
            parent["reactions"] = reactions
        plans.append(plan)
        parents[plan.ts] = parent
        thread_of[plan.ts] = replies
        weights.append(rng.paretovariate(1.2) * (3 if staff_from >= 0 else 1))
        first_at.append(staff_from)
        written += len(replies)

    # noise: joins, deploy-bot chatter, edit events, deleted threads, #random chatter
    chans = list(SUPPORT_CHANNELS)
    start = int(min(r.created_at for r in rows).timestamp())
    length = int(span.total_seconds()) * max(1, -(-threads // len(rows)))
    noise = {"joins": messages // 200, "chatter": messages // 100, "edits": messages // 300}
    noise["random"] = messages // 100
    noise["tombstones"] = threads // 400
    needed = written + sum(noise.values()) + 2 * noise["tombstones"]
    if messages < needed:
        raise ValueError(f"messages={messages} is too few for {threads} threads: need {needed}")
    people = sorted(requesters) + STAFF
    for _ in range(noise["joins"]):
        chan, user = rng.choice(chans), rng.choice(people)
        message = _human(user, f"<@{user}> has joined the channel")
        message["subtype"] = "channel_join"
        writer.add(chan, writer.ts(chan, (start + rng.randrange(length)) * 10**6), message)
    for n in range(noise["chatter"]):
        chan = rng.choice(chans)
        text = rng.choice(CHATTER).format(n=4000 + n)
        writer.add(
            chan, writer.ts(chan, (start + rng.randrange(length)) * 10**6), _bot(DEPLOY_BOT, text)
        )
    for _ in range(noise["edits"]):
        plan = rng.choice(plans)
        old = parents[plan.ts]
        edited = dict(old, text=old.get("text", "") + " (edited)")
        at = writer.ts(plan.channel, int(plan.ts.split(".")[0]) * 10**6 + 60 * 10**6)
        event = {
            "type": "message",
            "subtype": "message_changed",
            "hidden": True,
            "message": edited,
            "previous_message": old,
            "channel": plan.channel,
        }
        writer.add(plan.channel, at, event)
    for n in range(noise["tombstones"]):
        chan = rng.choice(chans)
        at = writer.ts(chan, (start + rng.randrange(length)) * 10**6)
        tomb = writer.add(
            chan,
            at,
            {
                "type": "message",
                "subtype": "tombstone",
                "hidden": True,
                "user": "USLACKBOT",
                "text": "This message was deleted.",
            },
        )
        tomb.update(thread_ts=tomb["ts"], reply_count=2, reply_users=[STAFF[n % len(STAFF)]])
        for k in (1, 2):
            when = writer.ts(chan, at + k * 600 * 10**6)
            message = _human(STAFF[n % len(STAFF)], "answered in DM")
            message.update(thread_ts=tomb["ts"], parent_user_id="USLACKBOT")
            writer.add(chan, when, message)
    random_id, random_name = RANDOM_CHANNEL
    for _ in range(noise["random"]):
        user = rng.choice(people)
        writer.add(
            random_id,
            writer.ts(random_id, (start + rng.randrange(length)) * 10**6),
            _human(user, rng.choice(RANDOM_TALK)),
        )
    written += sum(noise.values()) + 2 * noise["tombstones"]

    # filler replies up to the message budget, heavy-tailed across threads
    for index in rng.choices(range(threads), weights=weights, k=messages - written):
        plan = plans[index]
        base = int(plan.ts.split(".")[0])
        wait = 8 * HOUR  # mean seconds after ``base``
        if first_at[index] >= 0 and rng.random() < 0.5:
            user = plan.first_responder if rng.random() < 0.5 else rng.choice(STAFF)
            base = first_at[index] // 1_000_000
            text = rng.choice(STAFF_FILLERS).format(staff=rng.choice(STAFF))
            if rng.random() < 0.6:  # staff work in bursts: a follow-up minutes after the answer
                wait = 12 * 60
        else:
            user = plan.requester
            text = rng.choice(ASKER_FILLERS).format(n=rng.randint(1000, 99999))
        at = base + 1 + int(rng.expovariate(1 / wait))
        thread_of[plan.ts].append(
            (writer.ts(plan.channel, at * 10**6 + rng.randint(0, 999_999)), user, text, False)
        )

    for plan in plans:
        parent, replies = parents[plan.ts], thread_of[plan.ts]
        if not replies:
            continue
        replies.sort()
        parent_user = parent.get("user")
        for k, (micros, user, text, bot) in enumerate(replies):
            message = _bot(DOCS_BOT, text) if bot else _human(user, text)
            if not bot and k % 97 == 5:
                message["subtype"] = "thread_broadcast"
            message["thread_ts"] = plan.ts
            if parent_user:
                message["parent_user_id"] = parent_user
            writer.add(plan.channel, micros, message)
        parent.update(
            thread_ts=plan.ts,
            reply_count=len(replies),
            reply_users=sorted({u for _, u, _, _ in replies}),
            reply_users_count=len({u for _, u, _, _ in replies}),
            latest_reply=ts_str(replies[-1][0]),
        )
        if plan.resolution and plan.resolved_ts is None:  # ✅ reaction: last human reply
            humans = [m for m, _, _, bot in replies if not bot]
            plan.resolved_ts = ts_str(humans[-1]) if humans else None

    channels = {**SUPPORT_CHANNELS, random_id: random_name}
    counts = writer.write(Path(out), channels, _users(requesters, rng))
    return ExportPlan(Path(out), messages, channels, plans, requesters, counts)


# --- the manual tracking sheet -----------------------------------------------------------

SHEET_COLUMNS = [
    "Ticket ID",
    "Submitted by",
    "Date",
    "Team",
    "Topic",
    "Summary",
    "Link",
    "First reply time",
]


def _old_names(path: Path = TOPICS_MAP) -> dict[str, list[str]]:
    """Current topic -> the older names the topics map renames into it (a tiny YAML subset)."""
    olds: dict[str, list[str]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#") and ":" in line:
            old, new = (part.strip() for part in line.split(":", 1))
            olds[new].append(old)
    return olds


def _date_text(when: dt.datetime, rng: random.Random) -> str:
    style = rng.random()
    if style < 0.3:
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.55:
        return when.strftime("%Y-%m-%d %H:%M")
    if style < 0.75:
        return f"{when.month}/{when.day}/{when.year}"
    if style < 0.9:
        return when.strftime("%b ") + f"{when.day}, {when.year}"
    return f"{when.month}/{when.day}/{when.year} " + when.strftime("%I:%M %p").lstrip("0")


def _delay_text(seconds: int, start: dt.datetime, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return (start + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M")
    hours, minutes = divmod(seconds // 60, 60)
    if hours >= 24:
        return f"{hours // 24}d {hours % 24}h"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{max(minutes, 1)} min"


def build_tracking_sheet(
    out: str | Path, *, rows: int = 150, seed: int = SEED, sample: str | Path = SAMPLE
) -> list[dict[str, str]]:
    """Write the manual tracking sheet teams keep today: ``rows`` sample requests, messily typed.

    Links point at the same Slack ts `build_export` gives the row (cycle 0), so importing the
    sheet and an export of the same channel yields one request, not two.
    """
    rng = random.Random(seed)
    requests = load_sample(Path(sample))
    chosen = sorted(rng.sample(range(len(requests)), rows))
    olds = _old_names()
    written = []
    for number, index in enumerate(chosen, start=1):
        request = requests[index]
        micros = request_ts(request)
        summary = " ".join(request.text.split())  # pasted into one cell, newlines lost
        if len(summary) > 160:
            summary = summary[:157].rstrip() + "..."
        topic = request.topic
        if olds.get(topic) and rng.random() < 0.25:
            topic = rng.choice(olds[topic])
        elif rng.random() < 0.08:
            topic = ""
        link_roll = rng.random()
        link = permalink(request.channel, micros) if link_roll < 0.75 else ""
        if link_roll >= 0.95:
            link = f"https://github.com/example-agency/platform-support/issues/{3000 + number}"
        who = rng.random()
        submitter = request.user if who < 0.7 else f"<@{request.user}>" if who < 0.85 else ""
        date = _date_text(request.created_at, rng)
        if number in (37, 111):  # typed by hand, unreadable: the importer skips and counts these
            date, link = "last Tuesday", ""
        reply = ""
        if rng.random() < 0.7:
            reply = _delay_text(response_delay(rng), request.created_at, rng)
        team = request.team
        if rng.random() < 0.1:
            team = ""
        elif rng.random() < 0.15:
            team = team.replace("-", " ").title()
        written.append(
            {
                "Ticket ID": f"PS-{1000 + number}",
                "Submitted by": submitter,
                "Date": date,
                "Team": team,
                "Topic": topic,
                "Summary": summary,
                "Link": link,
                "First reply time": reply,
            }
        )
    with Path(out).open("w", newline="", encoding="utf-8") as handle:
        sheet = csv.DictWriter(handle, fieldnames=SHEET_COLUMNS, lineterminator="\n")
        sheet.writeheader()
        sheet.writerows(written)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="write a Slack export zip here")
    parser.add_argument("--messages", type=int, help="messages in the export (default 4/thread)")
    parser.add_argument("--threads", type=int, help="request threads (default: one per row)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--from-sample", type=Path, default=SAMPLE, help="sample requests CSV")
    parser.add_argument("--sheet", type=Path, help="write a manual tracking sheet CSV here")
    parser.add_argument("--sheet-rows", type=int, default=150)
    args = parser.parse_args(argv)
    if not args.out and not args.sheet:
        parser.error("pass --out EXPORT.zip, --sheet SHEET.csv, or both")
    if args.out:
        plan = build_export(
            args.out,
            messages=args.messages,
            threads=args.threads,
            seed=args.seed,
            sample=args.from_sample,
        )
        print(f"wrote {plan.path}: {plan.messages} messages, {len(plan.requests)} requests")
    if args.sheet:
        rows = build_tracking_sheet(
            args.sheet, rows=args.sheet_rows, seed=args.seed, sample=args.from_sample
        )
        print(f"wrote {args.sheet}: {len(rows)} rows")


if __name__ == "__main__":
    main()
