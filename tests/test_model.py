import copy
import json
import threading
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import softmax

from supportml.compact import OneTextClassifier
from supportml.model import (
    ModelError,
    ModelParams,
    TopicClassifier,
    card_integrity,
    load,
    load_one_text,
    read_card,
    readable,
    save,
)
from tests.conftest import VOCAB, name_rows_of

WORDS = sorted({w for words in VOCAB.values() for w in words})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([*WORDS, "zzz", "ünïcode", "日本語", "!!", "a"]), max_size=25))
def test_fast_path_matches_the_pipeline(trained, words):
    clf = trained.classifier
    text = " ".join(words)
    # the pipeline computes in float32, the fast path in float64: equal to float32 precision
    assert np.allclose(clf.decision_one(text), clf.decision([text])[0], rtol=1e-5, atol=1e-5)
    assert np.allclose(clf.predict_proba_one(text), clf.predict_proba([text])[0], atol=1e-4)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(
            st.sampled_from([*WORDS, "zzz", "日本語", "!!", "a", "thanks", "please", "\n", "A-b"]),
            max_size=12,
        ).map(" ".join),
        min_size=1,
        max_size=8,
    )
)
def test_batch_path_is_the_pipeline_to_the_bit(trained, texts):
    # decision() builds the n-gram counts itself (a backlog is several times faster that way):
    # the logits must be exactly sklearn's, empty texts, stop words and repeats included
    clf = trained.classifier
    expected = clf.pipeline.decision_function([t[: clf.max_chars] for t in texts])
    assert np.array_equal(clf.decision(texts), expected.reshape(len(texts), -1))


@pytest.mark.parametrize("word_ngrams", [(1, 3), (2, 3)])
def test_batch_path_is_the_pipeline_for_longer_word_ngrams(tiny_csv, fast_params, word_ngrams):
    # _word_counts numbers an n-gram from its first n - 1 tokens' number: trigrams, and a range
    # without unigrams (whose numbers are still needed to reach the bigrams), stay exact
    from supportml.data import load_requests

    data = load_requests(tiny_csv)
    params = replace(fast_params, word_ngrams=word_ngrams, max_iter=20)
    clf = TopicClassifier.fit(data.texts, [str(y) for y in data.labels], params)
    texts = [*data.texts[::7], "", "thanks please", "a a a a", data.texts[0] * 3]
    expected = clf.pipeline.decision_function(texts)
    assert np.array_equal(clf.decision(texts), expected.reshape(len(texts), -1))
    assert np.array_equal(clf.decision(texts[:3]), expected[:3].reshape(3, -1))  # table reused


def test_text_with_no_known_ngram_gets_the_prior(trained):
    clf = trained.classifier
    probs = clf.predict_proba_one("ЖЖЖ")
    assert np.allclose(probs, clf.predict_proba(["ЖЖЖ"])[0], atol=1e-4)
    assert probs.sum() == pytest.approx(1.0)


def test_long_texts_are_truncated_consistently(trained):
    clf = trained.classifier
    text = "deploy failed in production " * 5000
    assert np.allclose(clf.predict_proba_one(text), clf.predict_proba([text])[0], atol=1e-4)


def test_temperature_minimises_held_out_log_loss(tiny_csv, fast_params):
    from scipy.special import log_softmax

    from supportml.data import load_requests

    data = load_requests(tiny_csv)
    texts, labels = data.texts, [str(y) for y in data.labels]
    params = replace(fast_params, refit_epochs=0)
    clf, held_out, _ = TopicClassifier.fit_calibrated(
        texts[:120], labels[:120], texts[120:], labels[120:], params
    )
    logits = clf.decision(texts[120:])
    target = np.array([clf.labels.index(y) for y in labels[120:]])

    def nll(t):
        return -log_softmax(logits / t, axis=1)[np.arange(len(target)), target].mean()

    t = clf.temperature
    assert 0.05 < t < 20 and nll(t) < min(nll(t * 1.5), nll(t / 1.5), nll(1.0) + 1e-12)
    assert np.allclose(held_out, clf.predict_proba(texts[120:]), atol=1e-6)


