"""The closed vocabularies of a request's life, each written once.

`StrEnum` members are the plain strings the store keeps ("human" == LabelSource.HUMAN), so
rows, JSON and reports read the same as before; the store's CHECK constraints are generated
from these classes (`COLUMNS`, `check`), so a value the code does not know cannot be stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Source(StrEnum):
    """Where a request came from."""

    MESSAGE = "message"  # a person's message in a support channel
    FORM = "form"  # the /support modal
    WORKFLOW = "workflow"  # a Workflow Builder form post
    SHORTCUT = "shortcut"
    IMPORT = "import"  # history: an export or a tracking sheet


class LabelSource(StrEnum):
    """Who gave a request its topic."""

    FORM = "form"  # chosen on a form
    HUMAN = "human"  # confirmed or changed by a person on the reply
    IMPORT = "import"  # found in imported history
    MODEL = "model"  # the model's own guess: never ground truth


PEOPLES_LABELS = (LabelSource.HUMAN, LabelSource.FORM)  # ground truth: a person chose the topic
# a topic someone gave (an imported label was typed by a person too): never replaced by the model
GIVEN_LABELS = (*PEOPLES_LABELS, LabelSource.IMPORT)
UNCLASSIFIED = (
    "Unclassified (model unsure)"  # the effective topic when nobody and no model gave one
)


class TopicOrigin(StrEnum):
    """Who gave a request its effective topic: what each topic row of a report splits by."""

    PEOPLE = "people"  # label source form, human or import
    MODEL = "model"  # the model's confident suggestion
    UNCLASSIFIED = "unclassified"  # the model abstained, or never saw the request


class RequestStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"  # someone other than the requester responded
    RESOLVED = "resolved"


class Resolution(StrEnum):
    """What resolved a request."""

    DOCS = "docs"
    HUMAN = "human"
    UNKNOWN = "unknown"


class DocFeedback(StrEnum):
    """What people said about a documentation link."""

    HELPFUL = "helpful"
    RESOLVED = "resolved"
    NOT_HELPFUL = "not_helpful"


class FollowUpKind(StrEnum):
    """What the responder posts about a request nobody answered (`supportml.followup`)."""

    REMINDER = "reminder"  # in the request's thread, mentioning the on-support person
    ESCALATION = "escalation"  # one line with the thread link in the escalation channel


class ImportStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


# table -> column -> the vocabulary its values come from (NULL stays allowed where the column is).
# Migration 0003 created these; a table created later checks its columns in its own migration.
COLUMNS: Mapping[str, Mapping[str, type[StrEnum]]] = {
    "requests": {
        "source": Source,
        "label_source": LabelSource,
        "status": RequestStatus,
        "resolution": Resolution,
    },
    "doc_suggestions": {"feedback": DocFeedback},
    "import_runs": {"status": ImportStatus},
}


def check(column: str, vocabulary: type[StrEnum]) -> str:
    """The SQL condition of a CHECK constraint that admits only the vocabulary's values."""
    values = ", ".join(f"'{member.value}'" for member in vocabulary)
    return f"{column} IN ({values})"
