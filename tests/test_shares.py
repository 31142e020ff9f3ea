import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportml.shares import (
    BEST_TOPIC_METHODS,
    DEFAULT_METHOD,
    calibrate_bcts,
    correct,
    estimate_shares,
    readiness,
    solve_adjusted,
    split_by_confusion,
    undo_pull,
)

TOPICS = ["a", "b", "c"]
# M[j, i] = P(model says j | truth i): "a" is often taken for "b", "c" is recognised well.
CONFUSION = np.array([[0.6, 0.1, 0.05], [0.3, 0.8, 0.05], [0.1, 0.1, 0.9]])


def synthetic(shares: list[float], n: int, seed: int) -> tuple[list[str], list[str]]:
    """(truth, model's prediction) for n requests drawn with ``shares`` through CONFUSION."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(3, size=n, p=shares)
    pred = np.array([rng.choice(3, p=CONFUSION[:, t]) for t in truth])
    names = np.array(TOPICS)
    return list(names[truth]), list(names[pred])


def by_topic(rows, field: str) -> np.ndarray:
    return np.array([getattr(r, field) for r in rows])


@given(
    st.lists(st.sampled_from(TOPICS), min_size=1, max_size=60),
    st.sampled_from(BEST_TOPIC_METHODS),
)
@settings(max_examples=40, deadline=None)
def test_a_perfect_classifier_gives_the_raw_shares(unlabelled, method):
    labelled = TOPICS * 5
    rows = estimate_shares(TOPICS, labelled, labelled, unlabelled, method=method, resamples=20)
    expected = np.array([unlabelled.count(t) for t in TOPICS]) / len(unlabelled)
    assert by_topic(rows, "estimated_share") == pytest.approx(expected, abs=1e-9)
    assert by_topic(rows, "raw_count_share") == pytest.approx(expected, abs=1e-9)
    assert by_topic(rows, "labelled_support").tolist() == [5, 5, 5]


def test_correction_recovers_shifted_shares_where_raw_counting_does_not():
    truth, pred = synthetic([1 / 3, 1 / 3, 1 / 3], 3000, seed=1)  # the people labels
    shifted = np.array([0.6, 0.1, 0.3])  # the unlabelled requests' mix differs
    _, hidden = synthetic(list(shifted), 20000, seed=2)
    rows = estimate_shares(TOPICS, truth, pred, hidden, method="acc")
    raw, corrected = by_topic(rows, "raw_count_share"), by_topic(rows, "estimated_share")
    assert np.abs(corrected - shifted).max() < 0.04  # sampling noise of M: 0.027 here
    assert np.abs(raw - shifted).max() > 0.15  # "a" under-counted: 0.6 true, ~0.4 counted
    assert all(r.low <= s <= r.high for r, s in zip(rows, shifted, strict=True))


def test_pcc_splits_each_predicted_topic_as_the_people_labels_it_was_predicted_for():
    # people's topic -> predicted: of 10 predicted "a", 8 were a and 2 were b; "b" always b
    truth, pred = ["a"] * 8 + ["b"] * 2 + ["b"] * 10, ["a"] * 10 + ["b"] * 10
    rows = estimate_shares(TOPICS[:2], truth, pred, ["a"] * 60 + ["b"] * 40, method="pcc")
    assert by_topic(rows, "estimated_share") == pytest.approx([0.6 * 0.8, 0.6 * 0.2 + 0.4])
    joint = np.array([[8.0, 2.0], [0.0, 0.0]])  # "b" never predicted on labelled requests
    assert split_by_confusion(joint, np.array([0.5, 0.5])) == pytest.approx([0.4, 0.6])


def test_pcc_has_less_error_than_raw_counting_when_the_mix_is_the_labelled_one():
    """Where the unlabelled mix is the people-labelled one (the usual case: both are a random
    sample of the same requests), splitting by the confusions removes the model's bias."""
    shares = [0.5, 0.3, 0.2]
    truth, pred = synthetic(shares, 3000, seed=4)
    _, hidden = synthetic(shares, 20000, seed=5)
    rows = estimate_shares(TOPICS, truth, pred, hidden, method="pcc")
    corrected, raw = by_topic(rows, "estimated_share"), by_topic(rows, "raw_count_share")
    assert np.abs(corrected - shares).max() < 0.02
    assert np.abs(raw - shares).max() > 0.1  # "a" under-counted: 0.5 true, ~0.34 counted
    assert all(r.low <= s <= r.high for r, s in zip(rows, shares, strict=True))


def test_undoing_the_pull_gives_back_the_labelled_mix_for_the_labelled_predictions():
    """spcc only rescales pcc's departure from the labelled mix: with no departure, no change."""
    truth, pred = synthetic([0.5, 0.3, 0.2], 500, seed=6)
    joint = np.zeros((3, 3))
    np.add.at(joint, ([TOPICS.index(p) for p in pred], [TOPICS.index(t) for t in truth]), 1)
    labelled = joint.sum(axis=0) / joint.sum()
    assert undo_pull(joint, joint.sum(axis=1) / joint.sum()) == pytest.approx(labelled)
    assert split_by_confusion(joint, joint.sum(axis=1) / joint.sum()) == pytest.approx(labelled)


