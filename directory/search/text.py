"""The words that name a need (slug, label, synonym, thématique label), read
once per content of the besoins table; `search.textquery` widens them to the
services of that need. No Flask imports."""

import threading

from ..catalogue.vocabulary import NeedTerms

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