def test_explain_names_terms_from_the_text(trained):
    clf = trained.classifier
    text = "please approve my pull request, codeowners review is blocking"
    terms = clf.explain(text, k=5)
    assert 0 < len(terms) <= 5
    assert all(weight > 0 for _, weight in terms)
    assert [w for _, w in terms] == sorted((w for _, w in terms), reverse=True)
    assert all(not t.startswith("'") and t in text for t, _ in terms)  # words, from the text
    assert clf.explain("") == []


def test_explain_falls_back_to_character_ngrams_for_unknown_words(trained):
    terms = trained.classifier.explain("deplyoment crashlooop", k=3)
    assert terms and all(t.startswith("'") and t.endswith("'") for t, _ in terms)


def test_params_from_file_and_validation(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("C: 3\nchar_ngrams: [3, 5]\nsublinear_tf: false\n")
    params = ModelParams.from_file(path)
    assert (params.C, params.char_ngrams, params.sublinear_tf) == (3.0, (3, 5), False)
    path.write_text("c: 3\n")
    with pytest.raises(ModelError, match="unknown parameter 'c'"):
        ModelParams.from_file(path)
    path.write_text("char_ngrams: [5, 2]\n")
    with pytest.raises(ModelError, match="'char_ngrams' has an invalid value"):
        ModelParams.from_file(path)
    path.write_text("C: -1\n")
    with pytest.raises(ModelError, match="must be positive"):
        ModelParams.from_file(path)
    path.write_text("- a\n")
    with pytest.raises(ModelError, match="expected a mapping"):
        ModelParams.from_file(path)
    with pytest.raises(ModelError, match="cannot read params file"):
        ModelParams.from_file(tmp_path / "missing.yaml")


def test_export_round_trip(trained, tmp_path):
    clf, card = load(trained.model_dir)
    assert card.labels == trained.classifier.labels and len(card.sha256) == 64
    assert card.version == card.sha256[:12]
    text = "staging deploy failed with crashloop"
    assert np.allclose(clf.predict_proba_one(text), trained.classifier.predict_proba_one(text))
    assert card.metrics["accuracy"] == trained.evaluation.accuracy
    assert read_card(trained.model_dir / "model_card.json").sha256 == card.sha256


def _copy_model(src, dst):
    dst.mkdir()
    artifact = read_card(src).artifact
    for name in (artifact, "model_card.json"):
        (dst / name).write_bytes((src / name).read_bytes())
    return dst, dst / artifact


def test_tampered_artifact_is_refused(trained, tmp_path):
    model, artifact = _copy_model(trained.model_dir, tmp_path / "m")
    data = bytearray(artifact.read_bytes())
    data[len(data) // 2] ^= 0xFF
    artifact.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match the model card's.*refusing to load"):
        load(model)


def _rewrite_card(model, sealed=True, **changes):
    """Change card fields; ``sealed`` recomputes the integrity checksum as a forger would."""
    card = {**json.loads((model / "model_card.json").read_text()), **changes}
    if sealed:
        card["integrity"] = card_integrity(card)
    (model / "model_card.json").write_text(json.dumps(card))
    return card


def test_incompatible_or_missing_models_are_refused(trained, tmp_path):
    model, artifact = _copy_model(trained.model_dir, tmp_path / "m")
    card = json.loads((model / "model_card.json").read_text())
    _rewrite_card(model, sklearn_version="0.24.2")
    fix = "trained with scikit-learn 0.24.2.*make install.*constraints.txt.*retrain"
    with pytest.raises(ModelError, match=fix):
        load(model)
    _rewrite_card(model, format=99)
    with pytest.raises(ModelError, match="model card format 99"):
        load(model)
    (model / "model_card.json").write_text("{not json")
    with pytest.raises(ModelError, match="unreadable model card"):
        load(model)
    with pytest.raises(ModelError, match="no model card"):
        load(tmp_path / "nowhere")
    (model / "model_card.json").write_text(json.dumps(card))
    artifact.unlink()
    with pytest.raises(ModelError, match="model artifact missing"):
        load(model)


def test_an_edited_card_is_refused_and_an_untouched_one_loads(trained, tmp_path):
    model, _ = _copy_model(trained.model_dir, tmp_path / "m")
    assert load(model)[1].integrity == trained.card.integrity != ""
    for field, value in [("threshold", 0.0), ("temperature", 0.5), ("labels", ["a", "b"])]:
        _copy_model(trained.model_dir, tmp_path / field)
        _rewrite_card(tmp_path / field, sealed=False, **{field: value})
        with pytest.raises(ModelError, match="integrity checksum does not match.*refusing"):
            load(tmp_path / field)
        with pytest.raises(ModelError, match="integrity checksum does not match"):
            read_card(tmp_path / field)


def test_a_card_from_before_the_integrity_checksum_names_the_fix(trained, tmp_path):
    model, _ = _copy_model(trained.model_dir, tmp_path / "m")
    card = json.loads((model / "model_card.json").read_text())
    del card["integrity"]
    (model / "model_card.json").write_text(json.dumps({**card, "format": 1}))
    with pytest.raises(ModelError) as refused:
        load(model)
    message = str(refused.value)
    assert "model card format 1" in message and "`supportml train`" in message
    assert "\n" not in message


@pytest.mark.parametrize("artifact", ["../outside.joblib", "/dev/zero", "sub/x.joblib", ".", ""])
def test_an_artifact_outside_the_model_folder_is_refused(trained, tmp_path, artifact):
    pipeline = (trained.model_dir / trained.card.artifact).read_bytes()
    (tmp_path / "outside.joblib").write_bytes(pipeline)
    model, _ = _copy_model(trained.model_dir, tmp_path / "m")
    _rewrite_card(model, artifact=artifact)  # even with a recomputed checksum
    with pytest.raises(ModelError, match="not a file name inside the model folder"):
        load(model)


@pytest.mark.parametrize("target", ["/dev/zero", "inside"])
def test_an_artifact_that_is_a_symlink_or_a_device_is_refused(trained, tmp_path, target):
    model, artifact = _copy_model(trained.model_dir, tmp_path / "m")
    real = model / "real.joblib"
    artifact.rename(real)
    artifact.symlink_to(real if target == "inside" else target)
    with pytest.raises(ModelError, match="refusing to load it"):
        load(model)
    if target == "inside":
        with pytest.raises(ModelError, match="not a plain file"):
            load(model)


def test_an_artifact_that_is_a_fifo_is_refused_without_blocking(trained, tmp_path):
    import os

    model, artifact = _copy_model(trained.model_dir, tmp_path / "m")
    artifact.unlink()
    os.mkfifo(artifact)
    with pytest.raises(ModelError, match="not a plain file"):
        load(model)


def test_save_writes_checksum_of_what_is_on_disk(trained, tmp_path):
    from supportml.model import sha256_file

    card = save(trained.classifier, replace(trained.card), tmp_path / "again")
    assert card.artifact == f"pipeline-{card.version}.joblib"
    assert card.sha256 == sha256_file(tmp_path / "again" / card.artifact)
    assert (read_card(tmp_path / "again").artifact, read_card(tmp_path / "again").sha256) == (
        card.artifact,
        card.sha256,
    )


def test_publish_copies_an_export_verified(trained, tmp_path):
    from supportml.model import publish

    card = publish(trained.model_dir, tmp_path / "live")
    assert card.sha256 == trained.card.sha256 and load(tmp_path / "live")[1].sha256 == card.sha256
    source, artifact = _copy_model(trained.model_dir, tmp_path / "bad")
    data = bytearray(artifact.read_bytes())
    data[len(data) // 2] ^= 0xFF
    artifact.write_bytes(bytes(data))
    before = sorted(p.name for p in (tmp_path / "live").iterdir())
    with pytest.raises(ModelError, match="does not match the model card's; not published"):
        publish(source, tmp_path / "live")
    assert sorted(p.name for p in (tmp_path / "live").iterdir()) == before  # nothing left behind
    artifact.unlink()
    with pytest.raises(ModelError, match="model artifact missing"):
        publish(source, tmp_path / "live")


def _variants(trained, n):
    """n models that differ in their pipeline bytes and in their card (temperature i + 1)."""
    models = []
    for i in range(n):
        pipeline = copy.deepcopy(trained.classifier.pipeline)
        pipeline.named_steps["clf"].intercept_ = pipeline.named_steps["clf"].intercept_ + i
        models.append((TopicClassifier(pipeline), replace(trained.card, temperature=i + 1.0)))
    return models


def test_save_keeps_the_current_and_previous_pipeline_only(trained, tmp_path):
    (tmp_path / "pipeline.joblib").write_bytes(b"an export from before content-addressed names")
    cards = [save(clf, card, tmp_path) for clf, card in _variants(trained, 3)]
    assert len({card.artifact for card in cards}) == len({card.compact for card in cards}) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [
            cards[1].artifact,
            cards[1].compact,
            cards[2].artifact,
            cards[2].compact,
            "model_card.json",
        ]
    )
    assert load(tmp_path)[1].sha256 == cards[2].sha256


def test_a_reader_never_sees_half_a_published_model(trained, tmp_path):
    """A responder polling the directory while training publishes into it: every load gets a
    card and the pipeline it names, never an error, never one model's card with another's
    pipeline (the temperature and the intercepts tell the variants apart)."""
    variants = _variants(trained, 3)
    save(*variants[0], tmp_path)
    intercepts = [clf.pipeline.named_steps["clf"].intercept_ for clf, _ in variants]
    done, problems, seen = threading.Event(), [], set()

    def read() -> None:
        while not done.is_set():
            try:
                clf, card = load(tmp_path)
            except Exception as exc:  # any error at all is a failure
                problems.append(repr(exc))
                continue
            i = int(card.temperature) - 1
            seen.add(i)
            if not np.array_equal(clf.pipeline.named_steps["clf"].intercept_, intercepts[i]):
                problems.append(f"card of model {i} with another model's pipeline")

    def read_one_text() -> None:
        while not done.is_set():
            try:
                one, card = load_one_text(tmp_path)
            except Exception as exc:
                problems.append(repr(exc))
                continue
            i = int(card.temperature) - 1
            assert isinstance(one, OneTextClassifier)
            if not np.array_equal(one.weights.intercept, intercepts[i]):
                problems.append(f"card of model {i} with another model's compact file")

    readers = [threading.Thread(target=read), threading.Thread(target=read_one_text)]
    for reader in readers:
        reader.start()
    try:
        for n in range(30):
            save(*variants[(n + 1) % 3], tmp_path)
    finally:
        done.set()
        for reader in readers:
            reader.join()
    assert problems == []
    assert seen == {0, 1, 2}
    assert len(list(tmp_path.glob("pipeline*.joblib"))) == 2
    assert len(list(tmp_path.glob("compact-*.npz"))) == 2
    assert not list(tmp_path.glob(".tmp-*"))


def test_fit_calibrated_refits_on_all_rows(tiny_csv, fast_params):
    from supportml.data import load_requests

    data = load_requests(tiny_csv)
    texts, labels = data.texts, [str(y) for y in data.labels]
    clf, held_out, _ = TopicClassifier.fit_calibrated(
        texts[:150], labels[:150], texts[150:], labels[150:], fast_params
    )
    assert held_out.shape == (30, 6) and np.allclose(held_out.sum(axis=1), 1)
    assert clf.pipeline.named_steps["clf"].n_iter_.max() <= fast_params.refit_epochs
    no_refit, same, _ = TopicClassifier.fit_calibrated(
        texts[:150], labels[:150], texts[150:], labels[150:], replace(fast_params, refit_epochs=0)
    )
    assert np.allclose(held_out, same)  # identical up to the refit
    assert not np.allclose(clf.decision(texts[150:]), no_refit.decision(texts[150:]))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # the test's own fit
def test_unseen_scores_come_from_fits_without_the_topic(tiny_csv, fast_params):
    from supportml.data import load_requests
    from supportml.model import unseen_scores

    data = load_requests(tiny_csv)
    texts, labels = data.texts, [str(y) for y in data.labels]
    pipeline = fast_params.build()
    matrix = pipeline.named_steps["features"].fit_transform(texts)
    clf = pipeline.named_steps["clf"].fit(matrix[:150], labels[:150])
    params = replace(fast_params, unseen_fits=4, unseen_share=0.2)  # 6 topics: 1 out per fit
    unseen = unseen_scores(clf, matrix, labels[:150], labels[150:], params)
    per_topic = Counter(labels[150:])
    assert 0 < unseen.size <= 4 * max(per_topic.values())
    assert ((unseen > 0) & (unseen <= 1)).all()
    known = softmax(clf.decision_function(matrix[150:]), axis=1).max(axis=1)
    assert unseen.mean() < known.mean()  # a topic never seen is scored less sure
    assert (
        unseen_scores(clf, matrix, labels[:150], labels[150:], replace(params, unseen_fits=0)).size
        == 0
    )


def test_topic_only_in_calibration_rows_is_learned(tiny_csv, fast_params):
    texts = ["helm rollback production", "okta sso access", "helm deploy failed", "grant aws role"]
    labels = ["Deploy", "Access", "Deploy", "Access"]
    clf, _, unseen = TopicClassifier.fit_calibrated(
        texts, labels, ["cypress flaky spec"], ["Tests"], fast_params
    )
    assert unseen.size == 0  # two topics: none can be left out
    assert clf.labels == ["Access", "Deploy", "Tests"]


@pytest.mark.parametrize(
    ("topic", "text"),
    [
        ("card_arrival", "card arrival"),
        ("ci-cd", "ci cd"),
        ("access-requests", "access requests"),
        ("Test Accounts/Data", "Test Accounts Data"),
        ("CI Error", "CI Error"),
    ],
)
def test_a_topics_name_row_reads_like_a_request(topic, text):
    assert readable(topic) == text


def test_every_fit_reads_one_name_row_per_topic_it_fits_and_no_scored_row_is_one(
    tiny_csv, fast_params, fits
):
    from supportml.data import load_requests

    data = load_requests(tiny_csv)
    texts, labels, topics = data.texts, data.topics, data.classes
    params = replace(fast_params, name_rows=True, unseen_fits=2, unseen_share=0.2)  # 1 out a fit
    TopicClassifier.fit_calibrated(texts[:150], labels[:150], texts[150:], labels[150:], params)
    TopicClassifier.fit_cross_calibrated(texts, labels, params, folds=3)
    TopicClassifier.fit(texts, labels, params)
    # hold-out: fit, 2 unseen-topic fits, refit; cross: final fit, 3 x (fold fit + 2 unseen); fit
    assert len(fits.fitted) == 4 + 1 + 3 * 3 + 1
    for fitted in fits.fitted:
        classes = sorted({label for _, label in fitted})
        assert name_rows_of(fitted, topics) == sorted((readable(c), c) for c in classes)
    assert sum(len({label for _, label in fitted}) == 5 for fitted in fits.fitted) == 2 + 3 * 2
    assert fits.scored and not any(name_rows_of([(t, "") for t in s], topics) for s in fits.scored)


def test_a_topic_first_seen_in_the_calibration_rows_gets_its_name_row_in_the_refit(
    tiny_csv, fast_params, fits
):
    from supportml.data import load_requests

    data = load_requests(tiny_csv)
    late = data.classes[0]
    train = [i for i, label in enumerate(data.topics) if label != late]
    cal = [i for i, label in enumerate(data.topics) if label == late] + train[:30]
    train = train[30:]
    params = replace(fast_params, name_rows=True, unseen_fits=0)
    classifier, _, _ = TopicClassifier.fit_calibrated(
        [data.texts[i] for i in train], [data.topics[i] for i in train],
        [data.texts[i] for i in cal], [data.topics[i] for i in cal], params,
    )  # fmt: skip
    first, refit = fits.fitted
    assert late not in {label for _, label in first} and late in classifier.labels
    others = [c for c in data.classes if c != late]
    assert name_rows_of(refit, data.classes) == sorted((readable(c), c) for c in others)
    # the late topic's name row is built after the vocabulary (the spy reads its text as "")
    late_cal = sum(data.topics[i] == late for i in cal)
    assert [label for _, label in refit].count(late) == late_cal + 1


@pytest.mark.parametrize("name_rows", [None, False])  # None without embeddings: off
def test_without_name_rows_no_fit_reads_one(tiny_csv, fast_params, fits, name_rows):
    from supportml.data import load_requests

    data = load_requests(tiny_csv)
    params = replace(fast_params, name_rows=name_rows)
    TopicClassifier.fit_calibrated(
        data.texts[:150], data.topics[:150], data.texts[150:], data.topics[150:], params
    )
    TopicClassifier.fit(data.texts, data.topics, params)
    assert fits.fitted and not any(name_rows_of(f, data.classes) for f in fits.fitted)


def test_name_rows_follow_the_embeddings_extra_unless_a_params_file_says(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("C: 3\n")  # a params file from before the field
    params = ModelParams.from_file(path)
    assert params.name_rows is None and not params.adds_name_rows
    assert replace(params, embeddings="all-MiniLM-L6-v2").adds_name_rows
    path.write_text("name_rows: true\n")
    assert ModelParams.from_file(path).adds_name_rows
    off = replace(ModelParams.from_file(path), name_rows=False, embeddings="all-MiniLM-L6-v2")
    assert not off.adds_name_rows
    path.write_text("name_rows: null\n")
    assert ModelParams.from_file(path).name_rows is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("solver: liblinear\n", "solver must be one of"),
        ("name_rows: 1\n", "'name_rows' has an invalid value"),
        ("class_weight: heavy\n", "class_weight must be 'balanced' or 'none'"),
        ("refit_epochs: -1\n", "refit_epochs must be 0"),
        ("unseen_fits: -1\n", "unseen_fits must be 0"),
        ("unseen_share: 1\n", "unseen_share must be a share"),
        ("max_df: 1.5\n", "max_df must be a share"),
        ("sublinear_tf: 1\n", "'sublinear_tf' has an invalid value"),
    ],
)
def test_more_params_validation(tmp_path, text, message):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(ModelError, match=message):
        ModelParams.from_file(path)


def test_two_topics_work_on_both_paths(fast_params):
    texts = [
        "helm rollback production",
        "okta sso access",
        "helm deploy failed",
        "grant aws role",
        "deploy to production broke",
        "access denied okta",
    ] * 2
    labels = ["Deploy", "Access"] * 6
    clf = TopicClassifier.fit(texts, labels, replace(fast_params, min_df=1))
    probs = clf.predict_proba(["helm deploy"])
    assert probs.shape == (1, 2) and probs[0].argmax() == 1
    assert np.allclose(clf.predict_proba_one("helm deploy"), probs[0], atol=1e-4)
    assert clf.explain("helm deploy")[0][0] in {"helm", "deploy", "helm deploy"}


def test_too_little_text_for_a_vocabulary_is_a_model_error(fast_params):
    with pytest.raises(ModelError, match="cannot build a vocabulary from 3 training texts"):
        TopicClassifier.fit(["a b", "c d", "e f"], ["x", "y", "x"], fast_params)
