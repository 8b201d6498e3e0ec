"""The text of a search as an FTS5 query: words quoted, the last one a prefix,
and the words naming a need (slug, label, synonym, thématique label) widened to
the services of that need. No Flask imports."""

import re
import threading

from ..catalogue.vocabulary import NeedTerms

MAX_WORDS = 20
NEEDS_COLUMN = "besoins_libelles"  # FTS column holding the labels of a service's needs

_terms = {}  # rows of the besoins table → NeedTerms
_lock = threading.Lock()


def need_terms(db):
    """The NeedTerms of the besoins table (16 rows), built once per content."""
    rows = tuple(
        tuple(sorted(row.items()))
        for row in db.query("select * from besoins order by ordre")
    )
    terms = _terms.get(rows)
    if terms is None:
        terms = NeedTerms(dict(row) for row in rows)
        with _lock:
            if len(_terms) > 8:
                _terms.clear()
            _terms[rows] = terms
    return terms


def _phrase(text):
    return '"' + " ".join(re.findall(r"\w+", text)) + '"'


def fts_query(text, terms=None):
    """Quote every word for FTS5 (apostrophes, quotes, NEAR( are just text);
    the last word is a prefix, so "epicerie sol" finds "solidaire". A run of
    words naming needs also matches the services of those needs."""
    words = re.findall(r"\w+", text)[:MAX_WORDS]
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    spans = terms.spans(words) if terms else []
    if not spans:
        return " ".join(quoted)
    # FTS5 takes no implicit AND after a parenthesis: every AND is written.
    groups, i = [], 0
    for start, end, needs in spans:
        groups += quoted[i:start]
        labels = " OR ".join(_phrase(terms.labels[slug]) for slug in needs)
        text_match = " AND ".join(quoted[start:end])
        groups.append(f"(({text_match}) OR {NEEDS_COLUMN} : ({labels}))")
        i = end
    groups += quoted[i:]
    return " AND ".join(groups)