def test_blend_follows_a_topic_that_grew_where_pcc_pulls_it_back():
    """One topic's volume tripled among the unlabelled requests: pcc splits its predictions as
    the people labels were split and under-counts it; the blend sees that the gap is more than
    noise and takes spcc's answer for it. spcc undoes the pull to first order only: for a topic
    the model recalls 60% of, going from 20% to 60% of the requests, it still under-counts."""
    truth, pred = synthetic([0.2, 0.4, 0.4], 3000, seed=7)
    grown = np.array([0.6, 0.2, 0.2])
    _, hidden = synthetic(list(grown), 20000, seed=8)
    error = {}
    for method in ("cc", "pcc", "spcc", "blend"):
        rows = estimate_shares(TOPICS, truth, pred, hidden, method=method)
        error[method] = abs(rows[0].estimated_share - grown[0])
    assert error["pcc"] > 0.25  # 0.32 counted: pulled back toward the labelled 0.2
    assert error["blend"] == pytest.approx(error["spcc"], abs=0.005)  # the gap is not noise
    assert error["blend"] < 0.65 * error["pcc"] and error["blend"] < error["cc"]


def test_blend_keeps_pcc_where_the_mix_did_not_change():
    shares = [0.5, 0.3, 0.2]
    truth, pred = synthetic(shares, 3000, seed=4)
    _, hidden = synthetic(shares, 20000, seed=5)
    pcc, blend = (
        by_topic(estimate_shares(TOPICS, truth, pred, hidden, method=m), "estimated_share")
        for m in ("pcc", "blend")
    )
    assert np.abs(blend - shares).max() < 0.02
    assert np.abs(blend - pcc).max() < 0.01
    assert DEFAULT_METHOD == "blend"


def test_correct_reads_the_cards_confusions_and_holds_only_acc_to_the_condition():
    confusion = {"a": {"a": 10, "b": 10}, "b": {"a": 10, "b": 10}, "c": {"c": 20}}
    predicted = {"a": 30, "b": 30, "c": 40}
    verdict, rows = correct(confusion, predicted, method="pcc", resamples=20)
    assert verdict.ready  # no inverse: a blurred pair is split evenly, not amplified
    assert by_topic(rows, "estimated_share") == pytest.approx([0.3, 0.3, 0.4])
    verdict, rows = correct(confusion, predicted, method="acc", resamples=20)
    assert not verdict.ready and "confuses topics too much" in verdict.reason
    assert len(rows) == 3  # computed all the same: the caller decides what to show
    short, _ = correct({"a": {"a": 3}, "b": {"b": 12}}, {"a": 1, "b": 1}, resamples=5)
    assert not short.ready and short.short_topics == ("a",)


def test_probability_methods_recover_shares_from_calibrated_probabilities():
    rng = np.random.default_rng(3)

    def draw(shares: list[float], n: int) -> tuple[list[str], np.ndarray]:
        truth = rng.choice(3, size=n, p=shares)
        logits = rng.normal(size=(n, 3)) + 2.0 * np.eye(3)[truth]
        return [TOPICS[t] for t in truth], logits

    truth, logits = draw([1 / 3, 1 / 3, 1 / 3], 3000)
    _, hidden_logits = draw([0.7, 0.2, 0.1], 20000)

    def posterior(x: np.ndarray) -> np.ndarray:  # the exact posterior under equal priors
        p = np.exp(2.0 * x)
        return p / p.sum(axis=1, keepdims=True)

    probs, hidden_probs = posterior(logits), posterior(hidden_logits)
    names = np.array(TOPICS)
    for method in ("pacc", "em"):
        rows = estimate_shares(
            TOPICS, truth, list(names[probs.argmax(1)]), list(names[hidden_probs.argmax(1)]),
            labelled_probs=probs, unlabelled_probs=hidden_probs, method=method, resamples=30,
        )  # fmt: skip
        assert by_topic(rows, "estimated_share") == pytest.approx([0.7, 0.2, 0.1], abs=0.03)


@given(st.integers(0, 10_000), st.sampled_from(["acc", "blend"]))
@settings(max_examples=20, deadline=None)
def test_intervals_contain_the_estimate_and_lie_in_0_1(seed, method):
    truth, pred = synthetic([0.5, 0.45, 0.05], 60, seed)
    _, hidden = synthetic([0.05, 0.05, 0.9], 80, seed + 1)
    rows = estimate_shares(TOPICS, truth, pred, hidden, method=method, resamples=50, seed=seed)
    for r in rows:
        assert 0.0 <= r.low <= r.estimated_share <= r.high <= 1.0
    assert sum(r.estimated_share for r in rows) == pytest.approx(1.0)


