"""The bundled handbook: its catalogue is what `docs index` writes, and it links the sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportml.docs import Catalogue, DocIndex, index_tree, link_hits
from tests.conftest import ROOT, SAMPLE
from tests.docs.conftest import BASE, BUNDLED


def test_bundled_catalogue_is_what_docs_index_writes(tmp_path):
    result = index_tree(ROOT / "datasets" / "docs", BASE)
    result.catalogue.save(tmp_path / "c.yaml")
    assert (tmp_path / "c.yaml").read_text() == BUNDLED.read_text()
    assert len(result.catalogue) >= 40
    assert len({Path(e.path).parent for e in result.catalogue.entries}) >= 8  # nested folders


def test_bundled_handbook_covers_the_sample_topics_and_its_resolutions():
    import pandas as pd

    sample = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    catalogue = Catalogue.load(BUNDLED, topics=set(sample["topic"]))
    assert set(catalogue.topics) == set(sample["topic"])
    resolved = sample["resolved_by_doc"][sample["resolved_by_doc"] != ""]
    assert set(resolved) <= {e.id for e in catalogue.entries}
    assert 0.25 <= len(resolved) / len(sample) <= 0.40


def test_loader_keeps_optional_columns_aligned_with_the_rows(tmp_path):
    from supportml.data import load_requests
    from tests.conftest import write_csv

    rows = [
        {"id": "1", "text": "okta access", "topic": "Access", "resolved_by_doc": "access/okta"},
        {"id": "2", "text": "", "topic": "Access", "resolved_by_doc": "skipped/empty"},
        {"id": "3", "text": "sso login", "topic": "Access", "resolved_by_doc": ""},
        {"id": "4", "text": "lone topic", "topic": "Rare", "resolved_by_doc": "skipped/rare"},
        {"id": "5", "text": "helm rollback", "topic": "Deploy", "resolved_by_doc": "deploy/rb"},
        {"id": "6", "text": "helm failed", "topic": "Deploy", "resolved_by_doc": ""},
    ]
    path = write_csv(tmp_path / "r.csv", rows)
    data = load_requests(path, extra_cols=("resolved_by_doc", "absent"), skip_invalid=True)
    assert data.ids == ["1", "3", "5", "6"]
    assert data.extra == {"resolved_by_doc": ["access/okta", "", "deploy/rb", ""]}
    empty = write_csv(
        tmp_path / "e.csv", [{**r, "resolved_by_doc": ""} for r in rows[:1] + rows[4:]]
    )
    assert load_requests(empty, extra_cols=("resolved_by_doc",), min_per_class=1).extra == {}


@pytest.mark.slow
def test_hit_at_3_on_the_sample(sample_trained):
    """The brief's target, on the held-out test rows of the default model and on all rows."""
    from supportml.data import load_requests
    from supportml.suggest import Suggester

    data = load_requests(SAMPLE, extra_cols=("resolved_by_doc",))
    result = sample_trained
    suggester = Suggester.from_card(
        result.classifier, result.card, DocIndex(Catalogue.load(BUNDLED))
    )
    expected = data.extra["resolved_by_doc"]
    test_rows = set(result.split.test.tolist())
    for rows in ([i for i in test_rows if expected[i]], [i for i, d in enumerate(expected) if d]):
        links = suggester.links_many([data.texts[i] for i in rows])
        hits = link_hits(links, [expected[i] for i in rows])
        assert hits["hit_at_3"] >= 0.8, hits
