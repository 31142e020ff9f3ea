"""Load and validate labelled support requests (CSV, JSONL or a DataFrame), and split them.

Every problem names the file, the row and the field, because the person fixing it opens the file
in a spreadsheet. Rows that can be skipped (empty text or label, a repeated id, a topic with too
few examples) are skipped only when asked to, and always counted.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from supportml.errors import UserError
from supportml.redact import DEFAULT_REDACTOR, Redactor
from supportml.text import model_text

MIN_PER_CLASS = 2
#: The option that chooses each column, for the hint when a column is missing.
COLUMN_FLAGS = {"text_col": "--text-col", "label_col": "--label-col", "id_col": "--id-col"}


class DataError(UserError):
    """Input data that cannot be used as it is; the message is one line for the user."""


@dataclass(frozen=True)
class Dataset:
    """Validated requests in file order: ids, model texts (text.model_text), labels or None,
    and the values of optional ``extra_cols`` that the file fills (e.g. resolved_by_doc)."""

    ids: list[str]
    texts: list[str]
    labels: list[str | None]
    source: str
    skipped: Counter[str] = field(default_factory=Counter)
    extra: dict[str, list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def topics(self) -> list[str]:
        """The labels of a labelled data set, typed as present (read with a label column)."""
        if any(label is None for label in self.labels):
            raise ValueError(f"{self.source}: not every row has a topic")
        return [str(label) for label in self.labels]

    @property
    def classes(self) -> list[str]:
        return sorted({label for label in self.labels if label is not None})

    @property
    def fingerprint(self) -> str:
        """sha256 of the (text, label) pairs, so a run can say exactly what it was trained on."""
        digest = hashlib.sha256()
        for text, label in zip(self.texts, self.labels, strict=True):
            digest.update(text.encode())
            digest.update(b"\x1f")
            digest.update((label or "").encode())
            digest.update(b"\x1e")
        return digest.hexdigest()

    def skipped_summary(self) -> str:
        """'3 skipped: 2 empty text, 1 duplicate id' or '' when nothing was skipped."""
        if not self.skipped:
            return ""
        parts = ", ".join(f"{n} {reason}" for reason, n in sorted(self.skipped.items()))
        return f"{sum(self.skipped.values())} skipped: {parts}"


def _not_text(path: Path, encoding: str, where: str) -> DataError:
    shown = "utf-8" if encoding == "utf-8-sig" else encoding
    return DataError(f"{path}: {where}: not valid {shown} text; pass --encoding, e.g. cp1252")


def _read_csv(path: Path, encoding: str) -> Iterator[tuple[str, dict[str, str]]]:
    line = 1
    try:
        with path.open(newline="", encoding=encoding) as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames:
                raise DataError(f"{path}: empty file, expected a header row")
            if len(reader.fieldnames) == 1 and any(d in reader.fieldnames[0] for d in ";\t|"):
                raise DataError(
                    f"{path}: header {reader.fieldnames[0]!r} looks like it uses another "
                    "delimiter; supportml reads comma-separated CSV"
                )
            for record in reader:
                line = reader.line_num
                if None in record:
                    raise DataError(f"{path}: line {line}: more fields than the header has columns")
                yield f"line {line}", record
    except UnicodeDecodeError:
        raise _not_text(path, encoding, f"after line {line}") from None
    except csv.Error as err:
        raise DataError(f"{path}: line {line + 1}: malformed CSV ({err})") from None


def _read_jsonl(path: Path, encoding: str) -> Iterator[tuple[str, dict[str, str]]]:
    try:
        with path.open(encoding=encoding) as handle:
            number = 0
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as err:
                    raise DataError(f"{path}: line {number}: invalid JSON ({err.msg})") from None
                except RecursionError:  # json's parser recurses per level of [[[…]]]
                    raise DataError(f"{path}: line {number}: JSON nested too deeply") from None
                if not isinstance(record, dict):
                    raise DataError(f"{path}: line {number}: expected a JSON object")
                yield f"line {number}", {k: "" if v is None else str(v) for k, v in record.items()}
    except UnicodeDecodeError:
        raise _not_text(path, encoding, f"after line {number}") from None


def _read_frame(frame: pd.DataFrame) -> Iterator[tuple[str, dict[str, str]]]:
    for number, record in enumerate(frame.astype(object).to_dict("records"), start=1):
        yield f"row {number}", {str(k): "" if pd.isna(v) else str(v) for k, v in record.items()}


def _checked(source: str | Path, encoding: str) -> tuple[Path, str]:
    """The path, if it is a file, and the codec to read it with."""
    path = Path(source)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise DataError(f"{path}: unknown encoding {encoding!r}") from None
    return path, "utf-8-sig" if codec == "utf-8" else codec  # spreadsheets love a byte-order mark


def read_records(
    source: str | Path | pd.DataFrame, encoding: str = "utf-8"
) -> tuple[str, Iterator[tuple[str, dict[str, str]]]]:
    """(name, iterator of (location, record)) for a CSV/JSONL path or a DataFrame."""
    if isinstance(source, pd.DataFrame):
        return "<dataframe>", _read_frame(source)
    path, encoding = _checked(source, encoding)
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson"}:
        return str(path), _read_jsonl(path, encoding)
    if suffix in {".csv", ".txt"}:
        return str(path), _read_csv(path, encoding)
    raise DataError(f"{path}: unsupported file type {suffix!r}; use .csv or .jsonl")


def load_requests(
    source: str | Path | pd.DataFrame,
    *,
    text_col: str = "text",
    label_col: str | None = "topic",
    id_col: str | None = "id",
    require_id: bool = False,
    encoding: str = "utf-8",
    skip_invalid: bool = False,
    min_per_class: int = MIN_PER_CLASS,
    extra_cols: Sequence[str] = (),
    redactor: Redactor = DEFAULT_REDACTOR,
) -> Dataset:
    """Read and validate requests. ``label_col=None`` reads unlabelled data (for prediction).
    Optional ``extra_cols`` are kept as they are, unless the file has no value in them at all.
    Texts are prepared by `model_text` with ``redactor`` (the configured one: Settings.redactor).
    A file without ``id_col`` (or ``id_col=None``) gets generated ids, ``row-<line>``, unless
    ``require_id`` (the user named the column) makes that an error.

    Raises DataError naming the file, line and field for the first problem, unless
    ``skip_invalid`` is set, in which case skippable rows are dropped and counted by reason.
    """
    name, records = read_records(source, encoding)
    ids: list[str] = []
    texts: list[str] = []
    labels: list[str | None] = []
    where: list[str] = []
    extra: dict[str, list[str]] = {column: [] for column in extra_cols}
    seen_ids: dict[str, str] = {}
    skipped: Counter[str] = Counter()
    hint = " (pass --skip-invalid to skip such rows)"
    checked_columns = False

    def problem(location: str, message: str, reason: str) -> None:
        if not skip_invalid:
            raise DataError(f"{name}: {location}: {message}{hint}")
        skipped[reason] += 1

    for location, record in records:
        if not checked_columns:
            if id_col and id_col not in record and not require_id:
                id_col = None
            wanted = {"text_col": text_col, "label_col": label_col, "id_col": id_col}
            missing = [(key, c) for key, c in wanted.items() if c and c not in record]
            if missing:
                key, column = missing[0]
                raise DataError(
                    f"{name}: missing column {column!r} (columns: {', '.join(record) or 'none'}); "
                    f"choose another with {COLUMN_FLAGS[key]}"
                )
            checked_columns = True
        text = model_text(record.get(text_col) or "", redactor)
        label = (record.get(label_col) or "").strip() if label_col else None
        row_id = (record.get(id_col) or "").strip() if id_col else f"row-{location.split()[-1]}"
        if not text:
            problem(location, f"empty {text_col!r}", "empty text")
            continue
        if label_col and not label:
            problem(location, f"empty {label_col!r}", "empty label")
            continue
        if id_col and row_id in seen_ids:
            problem(
                location,
                f"duplicate {id_col} {row_id!r} (first at {seen_ids[row_id]})",
                "duplicate id",
            )
            continue
        seen_ids[row_id] = location
        ids.append(row_id)
        texts.append(text)
        labels.append(label or None)
        where.append(location)
        for column, values in extra.items():
            values.append((record.get(column) or "").strip())

    if not checked_columns:
        raise DataError(f"{name}: no rows")
    if label_col:
        counts = Counter(labels)
        rare = {label for label, n in counts.items() if label is not None and n < min_per_class}
        if rare and not skip_invalid:
            label = min(rare)
            first = where[labels.index(label)]
            raise DataError(
                f"{name}: {first}: topic {label!r} has {counts[label]} example(s), at least "
                f"{min_per_class} needed to train and evaluate{hint}"
            )
        if rare:
            keep = [i for i, label in enumerate(labels) if label not in rare]
            skipped["topic with too few examples"] += len(labels) - len(keep)
            ids, texts = [ids[i] for i in keep], [texts[i] for i in keep]
            labels = [labels[i] for i in keep]
            extra = {column: [values[i] for i in keep] for column, values in extra.items()}
        if len(set(labels)) < 2:
            raise DataError(f"{name}: need at least two topics to train, found {len(set(labels))}")
    if not texts:
        raise DataError(
            f"{name}: no usable rows ({Dataset([], [], [], name, skipped).skipped_summary()})"
        )
    extra = {column: values for column, values in extra.items() if any(values)}
    return Dataset(ids, texts, labels, name, skipped, extra)


@dataclass(frozen=True)
class Split:
    """Index arrays into a Dataset: fit the model, calibrate it, and test it on separate rows."""

    train: np.ndarray
    calibration: np.ndarray
    test: np.ndarray


def split(
    labels: Sequence[str], *, test_size: float = 0.2, calibration_size: float = 0.15, seed: int = 42
) -> Split:
    """Stratified three-way split; the calibration rows choose temperature and abstention threshold.

    Stratification falls back to a plain shuffle for topics too small to appear in every part,
    rather than refusing to train.
    """
    index = np.arange(len(labels))
    y = np.asarray(labels)

    def cut(idx: np.ndarray, size: float) -> tuple[np.ndarray, np.ndarray]:
        counts = Counter(y[idx])
        n_out = max(1, round(size * len(idx)))
        stratify = y[idx] if min(counts.values()) >= 2 and n_out >= len(counts) else None
        return train_test_split(idx, test_size=n_out, random_state=seed, stratify=stratify)

    rest, test = cut(index, test_size)
    train, calibration = cut(rest, calibration_size)
    return Split(np.sort(train), np.sort(calibration), np.sort(test))


def read_table(path: str | Path, text_col: str, encoding: str = "utf-8") -> pd.DataFrame:
    """Every column of a CSV/JSONL file as strings, for batch prediction that keeps all columns."""
    path, encoding = _checked(path, encoding)
    try:
        if path.suffix.lower() in {".jsonl", ".ndjson"}:
            frame = pd.read_json(path, lines=True, dtype=False, encoding=encoding)
            frame = frame.astype(object).where(frame.notna(), "").astype(str)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
    except UnicodeDecodeError as err:
        raise _not_text(path, encoding, f"byte {err.start}") from None
    except (ValueError, pd.errors.ParserError) as err:
        raise DataError(f"{path}: cannot parse ({str(err).splitlines()[0]})") from None
    if text_col not in frame.columns:
        columns = ", ".join(map(str, frame.columns)) or "none"
        raise DataError(f"{path}: missing column {text_col!r} (columns: {columns}); use --text-col")
    return frame
