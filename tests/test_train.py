from contextlib import nullcontext
from dataclasses import replace

import numpy as np
import pytest

from supportml.data import DataError, load_requests
from supportml.train import cross_validate, train


def test_train_exports_a_card_with_honest_metrics(trained):
    card, evaluation = trained.card, trained.evaluation
    assert card.metrics["accuracy"] == evaluation.accuracy
    assert 0.6 < evaluation.accuracy < 1.0  # the tiny data has label noise on purpose
    assert evaluation.n == len(trained.split.test)
    assert 0 <= card.threshold <= 1 and card.target_precision == 0.9
    assert card.n_train == len(trained.split.train)
    assert (trained.model_dir / f"pipeline-{card.version}.joblib").is_file()


def test_threshold_turns_away_topics_left_out_of_calibration_fits(trained):
    metrics = trained.card.metrics
    assert metrics["precision_threshold"] <= trained.card.threshold
    # the precision floor may abstain more (the tiny data is noisy); the open-set rule never does
    open_set = trained.card.threshold > metrics["precision_threshold"]
    assert not open_set or metrics["calibration_coverage"] >= 0.83 - 1e-9  # MIN_COVERAGE
    assert 0 <= metrics["calibration_unseen_abstained"] <= 1


def test_test_rows_are_never_trained_on(trained):
    parts = trained.split
    assert not set(parts.test) & (set(parts.train) | set(parts.calibration))
    assert not set(parts.train) & set(parts.calibration)


def test_training_is_reproducible(tiny_csv, fast_params, tmp_path):
    data = load_requests(tiny_csv)
    first = train(data, fast_params, tmp_path / "a")
    second = train(data, fast_params, tmp_path / "b")
    texts = ["helm rollback on production", "grant me okta access"]
    assert np.allclose(first.classifier.decision(texts), second.classifier.decision(texts))
    assert first.card.threshold == second.card.threshold


def test_cross_validation_reports_mean_and_spread(tiny_csv, fast_params):
    stages = []

    def stage(name):
        stages.append(name)
        return nullcontext()

    scores = cross_validate(load_requests(tiny_csv), fast_params, 3, seed=0, stage=stage)
    assert stages == [f"cross-validation fold {i}/3" for i in (1, 2, 3)]
    assert 0.5 < scores["cv_accuracy_mean"] <= 1 and scores["cv_accuracy_std"] >= 0
    assert scores["cv_folds"] == 3


@pytest.mark.parametrize("folds", [1, 31])
def test_cv_folds_must_fit_the_smallest_topic(tiny_csv, fast_params, tmp_path, folds):
    with pytest.raises(
        DataError, match=f"--cv {folds} needs 2 to 30 folds: topic 'Access Request'"
    ):
        train(load_requests(tiny_csv), fast_params, tmp_path / "m", cv=folds)


def test_refit_all_exports_a_model_fitted_on_every_row_with_the_evaluated_metrics(
    tiny_csv, fast_params, tmp_path, trained
):
    from supportml.model import load
    from supportml.train import EVALUATED, REFITTED

    data = load_requests(tiny_csv)
    full = train(data, fast_params, tmp_path / "m", refit_all=True)
    # the metrics, threshold and temperature are those of the model fitted without the test rows
    assert full.card.metrics == trained.card.metrics
    assert (full.card.threshold, full.card.temperature) == (
        trained.card.threshold,
        trained.card.temperature,
    )
    assert full.test_predictions == trained.test_predictions
    assert full.card.metrics_from == REFITTED and trained.card.metrics_from == EVALUATED
    assert full.card.n_train == len(data) and trained.card.n_train == len(trained.split.train)
    test_texts = [data.texts[i] for i in full.split.test]
    exported, card = load(tmp_path / "m")
    assert card.temperature == trained.card.temperature
    assert not np.allclose(exported.decision(test_texts), trained.classifier.decision(test_texts))