def test_the_bootstrap_is_seeded_and_fast_for_77_topics():
    rng = np.random.default_rng(0)
    topics = [f"t{i}" for i in range(77)]
    truth = rng.integers(0, 77, 4000)
    pred = np.where(rng.random(4000) < 0.85, truth, rng.integers(0, 77, 4000))
    hidden = rng.integers(0, 77, 9000)
    names = np.array(topics)
    args = (topics, list(names[truth]), list(names[pred]), list(names[hidden]))
    start = time.perf_counter()
    first = estimate_shares(*args, method="acc", resamples=200, seed=7)
    assert time.perf_counter() - start < 10
    assert estimate_shares(*args, method="acc", resamples=200, seed=7) == first


def test_solution_is_a_distribution_even_when_a_raw_inverse_goes_negative():
    matrix = np.array([[0.6, 0.4], [0.4, 0.6]])
    observed = np.array([0.7, 0.3])  # outside what any mix can produce: inverse gives 1.5, -0.5
    assert np.linalg.solve(matrix, observed)[1] < 0
    assert solve_adjusted(matrix, observed) == pytest.approx([1.0, 0.0], abs=1e-6)


def test_too_few_labels_names_the_topics_and_how_many_more():
    truth = ["a"] * 12 + ["b"] * 12 + ["c"] * 4
    verdict = readiness(TOPICS, truth, truth, min_per_topic=10)
    assert not verdict.ready
    assert verdict.short_topics == ("c",)
    assert verdict.more_labels_needed == 6
    assert "label about 6 more" in verdict.reason


def test_an_ill_conditioned_confusion_is_not_ready_and_a_clear_one_is():
    truth = ["a"] * 20 + ["b"] * 20 + ["c"] * 20
    blurred = ["a", "b"] * 10 + ["a", "b"] * 10 + ["c"] * 20  # the model cannot tell a from b
    verdict = readiness(TOPICS, truth, blurred)
    assert not verdict.ready and verdict.condition > 25 and verdict.more_labels_needed > 0
    assert readiness(TOPICS, truth, truth).ready


def test_unknown_topics_and_methods_are_refused():
    with pytest.raises(ValueError, match="'z' is not one of the model's topics"):
        estimate_shares(TOPICS, ["z"], ["a"], ["a"], method="acc")
    with pytest.raises(ValueError, match="unknown method"):
        estimate_shares(TOPICS, ["a"], ["a"], ["a"], method="magic")
    with pytest.raises(ValueError, match="needs labelled_probs"):
        estimate_shares(TOPICS, ["a"], ["a"], ["a"], method="em")


def test_bcts_recalibrates_a_topic_the_model_is_biased_against_and_em_then_recovers_the_shift():
    """Probabilities biased against one topic (as a single temperature cannot fix) mislead EM;
    bias-corrected temperature scaling fitted on the labelled rows undoes the bias first."""
    rng = np.random.default_rng(5)

    def draw(shares: list[float], n: int) -> tuple[np.ndarray, np.ndarray]:
        truth = rng.choice(3, size=n, p=shares)
        logits = rng.normal(size=(n, 3)) + 2.0 * np.eye(3)[truth]
        exact = np.exp(2.0 * logits)  # the exact posterior under equal priors, then biased:
        biased = exact * np.array([0.3, 1.0, 1.0]) ** 2.5  # topic "a" scored too low, and
        biased = biased**0.6  # everything under-confident
        return truth, biased / biased.sum(axis=1, keepdims=True)

    truth, probs = draw([1 / 3, 1 / 3, 1 / 3], 3000)
    _, hidden_probs = draw([0.6, 0.3, 0.1], 20000)
    names = np.array(TOPICS)
    args = (TOPICS, list(names[truth]), list(names[probs.argmax(1)]))
    estimates = {
        method: by_topic(
            estimate_shares(
                *args,
                list(names[hidden_probs.argmax(1)]),
                labelled_probs=probs,
                unlabelled_probs=hidden_probs,
                method=method,
                resamples=30,
            ),
            "estimated_share",
        )  # fmt: skip
        for method in ("em", "bcts")
    }
    assert estimates["bcts"] == pytest.approx([0.6, 0.3, 0.1], abs=0.03)
    assert np.abs(estimates["em"] - [0.6, 0.3, 0.1]).max() > 0.05  # uncorrected EM is off


def test_bcts_calibration_lowers_the_labelled_log_loss():
    rng = np.random.default_rng(8)
    truth = rng.integers(0, 4, 800)
    logits = rng.normal(size=(800, 4)) + 1.5 * np.eye(4)[truth] + np.array([1.0, 0, 0, -1.0])
    probs = np.exp(logits * 2.5)  # over-confident and biased
    probs /= probs.sum(axis=1, keepdims=True)
    calibrated, same = calibrate_bcts(probs, truth, probs)
    assert np.array_equal(calibrated, same)  # one fitted map, applied to both matrices
    assert np.allclose(calibrated.sum(axis=1), 1.0)

    def log_loss(p: np.ndarray) -> float:
        return float(-np.log(p[np.arange(800), truth]).mean())

    assert log_loss(calibrated) < 0.8 * log_loss(probs)
