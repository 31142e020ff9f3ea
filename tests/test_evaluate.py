import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from supportml.evaluate import (
    calibration_error,
    evaluate,
    plot_confusion,
    select_open_set_threshold,
    select_threshold,
)


def test_metrics_by_hand():
    truth = ["a", "a", "b", "b", "c"]
    pred = ["a", "b", "b", "b", "a"]
    answered = [True, False, True, True, False]
    result = evaluate(truth, pred, answered)
    assert result.accuracy == pytest.approx(3 / 5)
    # f1: a = 2*.5*.5/1 = .5, b = 2*(2/3)*1/(5/3) = .8, c = 0
    assert result.macro_f1 == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert result.coverage == pytest.approx(3 / 5)
    assert result.answered_precision == pytest.approx(1.0)
    assert result.confusion.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert [c.support for c in result.per_class] == [2, 2, 1]


def test_threshold_is_the_loosest_that_meets_the_target():
    conf = [0.99, 0.95, 0.9, 0.8, 0.7, 0.6]
    correct = [True, True, True, False, True, False]
    point = 0.5  # confidence level 0.5: the plain precision estimate
    assert select_threshold(conf, correct, 0.75, point) == 0.7  # 4/5 answered right
    assert select_threshold(conf, correct, 1.0, point) == 0.9
    assert select_threshold(conf, correct, 0.5, point) == 0.6


def test_threshold_never_splits_ties_and_can_abstain_always():
    assert select_threshold([0.9, 0.9, 0.5], [True, False, True], 1.0, 0.5) > 0.9
    assert select_threshold([0.8, 0.6], [False, False], 0.9) > 0.8
    assert select_threshold([], [], 0.9) == 1.0


@given(
    st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=1, max_size=200),
    st.floats(0.5, 1.0),
)
def test_threshold_is_the_loosest_cut_that_meets_the_target(rows, target):
    """Against brute force over every cut: never stricter than needed, never abstains needlessly."""
    conf = np.array([c for c, _ in rows])
    correct = np.array([k for _, k in rows])
    threshold = select_threshold(conf, correct, target, 0.5)
    meeting = [c for c in np.unique(conf) if correct[conf >= c].mean() >= target - 1e-12]
    if meeting:
        assert threshold == min(meeting)
    else:
        assert threshold > conf.max()  # no cut meets the target: always abstain


def test_wilson_bound_asks_for_evidence():
    """97 right of 100 meets 0.95 as an estimate but not with 90% confidence; 970 of 1000 does."""
    few = np.linspace(1, 0.5, 100)
    few_correct = np.arange(100) >= 3  # the three most confident are wrong
    assert select_threshold(few, few_correct, 0.95, 0.5) == pytest.approx(0.5)
    assert select_threshold(few, few_correct, 0.95, 0.9) > 0.5
    many = np.linspace(1, 0.5, 1000)
    many_correct = np.arange(1000) >= 30
    assert select_threshold(many, many_correct, 0.95, 0.9) == pytest.approx(0.5)


@given(
    st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=1, max_size=100),
    st.floats(0.5, 0.99),
)
def test_more_confidence_never_loosens_the_threshold(rows, target):
    conf = [c for c, _ in rows]
    correct = [k for _, k in rows]
    assert select_threshold(conf, correct, target, 0.8) >= select_threshold(
        conf, correct, target, 0.5
    )


def test_confusion_png(tmp_path):
    result = evaluate(["a", "b", "b"], ["a", "b", "a"])
    path = plot_confusion(result, tmp_path / "cm.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000


def test_everything_answered_by_default():
    result = evaluate(["a", "b"], ["a", "a"])
    assert result.coverage == 1.0 and result.answered_precision == 0.5


def test_top_confusions_lists_the_biggest_mistakes_first():
    truth = ["a"] * 5 + ["b"] * 5 + ["c"] * 2
    pred = ["b"] * 3 + ["a"] * 2 + ["b"] * 4 + ["c"] + ["a", "c"]
    assert evaluate(truth, pred).top_confusions(2) == [("a", "b", 3), ("b", "c", 1)]
    assert evaluate(["a"], ["a"]).top_confusions() == []


def test_calibration_error_by_hand():
    # bin 0.9-0.97: conf .9, .9 right once -> |0.9 - 0.5| ; bin ~0.6: conf .6 right -> |0.6 - 1|
    ece = calibration_error([0.9, 0.9, 0.6], [True, False, True], bins=10)
    assert ece == pytest.approx((2 * 0.4 + 1 * 0.4) / 3)
    assert calibration_error([1.0, 1.0], [True, True]) == 0.0
    assert calibration_error([], []) == 0.0
    result = evaluate(["a", "b"], ["a", "a"], confidence=[0.75, 0.25])
    assert result.metrics()["calibration_error"] == pytest.approx(0.25)


def test_open_set_threshold_turns_away_unseen_topics_within_the_coverage_floor():
    known = np.linspace(0.3, 1.0, 100)  # every known row right: the precision rule answers all
    correct = np.ones(100, bool)
    unseen = np.linspace(0.1, 0.5, 50)
    assert select_threshold(known, correct, 0.9) == pytest.approx(0.3)
    threshold = select_open_set_threshold(known, correct, unseen, 0.9, min_coverage=0.7)
    assert 0.45 < threshold <= 0.51  # about where the unseen rows end
    assert (known >= threshold).mean() >= 0.7 and (unseen < threshold).mean() >= 0.9
    # a tighter floor keeps more known rows answered, at the cost of unseen ones
    tight = select_open_set_threshold(known, correct, unseen, 0.9, min_coverage=0.9)
    assert (known >= tight).mean() >= 0.9 and tight < threshold


def test_open_set_threshold_never_undercuts_precision_and_needs_unseen_rows():
    known, correct = [0.9, 0.8, 0.7, 0.6], [True, True, False, False]
    precision = select_threshold(known, correct, 0.9)
    assert select_open_set_threshold(known, correct, [], 0.9) == precision
    assert select_open_set_threshold(known, correct, [0.1, 0.2], 0.9, min_coverage=0.0) == precision
