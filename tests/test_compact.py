"""The compact export: numpy alone gives what the pipeline gives for one text, and it is
guarded like the pipeline (sha256 in the card, refused when tampered with or missing)."""

import io
import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from supportml.compact import OneTextClassifier, Weights, char_wb_analyzer, word_analyzer
from supportml.model import (
    PLEASANTRIES,
    WORD_TOKENS,
    ModelError,
    ModelParams,
    TopicClassifier,
    load,
    load_one_text,
    publish,
    read_card,
    save,
    sha256_file,
)
from supportml.text import model_text
from tests.conftest import ROOT

BANKING77 = Path(os.environ.get("BANKING77_DIR", ROOT.parent / "shared" / "data" / "banking77"))
TEXTS = st.lists(
    st.sampled_from([*"aAbZé日 \t\n\r\x0b\x00-_'.,!", "ab", "thanks", "PLS", "  "]), max_size=40
).map("".join)


@settings(max_examples=150, deadline=None)
@given(TEXTS, st.sampled_from([(1, 1), (1, 2), (2, 3), (1, 4)]))
def test_the_analyzers_give_sklearns_ngrams_in_sklearns_order(text, ngrams):
    word = TfidfVectorizer(ngram_range=ngrams, token_pattern=WORD_TOKENS, stop_words=PLEASANTRIES)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=ngrams)
    ours = word_analyzer(ngrams, WORD_TOKENS, frozenset(PLEASANTRIES), lowercase=True)
    assert ours(text) == word.build_analyzer()(text)
    assert char_wb_analyzer(ngrams, lowercase=True)(text) == char.build_analyzer()(text)


def _round_trip(classifier: TopicClassifier) -> OneTextClassifier:
    buffer = io.BytesIO()
    classifier.weights().write(buffer)
    buffer.seek(0)
    return OneTextClassifier(Weights.read(buffer), classifier.temperature, classifier.max_chars)


def _sample() -> list[tuple[str, str]]:
    frame = pd.read_csv(ROOT / "datasets" / "sample_requests.csv")
    return list(zip(frame["text"].map(model_text), frame["topic"], strict=True))


def _banking77() -> list[tuple[str, str]]:
    if not (BANKING77 / "train.csv").is_file():
        pytest.skip(f"BANKING77 not found at {BANKING77} (set BANKING77_DIR)")
    frame = pd.read_csv(BANKING77 / "train.csv").sample(2000, random_state=0)
    return list(zip(frame["text"].map(model_text), frame["category"], strict=True))


@pytest.mark.parametrize("rows", [_sample, _banking77], ids=["sample", "banking77"])
def test_the_numpy_path_suggests_what_the_sklearn_path_suggests(rows):
    """Every text of the data, with the default parameters: the same n-grams, the same topics,
    the same probabilities (to 1e-12) and the same explanations."""
    data = rows()
    texts, labels = [t for t, _ in data], [label for _, label in data]
    fitted = TopicClassifier.fit(texts, labels, ModelParams(max_iter=8))
    fitted.temperature = 0.7
    numpy_only = _round_trip(fitted)
    assert numpy_only.labels == fitted.labels
    worst = 0.0
    for i, text in enumerate(texts):
        for ours, theirs in zip(numpy_only.weights.blocks, fitted.weights().blocks, strict=True):
            assert ours.analyzer(text) == theirs.analyzer(text)
        expected, got = fitted.predict_proba_one(text), numpy_only.predict_proba_one(text)
        assert expected.argmax() == got.argmax()
        worst = max(worst, float(np.abs(expected - got).max()))
        if i % 10 == 0:
            assert numpy_only.explain(text) == fitted.explain(text)
    assert worst <= 1e-12


def test_load_one_text_reads_the_compact_file_and_suggests_the_same(trained):
    one, card = load_one_text(trained.model_dir)
    assert isinstance(one, OneTextClassifier) and card.compact.startswith("compact-")
    assert card.compact_sha256 == sha256_file(trained.model_dir / card.compact)
    clf = trained.classifier
    for text in ["staging deploy failed with crashloop", "", "zzz", "approve my PR please"]:
        assert np.array_equal(one.predict_proba_one(text), clf.predict_proba_one(text))
        assert one.explain(text) == clf.explain(text)


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir()
    card = read_card(src)
    for name in (card.artifact, card.compact, "model_card.json"):
        (dst / name).write_bytes((src / name).read_bytes())
    return dst


def test_a_tampered_or_missing_compact_file_is_refused(trained, tmp_path):
    model = _copy(trained.model_dir, tmp_path / "m")
    compact = model / read_card(model).compact
    data = bytearray(compact.read_bytes())
    data[len(data) // 2] ^= 0xFF
    compact.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match the model card's.*refusing to load"):
        load_one_text(model)
    compact.unlink()
    with pytest.raises(ModelError, match="model artifact missing"):
        load_one_text(model)


def test_an_edited_compact_name_is_refused(trained, tmp_path):
    model = _copy(trained.model_dir, tmp_path / "m")
    card = json.loads((model / "model_card.json").read_text())
    (model / "model_card.json").write_text(json.dumps({**card, "compact": "../x.npz"}))
    with pytest.raises(ModelError, match="integrity checksum does not match"):
        load_one_text(model)


def test_an_export_without_a_compact_file_loads_the_pipeline(trained, tmp_path):
    """Models exported before the compact file, and pipelines whose features the numpy
    analyzers do not reproduce, are still suggested from (through scikit-learn)."""
    custom = TopicClassifier(trained.classifier.pipeline, trained.classifier.temperature)
    custom.pipeline.named_steps["features"].transformer_list[0][1].strip_accents = "unicode"
    try:
        card = save(custom, replace(trained.card), tmp_path / "custom")
    finally:
        custom.pipeline.named_steps["features"].transformer_list[0][1].strip_accents = None
    assert card.compact == card.compact_sha256 == ""
    assert not list((tmp_path / "custom").glob("*.npz"))
    one, _ = load_one_text(tmp_path / "custom")
    assert isinstance(one, TopicClassifier)


def test_publish_and_save_carry_the_compact_file_and_prune_old_ones(trained, tmp_path):
    live = tmp_path / "live"
    card = publish(trained.model_dir, live)
    assert card.compact == trained.card.compact and (live / card.compact).is_file()
    assert isinstance(load_one_text(live)[0], OneTextClassifier)
    stale = live / "compact-000000000000.npz"
    stale.write_bytes(b"old")
    save(trained.classifier, replace(trained.card), live)
    assert not stale.exists() and load(live)[1].compact == read_card(live).compact