def test_without_refit_the_exported_model_is_the_evaluated_one(tiny_csv, trained):
    data = load_requests(tiny_csv)
    predicted, _ = trained.classifier.predict([data.texts[i] for i in trained.split.test])
    assert predicted == trained.test_predictions


def test_thin_calibration_rows_switch_to_out_of_fold_calibration_with_a_warning(
    tiny_csv, fast_params, tmp_path
):
    from collections import Counter

    from supportml.train import MIN_CALIBRATION_ROWS

    data = load_requests(tiny_csv)
    said = []
    result = train(data, fast_params, tmp_path / "m", warn=said.append)
    counts = Counter(data.topics[i] for i in result.split.calibration)
    assert min(counts.values()) < MIN_CALIBRATION_ROWS
    [warning] = said
    fewest = min(counts.values())
    assert f"has {fewest} calibration row(s) (fewer than {MIN_CALIBRATION_ROWS})" in warning
    metrics = result.card.metrics
    assert metrics["calibration_folds"] == 5 and 0 <= metrics["calibration_unseen_abstained"] <= 1
    assert result.card.temperature != 1.0 and 0 < result.card.threshold <= 1


def test_enough_calibration_rows_keep_the_hold_out(fast_params, tmp_path):
    from tests.conftest import make_rows, write_csv

    data = load_requests(write_csv(tmp_path / "d.csv", make_rows(60)))
    said = []
    result = train(data, fast_params, tmp_path / "m", warn=said.append)
    assert said == [] and result.card.metrics["calibration_folds"] == 0


def test_the_card_carries_out_of_fold_confusions_over_every_labelled_row(tiny_csv, trained):
    """Every people label counts once, predicted by a model fitted without it: the confusions
    show the errors a model makes on requests it has not seen, which the exported model does
    not make on the rows it was fitted on."""
    from supportml.model import read_card

    data = load_requests(tiny_csv)
    confusion = trained.card.confusion
    assert sum(n for row in confusion.values() for n in row.values()) == len(data)
    assert {t: sum(row.values()) for t, row in confusion.items()} == {
        t: data.topics.count(t) for t in set(data.topics)
    }
    out_of_fold = sum(row.get(t, 0) for t, row in confusion.items()) / len(data)
    rows = trained.split.train
    predicted, _ = trained.classifier.predict([data.texts[i] for i in rows])
    in_sample = np.mean([p == data.topics[i] for p, i in zip(predicted, rows, strict=True)])
    assert 0.5 < out_of_fold < in_sample
    assert read_card(trained.model_dir).confusion == confusion  # and under the integrity hash


def test_an_edited_confusion_fails_the_cards_integrity(trained, tmp_path):
    import json
    import shutil

    from supportml.model import CARD_FILE, ModelError, read_card

    copy = shutil.copytree(trained.model_dir, tmp_path / "m")
    card = json.loads((copy / CARD_FILE).read_text())
    first = next(iter(card["confusion"]))
    card["confusion"][first][first] += 1
    (copy / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="integrity"):
        read_card(copy)


def test_every_fit_of_a_training_reads_the_name_rows_and_no_scored_row_is_one(
    tiny_csv, fast_params, tmp_path, fits
):
    """Calibration (out-of-fold here: the tiny data's calibration rows are thin), the refit on
    all rows, cross-validation and the out-of-fold confusions all fit through the one rule."""
    from tests.conftest import name_rows_of

    data = load_requests(tiny_csv)
    params = replace(fast_params, name_rows=True)
    result = train(data, params, tmp_path / "m", refit_all=True, cv=2)
    # cross-calibration 1 + 5 x (1 + 3 unseen), refit 1, cv 2, confusion 5
    assert len(fits.fitted) == 1 + 5 * 4 + 1 + 2 + 5
    for fitted in fits.fitted:
        classes = sorted({label for _, label in fitted})
        assert [label for _, label in name_rows_of(fitted, data.classes)] == classes
    assert not any(name_rows_of([(t, "") for t in s], data.classes) for s in fits.scored)
    assert result.card.params["name_rows"] and result.card.n_train == len(data)
