"""The words that name a need (slug, label, synonym, thématique label), read
once per content of the besoins table; `search.textquery` widens them to the
services of that need. No Flask imports."""

import json
import threading

from ..catalogue.vocabulary import NeedTerms

# The columns NeedTerms reads, in the needs' order, as one JSON text built by
# SQLite: the cache key, compared whole (an edited need gives another key).
NEED_COLUMNS = ("slug", "libelle", "synonymes", "thematique_defaut")
NEED_COLUMNS += ("thematiques_couvertes",)
CONTENT = (
    "select json_group_array(json_array({})) from"
    " (select * from besoins order by ordre, rowid)"
).format(", ".join(NEED_COLUMNS))
MAX_CACHED = 8  # contents kept (tests create many databases)

_terms = {}  # JSON content of the needs → NeedTerms
_lock = threading.Lock()


def need_terms(db):
    """The NeedTerms of the besoins table (16 rows), built once per content."""
    content = db.conn.execute(CONTENT).fetchone()[0]
    terms = _terms.get(content)
    if terms is None:
        rows = json.loads(content)
        terms = NeedTerms(dict(zip(NEED_COLUMNS, row, strict=True)) for row in rows)
        with _lock:
            if len(_terms) >= MAX_CACHED:
                _terms.clear()
            _terms[content] = terms
    return terms
