"""Topic shares of the requests nobody labelled, corrected for the model's errors, with intervals.

Counting the model's topics ("classify and count") is biased: a topic the model often mistakes
for another is under-counted, and the topics it is mistaken for are over-counted, more so when
the mix of requests shifts away from the one the model learnt from. Quantification methods
correct this with the model's behaviour on requests people did label:

- ``cc``   classify and count, the baseline;
- ``acc``  adjusted classify and count (Forman 2008): with M[j, i] = P(model says j | truth i)
  measured on labelled requests and q = the share of each predicted topic among the unlabelled,
  the true shares p solve M p = q; solved as least squares under p >= 0, sum(p) = 1 (never a raw
  inverse, which returns negative shares as soon as M is noisy);
- ``pcc``  probabilistic classify and count (Bella et al. 2010) where the only probability is
  the one the confusions give: each predicted topic's count is split among the true topics as
  the people-labelled requests the model gave that topic were, P(truth i | predicted j); this is
  also the first step of ``em`` from the labelled mix with those posteriors. It needs each
  request's best topic only (all the store keeps) and inverts nothing, so noise in the
  confusions stays noise instead of being amplified; under a shift it leans toward the
  labelled mix (a topic whose volume grew is under-estimated);
- ``pacc`` the same as ``acc`` with the model's probabilities in place of its 0/1 votes (Bella et
  al. 2010);
- ``em``   prior adjustment by expectation-maximisation (Saerens, Latinne & Decaestecker 2002);
- ``bcts`` ``em`` on probabilities recalibrated first by bias-corrected temperature scaling
  fitted on the labelled requests (one temperature and one bias per topic; Alexandari, Kundaje
  & Shrikumar 2020, "Maximum likelihood with bias-corrected calibration is hard-to-beat at
  label shift adaptation"): EM's answer is only as good as the probabilities' calibration per
  topic, which one temperature cannot fix.

- ``spcc`` ``pcc`` with its pull toward the labelled mix undone, topic by topic: a real change
  d in topic i's share moves ``pcc``'s estimate by only G_ii d, where G_ii = sum_j
  P(truth i | predicted j) P(predicted j | truth i) (about recall x precision), so ``spcc``
  is the labelled share plus ``pcc``'s departure from it divided by G_ii. It undoes the pull
  on a topic that grew, but divides the sampling noise of every other topic by G_ii too;
  to first order only: a topic the model recalls 60% of, growing from 20% to 60% of the
  requests, reads 43% (``pcc`` 32%, ``acc`` 63%; tests/test_shares.py);
- ``blend`` per topic, ``pcc`` moved toward ``spcc`` by the share of their gap that is more
  than noise: weight max(0, 1 - v/d^2), with d the gap and v its bootstrap variance (the
  positive-part composite estimator of small-area estimation, Rao & Molina 2015, 3.3, the
  James-Stein rule for one topic). A topic whose volume really changed gets ``spcc``'s
  answer, the rest keep ``pcc``'s low variance; the rule has no setting to tune.

``DEFAULT_METHOD`` is ``blend``, what the report runs (`correct`), chosen on
benchmarks/share_benchmark.py, which runs the product's path (30% labelled) with the card's
out-of-fold confusions over every labelled request. Over its seeds 0-4 (2026-12-03), mean
absolute error per topic against raw counting's: BANKING77 0.069 vs 0.075 pp natural and 0.072
vs 0.077 with one topic's volume tripled (0.081 vs 0.223 pp on that topic; ``pcc`` 0.078 and
0.68 pp: it pulled the grown topic back toward its labelled share); the sample 0.61 vs 0.87
natural and 0.79 vs 0.99 tripled (``pcc`` 0.47 and 0.66, but 3.45 pp on the grown topic against
``blend``'s 1.88). Checked afterwards on seeds 5-9, not used to choose (README). ``acc`` over
the same confusions had more error than raw counting everywhere
(1.4-1.7x): fold models are a little weaker than the model that counts (out-of-fold accuracy
0.86 against 0.88 on BANKING77), and the confusions of 50 labelled requests a topic are noisy
enough that inverting them loses to raw counting even when they come from the counting model
itself (0.11 against 0.09 pp on half of the hidden requests); so did a Bayesian model of the
confusions and the shares (Ziegler & Czyz 2024, Gibbs sampling). ``em``/``bcts`` need both
probability matrices, which the store does not keep for every request.

The model's behaviour must be measured out of sample: ``labelled_predicted`` (and
``labelled_probs``) must come from models that were not fitted on those rows, or M looks
near-perfect and the correction does nothing. `train` records out-of-fold predictions over every
labelled row (`train.out_of_fold_confusion`): the test fifth alone leaves about 10 rows per
topic on BANKING77, too few (``acc`` 2.3x raw counting's error, ``bcts`` 1.1x, one seed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize, nnls
from scipy.special import log_softmax, softmax

METHODS = ("cc", "acc", "pcc", "spcc", "blend", "pacc", "em", "bcts")
#: Methods that need each request's best topic only (what the store keeps).
BEST_TOPIC_METHODS = METHODS[:5]
DEFAULT_METHOD = "blend"
#: Fewer labelled requests than this for a topic and its column of M is mostly noise.
MIN_LABELLED_PER_TOPIC = 10
#: Above this condition number of M, least squares amplifies sampling noise in q more than it
#: removes bias: errors in q of 1 pp may become errors in p of up to MAX_CONDITION pp.
MAX_CONDITION = 25.0
_SUM_WEIGHT = 1e3  # weight of the sum-to-one row appended to the least-squares system
_EM_ITERATIONS = 100
_EM_TOLERANCE = 1e-6
#: Ridge on the per-topic biases of ``bcts`` (in labelled requests' worth of log-loss): a topic
#: with a handful of labels keeps a bias near 0 instead of fitting its few rows exactly.
_BCTS_RIDGE = 1.0


@dataclass(frozen=True)
class TopicShare:
    """One topic among the unlabelled requests: the model's raw count, the corrected estimate
    and its interval (shares in [0, 1]), and how many people-labelled requests back it."""

    topic: str
    raw_count_share: float
    estimated_share: float
    low: float
    high: float
    labelled_support: int


@dataclass(frozen=True)
class Readiness:
    """Whether the people labels are enough to correct the raw counts, and if not what to add."""

    ready: bool
    reason: str
    more_labels_needed: int
    short_topics: tuple[str, ...]
    condition: float


def _codes(topics: Sequence[str], values: Sequence[str], what: str) -> np.ndarray:
    index = {topic: i for i, topic in enumerate(topics)}
    unknown = sorted({str(v) for v in values} - index.keys())
    if unknown:
        raise ValueError(f"{what}: topic {unknown[0]!r} is not one of the model's topics")
    return np.fromiter((index[str(v)] for v in values), dtype=np.intp, count=len(values))


def _joint(truth: np.ndarray, predicted: np.ndarray, k: int) -> np.ndarray:
    """Labelled requests per (predicted topic, true topic), k x k."""
    return np.bincount(predicted * k + truth, minlength=k * k).reshape(k, k).astype(float)


def _confusion(truth: np.ndarray, predicted: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(M with M[j, i] = P(predicted j | truth i), labelled count per true topic).

    A topic with no labelled request gets the identity column: with nothing measured, the
    model's count of it is taken as it is.
    """
    joint = _joint(truth, predicted, k)
    support = joint.sum(axis=0)
    return _normalise_columns(joint, support), support.astype(int)


