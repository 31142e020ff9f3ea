from contextlib import nullcontext

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
