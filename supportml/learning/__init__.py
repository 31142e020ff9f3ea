"""The learning loop: the training set from stored labels (training_set), champion/challenger
rules (promotion), one turn that trains, judges and publishes (loop), where models come from
(sources) and the watcher that swaps a published model into a running responder (watcher)."""