def _normalise_columns(counts: np.ndarray, support: np.ndarray) -> np.ndarray:
    """Columns of ``counts`` (..., k, k) over ``support`` (..., k); empty columns become e_i."""
    k = counts.shape[-1]
    safe = np.where(support > 0, support, 1.0)[..., None, :]
    matrix = counts / safe
    empty = (support == 0)[..., None, :] & np.eye(k, dtype=bool)
    return np.where(empty, 1.0, matrix)


def solve_adjusted(matrix: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """The shares p >= 0 with sum 1 that best explain ``observed`` = ``matrix`` @ p.

    Non-negative least squares with a heavily weighted sum-to-one row, then renormalised: the
    constrained least-squares solution of adjusted classify-and-count.
    """
    k = matrix.shape[1]
    system = np.vstack([matrix, np.full((1, k), _SUM_WEIGHT)])
    target = np.append(observed, _SUM_WEIGHT)
    shares, _ = nnls(system, target, maxiter=50 * k)
    total = shares.sum()
    return shares / total if total > 0 else np.full(k, 1.0 / k)


def split_by_confusion(joint: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Each predicted topic's share ``observed`` split among the true topics as the people
    labels it was predicted for were: p_i = sum_j q_j P(truth i | predicted j), with
    P(truth i | predicted j) = ``joint``[..., j, i] / sum_i ``joint``[..., j, i] (joint counts of
    (predicted, truth)); a topic never predicted on labelled requests is taken as it is."""
    return np.einsum("...j,...ji->...i", observed, _posterior(joint))


def _posterior(joint: np.ndarray) -> np.ndarray:
    """P(truth i | predicted j) from joint counts (..., j, i); a never-predicted j gets e_j."""
    k = joint.shape[-1]
    rows = joint.sum(axis=-1, keepdims=True)
    return np.where(rows > 0, joint / np.where(rows > 0, rows, 1.0), np.eye(k))


def undo_pull(joint: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """``spcc``: the labelled mix plus ``split_by_confusion``'s departure from it, each topic's
    divided by the share G_ii of a real change that the split passes on (module docstring);
    clipped at 0 and renormalised. ``joint`` and ``observed`` as for ``split_by_confusion``."""
    posterior, support = _posterior(joint), joint.sum(axis=-2)
    passed = np.einsum("...ji,...ji->...i", posterior, _normalise_columns(joint, support))
    labelled = support / support.sum(axis=-1, keepdims=True)
    departure = np.einsum("...j,...ji->...i", observed, posterior) - labelled
    shares = labelled + departure / np.where(passed > 0, passed, 1.0)
    return _distribution(shares)


def _distribution(shares: np.ndarray) -> np.ndarray:
    """``shares`` (..., k) clipped at 0 and scaled to sum to 1."""
    clipped = np.clip(shares, 0.0, None)
    return clipped / clipped.sum(axis=-1, keepdims=True)


def _blend(
    pcc: np.ndarray, spcc: np.ndarray, pcc_draws: np.ndarray, spcc_draws: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``blend``'s point estimate and bootstrap draws from ``pcc``'s and ``spcc``'s (the draws
    from the same resamples): each topic moves from ``pcc`` toward ``spcc`` by max(0, 1 - v/d^2)
    of their gap d, v the gap's variance over the draws; the draws take the same weights."""
    gap = spcc - pcc
    noise = (spcc_draws - pcc_draws).var(axis=0)
    weight = np.clip(1.0 - noise / np.maximum(gap * gap, np.finfo(float).tiny), 0.0, 1.0)
    return (
        _distribution(pcc + weight * gap),
        _distribution(pcc_draws + weight * (spcc_draws - pcc_draws)),
    )


def _em(
    probs: np.ndarray,
    train_prior: np.ndarray,
    weights: np.ndarray | None = None,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Saerens–Latinne–Decaestecker: re-weight posteriors by new/old prior until they agree.

    The log-likelihood is concave in the prior, so any ``start`` reaches the same maximum; the
    bootstrap starts from the point estimate and converges in a few steps instead of dozens.
    """
    old = np.where(train_prior > 0, train_prior, 1e-12)
    prior = old.copy() if start is None else start.copy()
    w = None if weights is None else weights / weights.sum()
    for _ in range(_EM_ITERATIONS):
        scaled = probs * (prior / old)
        scaled /= scaled.sum(axis=1, keepdims=True)
        new = scaled.mean(axis=0) if w is None else w @ scaled
        if np.abs(new - prior).max() < _EM_TOLERANCE:
            return new
        prior = new
    return prior


def calibrate_bcts(
    labelled_probs: np.ndarray, truth: np.ndarray, unlabelled_probs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Both probability matrices recalibrated by bias-corrected temperature scaling.

    softmax(log(p) / T + b), with T and the per-topic biases b fitted by minimising the labelled
    requests' log-loss (plus ``_BCTS_RIDGE`` x |b|^2 / n), so that topics the model is over- or
    under-confident about get their probabilities, and with them EM's prior ratios, right.
    """
    k = labelled_probs.shape[1]
    logs = [np.log(np.clip(p, 1e-12, None)) for p in (labelled_probs, unlabelled_probs)]
    onehot, n = np.eye(k)[truth], len(truth)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        scale, bias = np.exp(-theta[0]), theta[1:]
        logp = log_softmax(logs[0] * scale + bias, axis=1)
        residual = np.exp(logp) - onehot  # d loss / d logit, per row
        value = -(logp * onehot).sum() / n + _BCTS_RIDGE * (bias @ bias) / n
        grad_t = -(residual * logs[0] * scale).sum() / n  # through scale = exp(-log T)
        return float(value), np.r_[grad_t, residual.sum(axis=0) / n + 2 * _BCTS_RIDGE * bias / n]

    theta = minimize(loss, np.zeros(k + 1), jac=True, method="L-BFGS-B").x
    scale, bias = np.exp(-theta[0]), theta[1:]
    calibrated = (softmax(log * scale + bias, axis=1) for log in logs)
    return next(calibrated), next(calibrated)


def _point(
    method: str,
    k: int,
    truth: np.ndarray,
    predicted: np.ndarray,
    unlabelled: np.ndarray,
    labelled_probs: np.ndarray | None,
    unlabelled_probs: np.ndarray | None,
) -> np.ndarray:
    raw = np.bincount(unlabelled, minlength=k) / len(unlabelled)
    if method == "cc":
        return raw
    if method == "acc":
        return solve_adjusted(_confusion(truth, predicted, k)[0], raw)
    if method == "pcc":
        return split_by_confusion(_joint(truth, predicted, k), raw)
    if method == "spcc":
        return undo_pull(_joint(truth, predicted, k), raw)
    assert labelled_probs is not None and unlabelled_probs is not None
    if method == "pacc":
        onehot = np.eye(k)[truth]
        support = onehot.sum(axis=0)
        return solve_adjusted(
            _normalise_columns(labelled_probs.T @ onehot, support), unlabelled_probs.mean(axis=0)
        )
    return _em(unlabelled_probs, np.bincount(truth, minlength=k) / len(truth))


def _bootstrap(
    method: str,
    k: int,
    truth: np.ndarray,
    predicted: np.ndarray,
    unlabelled: np.ndarray,
    labelled_probs: np.ndarray | None,
    unlabelled_probs: np.ndarray | None,
    resamples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """``resamples`` x k estimates, each from a resample of the labelled and unlabelled rows.

    Resampling rows with replacement is drawing multinomial weights, so each resample is a few
    matrix products (and, for acc, one small NNLS), not a loop over rows. cc and acc see the
    unlabelled rows only through their count per topic, so they draw those counts directly:
    k numbers per resample instead of one weight per row (a report over 1M requests).
    """
    n_l, n_u = len(truth), len(unlabelled)
    if method in ("cc", "acc", "pcc", "spcc"):
        observed = np.bincount(unlabelled, minlength=k) / n_u
        raw = rng.multinomial(n_u, observed, size=resamples) / n_u
    else:
        w_u = rng.multinomial(n_u, np.full(n_u, 1.0 / n_u), size=resamples).astype(float)
        raw = np.stack([np.bincount(unlabelled, weights=w, minlength=k) for w in w_u]) / n_u
    if method == "cc":
        return raw
    if method in ("acc", "pcc", "spcc"):
        joint = _joint(truth, predicted, k).ravel() / n_l
        counts = rng.multinomial(n_l, joint, size=resamples).reshape(resamples, k, k).astype(float)
        if method == "pcc":
            return split_by_confusion(counts, raw)
        if method == "spcc":
            return undo_pull(counts, raw)
        matrices = _normalise_columns(counts, counts.sum(axis=1))
        return np.stack([solve_adjusted(m, q) for m, q in zip(matrices, raw, strict=True)])
    assert labelled_probs is not None and unlabelled_probs is not None
    w_l = rng.multinomial(n_l, np.full(n_l, 1.0 / n_l), size=resamples).astype(float)
    onehot = np.eye(k)[truth]
    if method == "pacc":
        q = w_u @ unlabelled_probs / n_u
        support = w_l @ onehot
        matrices = np.einsum("bn,nj,ni->bji", w_l, labelled_probs, onehot)
        matrices = _normalise_columns(matrices, support)
        return np.stack([solve_adjusted(m, o) for m, o in zip(matrices, q, strict=True)])
    priors = (w_l @ onehot) / n_l
    start = _em(unlabelled_probs, np.bincount(truth, minlength=k) / n_l)
    return np.stack([_em(unlabelled_probs, p, w, start) for p, w in zip(priors, w_u, strict=True)])


def estimate_shares(
    topics: Sequence[str],
    labelled_true: Sequence[str],
    labelled_predicted: Sequence[str],
    unlabelled_predicted: Sequence[str],
    *,
    labelled_probs: np.ndarray | None = None,
    unlabelled_probs: np.ndarray | None = None,
    method: str = DEFAULT_METHOD,
    confidence: float = 0.90,
    resamples: int = 200,
    seed: int = 0,
) -> list[TopicShare]:
    """Each of the model's ``topics``' share among the unlabelled requests, in ``topics`` order.

    ``labelled_true``/``labelled_predicted`` are the people's topic and the model's out-of-sample
    best topic for each labelled request; ``unlabelled_predicted`` the model's best topic for each
    request nobody labelled (abstained ones included: the correction accounts for them).
    ``pacc`` and ``em`` also need the probability matrices, columns in ``topics`` order.
    The interval is the bootstrap percentile interval (both sets resampled, fixed ``seed``),
    widened if needed to contain the estimate.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    if len(labelled_true) != len(labelled_predicted):
        raise ValueError("labelled_true and labelled_predicted differ in length")
    if not len(unlabelled_predicted):
        return []
    if method != "cc" and not len(labelled_true):
        raise ValueError(f"method {method!r} needs people-labelled requests")
    if method in ("pacc", "em", "bcts") and (labelled_probs is None or unlabelled_probs is None):
        raise ValueError(f"method {method!r} needs labelled_probs and unlabelled_probs")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence {confidence!r}: expected a number in (0, 1)")
    k = len(topics)
    truth = _codes(topics, labelled_true, "labelled_true")
    predicted = _codes(topics, labelled_predicted, "labelled_predicted")
    unlabelled = _codes(topics, unlabelled_predicted, "unlabelled_predicted")
    probs = (
        None if labelled_probs is None else np.asarray(labelled_probs, dtype=float),
        None if unlabelled_probs is None else np.asarray(unlabelled_probs, dtype=float),
    )
    if method == "bcts":  # calibrated once; the bootstrap resamples EM's inputs, not the fit
        assert probs[0] is not None and probs[1] is not None
        probs, method = calibrate_bcts(probs[0], truth, probs[1]), "em"
    raw = np.bincount(unlabelled, minlength=k) / len(unlabelled)

    def run(method: str) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)  # the same resamples for every method
        return (
            _point(method, k, truth, predicted, unlabelled, *probs),
            _bootstrap(method, k, truth, predicted, unlabelled, *probs, resamples, rng),
        )

    if method == "blend":
        (pcc, pcc_draws), (spcc, spcc_draws) = run("pcc"), run("spcc")
        point, draws = _blend(pcc, spcc, pcc_draws, spcc_draws)
    else:
        point, draws = run(method)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail], axis=0)
    low, high = np.clip(np.minimum(low, point), 0, 1), np.clip(np.maximum(high, point), 0, 1)
    support = np.bincount(truth, minlength=k)
    return [
        TopicShare(
            str(topic),
            float(raw[i]),
            float(point[i]),
            float(low[i]),
            float(high[i]),
            int(support[i]),
        )  # fmt: skip
        for i, topic in enumerate(topics)
    ]


def readiness(
    topics: Sequence[str],
    labelled_true: Sequence[str],
    labelled_predicted: Sequence[str],
    *,
    min_per_topic: int = MIN_LABELLED_PER_TOPIC,
    max_condition: float = MAX_CONDITION,
) -> Readiness:
    """Whether the correction can be trusted, and how many more people labels it needs.

    The rule: every topic needs at least ``min_per_topic`` labelled requests (fewer and its
    column of M is a handful of votes), and M's condition number must be at most
    ``max_condition`` (above it, topics the model cannot tell apart make the solution swing with
    sampling noise). ``more_labels_needed`` is the sum of the topics' shortfalls; when only the
    condition fails, it is the labels that would double the support of the least-recalled topics
    (those M mixes up), which narrows their columns' noise by about 1/sqrt(2).
    """
    k = len(topics)
    truth = _codes(topics, labelled_true, "labelled_true")
    predicted = _codes(topics, labelled_predicted, "labelled_predicted")
    matrix, support = _confusion(truth, predicted, k)
    condition = float(np.linalg.cond(matrix))
    short = [i for i in range(k) if support[i] < min_per_topic]
    needed = int(sum(min_per_topic - support[i] for i in short))
    names = tuple(str(topics[i]) for i in short)
    if short:
        return Readiness(
            False,
            f"{len(short)} of {k} topics have fewer than {min_per_topic} people-labelled "
            f"requests; label about {needed} more ({', '.join(names[:3])}"
            f"{', ...' if len(names) > 3 else ''})",
            needed,
            names,
            condition,
        )
    if not condition <= max_condition:
        recall = np.diag(matrix)
        worst = np.argsort(recall)[: max(1, k // 10)]
        needed = int(support[worst].sum())
        names = tuple(str(topics[i]) for i in worst)
        return Readiness(
            False,
            f"the model confuses topics too much to correct (condition {condition:.0f} > "
            f"{max_condition:.0f}); label about {needed} more requests of "
            f"{', '.join(names[:3])}{', ...' if len(names) > 3 else ''}",
            needed,
            names,
            condition,
        )
    return Readiness(True, f"enough people labels (condition {condition:.1f})", 0, (), condition)


def correct(
    confusion: Mapping[str, Mapping[str, int]],
    predicted: Mapping[str, int],
    *,
    method: str = DEFAULT_METHOD,
    confidence: float = 0.90,
    resamples: int = 200,
    seed: int = 0,
) -> tuple[Readiness, list[TopicShare]]:
    """What the report shows: the shares of the requests nobody labelled, from how many of them
    the model gave each topic (``predicted``) and its out-of-fold ``confusion`` (people's topic
    -> predicted topic -> requests: ModelCard.confusion), and whether ``readiness`` says the
    people labels are enough to show them. benchmarks/share_benchmark.py measures this very
    function. Only ``acc`` inverts the confusion matrix, so only it is held to
    ``MAX_CONDITION``."""
    pairs = [(t, g, n) for t, row in confusion.items() for g, n in row.items() if n > 0]
    topics = sorted({*(t for t, _, _ in pairs), *(g for _, g, _ in pairs), *predicted})
    counts = [n for _, _, n in pairs]
    truth = np.repeat([t for t, _, _ in pairs], counts).tolist()
    guess = np.repeat([g for _, g, _ in pairs], counts).tolist()
    condition = MAX_CONDITION if method == "acc" else np.inf
    verdict = readiness(topics, truth, guess, max_condition=condition)
    unlabelled = np.repeat(list(predicted), list(predicted.values())).tolist()
    estimates = estimate_shares(
        topics,
        truth,
        guess,
        unlabelled,
        method=method,
        confidence=confidence,
        resamples=resamples,
        seed=seed,
    )
    return verdict, estimates
