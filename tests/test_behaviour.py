"""Behavioural checks of a model trained on the bundled sample (Made-With-ML's model tests):
invariance to Slack boilerplate, no learning from signatures or greetings, sensible directions."""

from __future__ import annotations

import numpy as np
import pytest

from supportml.data import load_requests
from supportml.suggest import Suggester
from tests.conftest import SAMPLE

# Greetings, thanks and the mention placeholder: never what a topic should rest on. They are
# stop words of the word features (model.PLEASANTRIES); this guards that, and a sample or
# tokenizer change that lets them back in (before it, small topics leaned on "ty" and "pls").
BOILERPLATE = {"hi", "hey", "hello", "thanks", "thank", "thx", "ty", "please", "pls", "folks",
               "morning", "afternoon", "someone", "so much", "in advance"}  # fmt: skip


@pytest.fixture(scope="module")
def sample_model(sample_trained):
    data = load_requests(SAMPLE)
    test_texts = [data.texts[i] for i in sample_trained.split.test]
    return sample_trained, test_texts


def test_quality_on_held_out_sample_rows(sample_model):
    result, _ = sample_model
    assert result.evaluation.accuracy >= 0.75
    assert result.evaluation.macro_f1 >= 0.70
    assert result.evaluation.answered_precision >= 0.85  # target 0.90 was set on other rows


@pytest.mark.parametrize(
    "wrap",
    [
        lambda t: f"hey <@U024BE7LH> {t}",
        lambda t: f"{t}\nthanks in advance! :pray:",
        lambda t: f"Hi team :wave: {t}",
        lambda t: f"{t} cc <@U0G9QF9C6> <@U05ABC123>",
        lambda t: f"good morning folks! {t}\nany help is appreciated, thanks so much :pray:",
    ],
)
def test_boilerplate_rarely_changes_the_topic(sample_model, wrap):
    result, texts = sample_model
    suggester = Suggester(result.classifier, result.card.threshold, "t")
    before, _, _ = suggester.suggest_many(texts)
    from supportml.text import model_text

    after, _, _ = suggester.suggest_many([model_text(wrap(t)) for t in texts])
    changed = np.mean(np.asarray(before) != np.asarray(after))
    assert changed <= 0.05, f"{changed:.1%} of topics changed"


def test_top_terms_are_not_boilerplate(sample_model):
    """Leakage check: the words a topic relies on most are about the problem, not politeness."""
    result, _ = sample_model
    pipeline = result.classifier.pipeline
    words = pipeline.named_steps["features"].transformer_list[0][1].get_feature_names_out()
    n_words = len(words)
    coef = pipeline.named_steps["clf"].coef_[:, :n_words]
    for row, topic in enumerate(result.classifier.labels):
        top = {words[i] for i in np.argsort(-coef[row])[:12]}
        assert not top & BOILERPLATE, f"{topic} leans on {sorted(top & BOILERPLATE)}"


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("can someone approve my pull request? it needs a codeowner review", "PR Review"),
        ("I need access to the AWS console, who can grant me the role?", "Access Request"),
        (
            "the deploy to production failed and the pods are in CrashLoopBackOff",
            "Failed Deployment",
        ),
        ("my cypress e2e tests are failing on the login spec with a timeout", "Test Failure"),
    ],
)
def test_clear_requests_go_where_they_belong(sample_model, text, topic):
    result, _ = sample_model
    suggestion = Suggester(result.classifier, result.card.threshold, "t").suggest(text)
    assert topic in [t for t, _ in suggestion.alternatives[:2]], suggestion.alternatives
