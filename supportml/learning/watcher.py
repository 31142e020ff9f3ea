"""Hot reload: watch where the model is published and swap a new version in between events.

A responder runs for weeks while `supportml train` publishes new models into models/ or moves
the registry's champion alias. The watcher asks its source every few minutes which version is
published (cheap: a card, an alias), and only when that changed loads it, verified, in its own
thread, then hands the Suggester built from it to ``install``, one reference assignment that
events in flight never see half done. A model that fails to load is refused, logged once, and
not tried again until something else is published; the one installed keeps answering.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from supportml.learning.sources import PublishedSource
from supportml.model import ModelCard, ModelError, TopicClassifier
from supportml.suggest import Suggester

log = logging.getLogger("supportml.reload")

#: What the swapped-in suggester must answer before it is installed (a loadable pickle that
#: cannot classify is refused like a corrupted one).
PROBE = "hello, my deploy failed"


class ModelWatcher:
    """Swaps the responder's model when its source publishes a new, loadable version."""

    def __init__(
        self,
        source: PublishedSource,
        build: Callable[[TopicClassifier, ModelCard], Suggester],
        install: Callable[[Suggester], None],
        current: str,
    ):
        self.source = source
        self.build = build
        self.install = install
        self.current = current
        self.refused: str | None = None  # the last version that failed: not retried
        self._problem: str | None = None  # the last source failure logged (logged once)
        self._lock = threading.Lock()  # one check at a time, whoever calls it

    def check(self) -> str:
        """Look once; the outcome: 'unchanged', 'swapped a -> b' or 'refused b: reason'.

        All loading happens here, in the caller's thread (the watcher's), never on an event's.
        """
        with self._lock:
            try:
                version = self.source.published()
            except Exception as exc:  # a registry that is down: keep the model, say so once
                return self._unavailable(_reason(exc))
            if version is None:
                return self._unavailable("nothing usable is published")
            self._problem = None
            if version == self.current:
                return "unchanged"
            if version == self.refused:
                return f"unchanged: {version} was refused"
            try:
                classifier, card = self.source.load()
                if card.version == self.current:  # published again between the two calls
                    return "unchanged"
                suggester = self.build(classifier, card)
                suggester.suggest(PROBE, explain=False)
            except Exception as exc:
                self.refused = version
                reason = _reason(exc)
                log.warning(
                    "model %s from %s refused, keeping %s: %s",
                    version, self.source.description, self.current, reason,
                )  # fmt: skip
                return f"refused {version}: {reason}"
            self.install(suggester)
            previous, self.current, self.refused = self.current, card.version, None
            log.info("model swapped: %s -> %s", previous, self.current)
            return f"swapped {previous} -> {self.current}"

    def _unavailable(self, reason: str) -> str:
        if reason != self._problem:
            self._problem = reason
            log.warning(
                "cannot check %s for a new model, keeping %s: %s",
                self.source.description, self.current, reason,
            )  # fmt: skip
        return f"unchanged: {reason}"

    def start(self, every_seconds: float, stop: threading.Event) -> threading.Thread:
        """Check every ``every_seconds`` (the first time after one period) until ``stop``."""

        def loop() -> None:
            while not stop.wait(every_seconds):
                try:
                    self.check()
                except Exception as exc:  # install failing must not end the watching
                    log.error("model reload failed: %s", _reason(exc))

        thread = threading.Thread(target=loop, name="supportml-model-watcher", daemon=True)
        thread.start()
        return thread


def _reason(exc: BaseException) -> str:
    """One line: a ModelError's message as the user sees it; other errors with their type."""
    lines = str(exc).strip().splitlines()
    first = lines[0] if lines else ""
    if isinstance(exc, ModelError) and first:
        return first
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
