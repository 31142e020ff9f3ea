"""Documentation links: which handbook pages answer a request.

`catalogue` holds the validated list of pages, `pages` reads one Markdown/HTML page, `indexer`
turns a docs tree into a catalogue, and `search` ranks pages for a request (`DocIndex`). The public
names are re-exported here, so callers write ``from supportml.docs import DocIndex``.
"""

from supportml.docs.catalogue import CATALOGUE_FORMAT, Catalogue, DocEntry, DocsError
from supportml.docs.indexer import IndexResult, index_tree, page_files, page_url, read_page
from supportml.docs.pages import (
    PAGE_SUFFIXES,
    Page,
    parse_html,
    parse_markdown,
    split_front_matter,
)
from supportml.docs.search import (
    DEFAULT_MIN_SCORE,
    DEFAULT_MIN_TERMS,
    DEFAULT_PRIOR_WEIGHT,
    FIELD_WEIGHTS,
    MAX_REASON_TERMS,
    NEUTRAL_PRIOR,
    STOP_WORDS,
    DocIndex,
    DocLink,
    link_hits,
    stem,
    terms,
)

__all__ = [
    "CATALOGUE_FORMAT",
    "DEFAULT_MIN_SCORE",
    "DEFAULT_MIN_TERMS",
    "DEFAULT_PRIOR_WEIGHT",
    "FIELD_WEIGHTS",
    "MAX_REASON_TERMS",
    "NEUTRAL_PRIOR",
    "PAGE_SUFFIXES",
    "STOP_WORDS",
    "Catalogue",
    "DocEntry",
    "DocIndex",
    "DocLink",
    "DocsError",
    "IndexResult",
    "Page",
    "index_tree",
    "link_hits",
    "page_files",
    "page_url",
    "parse_html",
    "parse_markdown",
    "read_page",
    "split_front_matter",
    "stem",
    "terms",
]
