"""The embeddings extra: what a model records, what loading refuses, and the pipeline wiring.

Most tests run without the extra: a stand-in encoder (a fixed random projection of the words)
takes the place of the sentence-transformers model, so the features, both prediction paths and
the export are checked on every install. The tests that need the real weights are skipped,
with the install command as the reason, where the extra is not installed.
"""

import hashlib
import importlib.util
import json
from dataclasses import replace

import numpy as np
import pytest

from supportml import embeddings
from supportml.data import load_requests
from supportml.model import (
    CARD_FORMAT,
    ModelError,
    ModelParams,
    card_integrity,
    load,
    read_card,
)
from supportml.train import train

ENCODER = embeddings.MINILM.name
REQUIRE = embeddings.require  # the real check, before a fixture stands in for it
INSTALLED = all(
    importlib.util.find_spec(m) is not None
    for m in ("sentence_transformers", embeddings.MINILM.package)
)


class _WordProjection:
    """Stand-in for the sentence encoder: the normalised sum of a fixed vector per word."""

    def __init__(self):
        self.vectors = {}

    def vector(self, word):
        if word not in self.vectors:
            seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "little")
            rng = np.random.default_rng(seed)
            self.vectors[word] = rng.standard_normal(embeddings.MINILM.dim)
        return self.vectors[word]

    def encode(self, texts, **_):
        out = np.zeros((len(texts), embeddings.MINILM.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row] += self.vector(word)
            out[row] /= max(float(np.linalg.norm(out[row])), 1e-9)
        return out


@pytest.fixture(scope="module")
def stand_in():
    """The extra as if installed, with the stand-in encoder, for this module's tests."""
    encoder = _WordProjection()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(embeddings, "require", embeddings.encoder)
        patch.setattr(embeddings, "_model", lambda name: encoder)
        embeddings._cache.clear()
        yield
    embeddings._cache.clear()


@pytest.fixture
def missing_extra(monkeypatch):
    """sentence-transformers not installed, whatever this environment has."""
    real = importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == "sentence_transformers" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setattr(embeddings, "require", REQUIRE)


@pytest.fixture(scope="module")
def with_embeddings(stand_in, tiny_csv, fast_params, tmp_path_factory):
    """A model with the (stand-in) embedding block, trained once; tests must not modify it."""
    params = replace(fast_params, embeddings=ENCODER, embedding_weight=2.0)
    return train(load_requests(tiny_csv), params, tmp_path_factory.mktemp("emb") / "m")


def test_the_extra_fits_the_topics_name_rows_by_default(stand_in, tiny_csv, fast_params, fits):
    from supportml.model import TopicClassifier
    from tests.conftest import name_rows_of

    data = load_requests(tiny_csv)
    TopicClassifier.fit(data.texts, data.topics, replace(fast_params, embeddings=ENCODER))
    [fitted] = fits.fitted
    assert [label for _, label in name_rows_of(fitted, data.classes)] == data.classes


def test_the_card_records_the_features_a_model_reads(trained, with_embeddings):
    assert read_card(trained.model_dir).features == ["tfidf:word", "tfidf:char"]
    card = read_card(with_embeddings.model_dir)
    assert card.features == ["tfidf:word", "tfidf:char", f"embeddings:{ENCODER}"]
    assert card.format == CARD_FORMAT and card.params["embeddings"] == ENCODER


def test_a_format_2_card_still_loads_as_a_tfidf_model(trained, tmp_path):
    model = tmp_path / "old"
    model.mkdir()
    card = json.loads((trained.model_dir / "model_card.json").read_text())
    (model / card["artifact"]).write_bytes((trained.model_dir / card["artifact"]).read_bytes())
    del card["features"]
    card["format"] = 2
    card["integrity"] = card_integrity(card)
    (model / "model_card.json").write_text(json.dumps(card))
    classifier, loaded = load(model)
    assert loaded.format == 2 and loaded.features == ["tfidf:word", "tfidf:char"]
    assert classifier.labels == trained.classifier.labels


def test_a_model_that_needs_the_extra_fails_to_load_without_it_in_one_line(
    with_embeddings, missing_extra
):
    with pytest.raises(ModelError) as refused:
        load(with_embeddings.model_dir)
    message = str(refused.value)
    assert "\n" not in message and "all-MiniLM-L6-v2" in message
    assert message.endswith("pip install 'supportml[embeddings]'")


def test_asking_for_embeddings_without_the_extra_names_the_install(missing_extra):
    with pytest.raises(ModelError, match=r"flags: .*pip install 'supportml\[embeddings\]'$"):
        ModelParams.from_mapping({"embeddings": ENCODER}, "flags")
    with pytest.raises(ModelError, match="unknown sentence encoder 'bert'.*known: all-MiniLM"):
        ModelParams.from_mapping({"embeddings": "bert"}, "flags")


def test_weights_that_differ_from_the_pinned_checksum_are_refused(tmp_path):
    good, bad = b"weights as published", b"weights as published, then edited"
    spec = replace(
        embeddings.MINILM, sha256={"model.safetensors": hashlib.sha256(good).hexdigest()}
    )
    (tmp_path / "model.safetensors").write_bytes(good)
    embeddings.verify(spec, tmp_path)  # the pinned file passes
    (tmp_path / "model.safetensors").write_bytes(bad)
    with pytest.raises(embeddings.EmbeddingsError) as refused:
        embeddings.verify(spec, tmp_path)
    assert "\n" not in str(refused.value) and "refusing to use it" in str(refused.value)
    (tmp_path / "model.safetensors").unlink()
    with pytest.raises(embeddings.EmbeddingsError, match="cannot read the all-MiniLM-L6-v2"):
        embeddings.verify(spec, tmp_path)


def test_both_prediction_paths_agree_with_the_pipeline(with_embeddings):
    clf = with_embeddings.classifier
    texts = ["staging deploy failed with crashloop", "need access to the vpn", "zzz", ""]
    expected = clf.pipeline.decision_function(texts)
    assert np.allclose(clf.decision(texts), expected, atol=1e-5)
    for text, row in zip(texts, expected, strict=True):
        assert np.allclose(clf.decision_one(text), row, atol=1e-4)
    assert all("_" not in term for term, _ in clf.explain(texts[0]))  # n-grams, no dimensions


def test_the_exported_model_loads_and_predicts_the_same(with_embeddings):
    clf, card = load(with_embeddings.model_dir)
    text = "deploy to staging failed again"
    assert np.allclose(
        clf.predict_proba_one(text), with_embeddings.classifier.predict_proba_one(text)
    )
    assert card.features[-1] == f"embeddings:{ENCODER}"


def test_the_embedding_block_is_heard(with_embeddings):
    # the block's coefficients are not zero: the logits move with the embedding
    clf = with_embeddings.classifier
    text = "deploy to staging failed again"
    block = clf.pipeline.named_steps["features"].transformer_list[-1][1]
    logits = clf.decision_one(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(block, "embed_one", lambda t: np.zeros(embeddings.MINILM.dim))
        clf._weights = None  # unpack again with the silenced block
        silenced = clf.decision_one(text)
    clf._weights = None
    assert not np.allclose(logits, silenced, atol=1e-3)


@pytest.mark.skipif(
    importlib.util.find_spec("torch") is None,
    reason=f"needs the embeddings extra: {embeddings.INSTALL}",
)
def test_one_text_is_encoded_on_one_thread_batches_on_all_and_the_setting_is_restored():
    import torch

    seen = []

    class Model:  # records what the sentence-transformers model would run with
        def encode(self, texts, **_):
            seen.append((len(texts), torch.get_num_threads(), torch.is_inference_mode_enabled()))
            if texts == ["boom"]:
                raise RuntimeError("boom")
            return np.zeros((len(texts), 3))

    threads = torch.get_num_threads()
    loaded = embeddings._Loaded(Model())
    assert loaded.encode(["one text"], batch_size=64).dtype == np.float32
    loaded.encode(["a batch", "of two"], batch_size=64)
    with pytest.raises(RuntimeError):
        loaded.encode(["boom"], batch_size=64)
    assert seen == [(1, 1, True), (2, threads, True), (1, 1, True)]
    assert torch.get_num_threads() == threads


@pytest.mark.slow
@pytest.mark.skipif(not INSTALLED, reason=f"needs the embeddings extra: {embeddings.INSTALL}")
def test_the_real_encoder_loads_offline_verified_and_embeds():
    folder = embeddings.weights_folder(embeddings.MINILM)
    embeddings.verify(embeddings.MINILM, folder)
    vectors = embeddings.embed(
        ENCODER, ["my card was declined", "why was my card payment refused", "hello there"]
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


@pytest.mark.slow
def test_mlflow_logs_and_registers_a_model_with_embeddings(with_embeddings, tiny_csv, mlflow_uri):
    # MLflow's skops copy of the pipeline refuses types it was not told to trust
    from supportml.config import Settings
    from supportml.learning.promotion import decide
    from supportml.tracking import load_model, log_training

    dataset = load_requests(tiny_csv)
    settings = Settings(tracking_uri=mlflow_uri, experiment="t-emb", registered_model="t-emb")
    truth = [dataset.topics[i] for i in with_embeddings.split.test]
    decision = decide(truth, with_embeddings.test_predictions, None, None)
    run = log_training(with_embeddings, dataset, settings, decision)
    clf, card = load_model(f"models:/t-emb/{run.model_version}", settings)
    assert card.features == with_embeddings.card.features
    text = "deploy to staging failed again"
    assert np.allclose(
        clf.predict_proba_one(text), with_embeddings.classifier.predict_proba_one(text)
    )
