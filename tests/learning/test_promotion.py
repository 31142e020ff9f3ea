"""Champion/challenger rules: the margin on macro-F1 and the guard on well-populated topics."""

import pytest

from supportml.learning.promotion import PromotionPolicy, decide, macro_f1

TRUTH = ["ci"] * 30 + ["deploy"] * 30 + ["access"] * 5


def predictions(wrong: dict[str, int]) -> list[str]:
    """TRUTH with the first ``wrong[topic]`` rows of each topic predicted as 'other'."""
    seen: dict[str, int] = {}
    out = []
    for topic in TRUTH:
        seen[topic] = seen.get(topic, 0) + 1
        out.append("other" if seen[topic] <= wrong.get(topic, 0) else topic)
    return out


def test_no_champion_promotes_and_says_why():
    decision = decide(TRUTH, predictions({}), None)
    assert decision.promote and decision.reason == "no champion yet"
    assert decision.champion_macro_f1 is None and decision.n_eval == len(TRUTH)
    assert decision.metrics()["promoted"] == 1.0


def test_better_by_the_margin_is_promoted_with_both_scores():
    old, new = predictions({"ci": 6, "deploy": 6}), predictions({"ci": 2, "deploy": 2})
    decision = decide(TRUTH, new, old, "3")
    assert decision.promote
    assert decision.challenger_macro_f1 == pytest.approx(macro_f1(TRUTH, new))
    assert decision.champion_macro_f1 == pytest.approx(macro_f1(TRUTH, old))
    assert decision.challenger_macro_f1 > decision.champion_macro_f1
    assert "champion v3" in decision.reason
    assert decision.metrics()["eval_macro_f1_gain"] > 0


def test_equal_or_slightly_better_is_not_enough():
    same = predictions({"ci": 3})
    assert not decide(TRUTH, same, same, "1").promote
    tiny_gain = decide(TRUTH, predictions({"ci": 2}), same, "1", PromotionPolicy(min_gain=0.05))
    assert not tiny_gain.promote and "below the required gain" in tiny_gain.reason


def test_a_guarded_topic_losing_too_much_blocks_promotion_even_with_a_better_average():
    # the challenger fixes the small topic (+big macro gain) but breaks a 30-row topic
    old = predictions({"access": 5, "ci": 0})
    new = predictions({"access": 0, "ci": 6})
    decision = decide(TRUTH, new, old, "2", PromotionPolicy(max_topic_drop=0.05))
    assert decision.challenger_macro_f1 > decision.champion_macro_f1 + 0.1
    assert not decision.promote
    assert "'ci' (30 rows)" in decision.reason
    assert [s.topic for s in decision.regressions] == ["ci"]
    # 'access' has 5 rows: below min_support, so not guarded either way
    assert {s.topic for s in decision.guarded} == {"ci", "deploy"}
    allowed = decide(TRUTH, new, old, "2", PromotionPolicy(max_topic_drop=0.5))
    assert allowed.promote


def test_force_promotes_but_keeps_the_scores():
    old, new = predictions({}), predictions({"ci": 10})
    decision = decide(TRUTH, new, old, "4", force=True)
    assert decision.promote and decision.reason.startswith("forced with --promote")
    assert decision.champion_macro_f1 > decision.challenger_macro_f1


def test_retired_topic_predictions_do_not_count_against_the_champion():
    truth = ["ci", "deploy"] * 10
    champion = ["retired" if i == 0 else t for i, t in enumerate(truth)]
    assert macro_f1(truth, champion) == pytest.approx(
        (2 * 9 / (9 + 10) + 1.0) / 2  # ci: precision 1, recall 9/10; deploy perfect
    )


def test_no_evaluation_rows_is_an_error():
    with pytest.raises(ValueError, match="no evaluation rows"):
        decide([], [], None)


def test_decision_serialises_for_mlflow():
    data = decide(TRUTH, predictions({"ci": 1}), predictions({"ci": 9}), "7").to_dict()
    assert data["promote"] is True and data["champion_version"] == "7"
    assert data["policy"] == {"min_gain": 0.005, "max_topic_drop": 0.05, "min_support": 20}
    assert {t["topic"] for t in data["guarded_topics"]} == {"ci", "deploy"}
