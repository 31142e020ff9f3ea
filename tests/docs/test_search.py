"""Ranking links: terms, similarity, the topic prior, minimums and hit@k."""

from __future__ import annotations

import re

import pytest

from supportml.docs import Catalogue, DocIndex, DocLink, DocsError, link_hits, stem, terms
from tests.docs.conftest import BUNDLED, page

OFF_TOPIC = [
    "what's for lunch",
    "my cat is sick",
    "anyone want to grab coffee?",
    "happy friday everyone!",
    "is the parking garage open on saturday?",
    "congrats on the promotion!",
]


@pytest.fixture(scope="module")
def bundled() -> DocIndex:
    return DocIndex(Catalogue.load(BUNDLED))


def test_terms_drop_stop_words_numbers_and_stem_lightly():
    assert [t for t, _ in terms("Hi! Deploys deployed, deploying and deployment #12345 137")] == [
        "deploy",
        "deploy",
        "deploy",
        "deploy",
        "137",
    ]
    assert stem("caches") == stem("cached") == stem("caching") == "cach"
    assert stem("access") == "access" and stem("status") == "status"


def test_a_request_quoting_a_page_title_finds_it(bundled):
    for entry in bundled.entries:
        links = bundled.search(f'I read "{entry.title}" but still have a question', None, 3)
        assert entry.id in [link.doc_id for link in links], entry.title


def test_off_topic_requests_get_no_links(bundled):
    spread = {topic: 1 / len(bundled.topics) for topic in bundled.topics}
    for text in OFF_TOPIC:
        assert bundled.search(text, None, 3) == [], text
        assert bundled.search(text, spread, 3) == [], text
    assert bundled.search("", None, 3) == [] and bundled.search("exit code 137", None, 0) == []


def test_links_are_ranked_capped_explained_and_above_the_minimum(bundled):
    text = "CI job fails with exit code 137, is the runner out of memory? NODE_OPTIONS?"
    links = bundled.search(text, None, 3)
    assert links[0].doc_id == "ci/runner-out-of-memory" and len(links) <= 3
    assert [link.score for link in links] == sorted((link.score for link in links), reverse=True)
    assert all(link.score >= bundled.min_score for link in links)
    words = set(re.findall(r"[a-z0-9]+", text.lower()))
    assert all(2 <= len(link.reason) <= 5 and set(link.reason) <= words for link in links)
    assert {"137", "memory"} <= set(links[0].reason)
    assert len(bundled.search(text, None, 1)) == 1


def test_min_score_and_min_terms_drop_weak_links():
    catalogue = Catalogue(
        (
            page("a", "Runner memory", "exit code 137 means the runner ran out of memory"),
            page("b", "Office hours", "office hours run on tuesdays"),
        )
    )
    loose = DocIndex(catalogue, min_score=0.0)
    assert loose.search("out of office next week", None, 3) == []  # one shared word only
    assert DocIndex(catalogue, min_score=0.0, min_terms=1).search("office party", None, 3)
    text = "the runner died with exit code 137"
    scores = [link.score for link in loose.search(text, None, 3)]
    assert scores and DocIndex(catalogue, min_score=max(scores) + 1e-9).search(text) == []
    with pytest.raises(DocsError, match="min_score 1.5"):
        DocIndex(catalogue, min_score=1.5)
    with pytest.raises(DocsError, match="prior_weight -1"):
        DocIndex(catalogue, prior_weight=-1)


def test_topic_prior_reorders_equally_similar_pages():
    body = "the deploy to staging failed and pods crash on start"
    catalogue = Catalogue(
        (
            page("deploy", "Failed deploys", body, ("Failed Deployment",)),
            page("env", "Failed deploys", body, ("Environments",)),
            page("any", "Failed deploys", body),
        )
    )
    index = DocIndex(catalogue, min_score=0.0)
    text = "deploy failed, pods crash"
    plain = index.search(text, None, 3)
    assert len({round(link.score, 9) for link in plain}) == 1  # same words, same score
    deploy = index.search(text, {"Failed Deployment": 0.9, "Environments": 0.1}, 3)
    env = index.search(text, {"Failed Deployment": 0.1, "Environments": 0.9}, 3)
    assert [link.doc_id for link in deploy] == ["deploy", "any", "env"]
    assert [link.doc_id for link in env] == ["env", "any", "deploy"]
    assert deploy[0].score == pytest.approx(plain[0].score * (1 - 0.5 + 0.5 * 0.9))
    flat = DocIndex(catalogue, min_score=0.0, prior_weight=0.0)
    assert flat.search(text, {"Environments": 1.0}, 3) == plain


def test_link_hits_counts_no_links_as_misses():
    link = lambda doc: DocLink(doc, "t", "https://h/x", 0.5, ())  # noqa: E731
    shown = [[link("a"), link("b")], [link("c"), link("d"), link("e")], []]
    result = link_hits(shown, ["a", "e", "f"])
    assert result == {
        "rows": 3.0,
        "hit_at_1": pytest.approx(1 / 3),
        "hit_at_3": pytest.approx(2 / 3),
        "with_links": pytest.approx(2 / 3),
    }


def test_the_posting_lists_are_the_normalised_tf_idf_matrix(bundled):
    """The index is built with numpy alone; it must hold exactly the numbers of the CSC matrix
    scipy.sparse builds from the same weights (what the index was built with before)."""
    import numpy as np
    from scipy import sparse

    entries = [bundled._term_weights(entry) for entry in bundled.entries]
    rows = [row for row, weights in enumerate(entries) for _ in weights]
    cols = [bundled._vocabulary[term] for weights in entries for term in weights]
    values = [value for weights in entries for value in weights.values()]
    shape = (len(entries), len(bundled._vocabulary))
    matrix = sparse.csc_matrix((values, (rows, cols)), shape=shape, dtype=np.float64)
    idf = np.log((shape[0] + 1) / np.maximum(np.diff(matrix.indptr), 1))
    matrix = matrix @ sparse.diags(idf)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    matrix = sparse.csc_matrix(sparse.diags(1 / np.maximum(norms, 1e-12)) @ matrix)
    matrix.sort_indices()
    assert np.array_equal(bundled._idf, idf)
    assert np.array_equal(bundled._start, matrix.indptr)
    assert np.array_equal(bundled._docs, matrix.indices)
    assert np.array_equal(bundled._weights, matrix.data)
