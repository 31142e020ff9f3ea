"""`--log-format json`: one JSON object per log line, for a log collector to index.

Only the fields below are written: a record's ``extra`` keys outside `FIELDS` (and its args, which
may hold anything) never reach the line except through the formatted message, which supportml
keeps free of message texts and tokens.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

FIELDS = ("event_id", "kind", "outcome", "duration_ms")  # given with `extra=` by the responder


class JsonFormatter(logging.Formatter):
    """time (ISO 8601, UTC), level, logger, message, the `FIELDS` given, error (type) if any."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({f: getattr(record, f) for f in FIELDS if getattr(record, f, None) is not None})
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__  # not the traceback: it may quote values
        return json.dumps(line, default=str)
