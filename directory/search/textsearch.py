"""Running a text query on the engine: the exact top page of a relevance
search with its filters as term filters (block-max WAND top-k and an exact
count), or every match (within a bounding box around a place) for the
in-memory path of `search.query`. No Flask imports."""

import math

import numpy as np
from tantivy import FieldType, Occur, Query

from .engine import NO_ZONE
from .textquery import EXACT_TIER, any_term

KM_PER_DEGREE = 110.574  # of latitude (its minimum, at the equator)
KM_PER_DEGREE_LON = 111.320  # of longitude at the equator
MARGIN = 1.02  # the box is a little larger than the radius: never too small
CACHE_BYTES = 32 * 1024 * 1024  # matches kept per index version


def _filter(query):
    """A query that restricts but never changes the score."""
    return (Occur.Must, Query.const_score_query(query, 0.0))


def filters(schema, query):
    """The need, public, fee and access-mode filters of a Query as term filters."""
    found = []
    if query.besoins:
        found.append(any_term(schema, "besoin", query.besoins))
    if query.publics:
        publics = sorted({*query.publics, "tous-publics"})
        found.append(any_term(schema, "public", publics))
    if query.modalites:
        found.append(any_term(schema, "modalite", query.modalites))
    if query.frais:
        found.append(Query.term_query(schema, "frais", query.frais))
    return found


def top(engine, text, restrictions, *, start, limit):
    """(total, rowids, corrected text or None) of one page, best first;
    `limit` None means every match."""
    searcher = engine.searcher()
    combined = Query.boolean_query(
        [(Occur.Must, text.query), *(_filter(r) for r in restrictions)]
    )
    if limit is None:
        limit = max(searcher.search(combined, 1, count=True).count, 1)
    result = searcher.search(combined, limit, count=True, offset=start)
    addresses = [address for _, address in result.hits]
    rowids = searcher.fast_field_values("rowid", addresses) if addresses else []
    corrected = None
    if text.tiered and result.count:
        # The best score of all: the page's first on page 1; on a later page,
        # one of its exact matches says enough, else ask the engine.
        scores = [score for score, _ in result.hits]
        if start == 0 and scores:
            best = scores[0]
        elif scores and text.exact_found(max(scores)):
            best = max(scores)
        else:
            best = searcher.search(combined, 1, count=False).hits[0][0]
        if not text.exact_found(best):
            corrected = text.corrected
    return result.count, rowids, corrected


def box(schema, latitude, longitude, rayon):
    """Services placed in a box around a point, or served at a distance."""
    dlat = rayon * MARGIN / KM_PER_DEGREE + 1e-6
    clauses = [
        Query.range_query(
            schema, "lat", FieldType.Float, latitude - dlat, latitude + dlat
        )
    ]
    cos = math.cos(math.radians(min(abs(latitude) + dlat, 90.0)))
    if cos > 0.01:
        dlon = rayon * MARGIN / (KM_PER_DEGREE_LON * cos) + 1e-6
        if dlon < 180:
            clauses.append(
                Query.range_query(
                    schema, "lon", FieldType.Float, longitude - dlon, longitude + dlon
                )
            )
    placed = Query.boolean_query([(Occur.Must, c) for c in clauses])
    remote = Query.term_query(schema, "accueil", "a-distance")
    return Query.boolean_query([(Occur.Should, placed), (Occur.Should, remote)])


def zone(schema, accepted):
    """Services without eligibility zone, or whose zone names one of `accepted`."""
    return Query.boolean_query(
        [
            (Occur.Should, Query.term_query(schema, "zone", NO_ZONE)),
            (Occur.Should, any_term(schema, "zone", sorted(accepted))),
        ]
    )


def every(engine, text, restrictions=(), key=None):
    """(rowids, scores) as numpy arrays of every match of a text query; with a
    `key` naming the text and restrictions, kept in the engine's bounded cache
    (the arrays are shared: never change them in place)."""
    if key is None:
        return _every(engine, text, restrictions)
    with engine.matches_lock:
        hit = engine.matches.get(key)
        if hit is not None:
            engine.matches.move_to_end(key)
            return hit
    hit = _every(engine, text, restrictions)
    size = hit[0].nbytes + hit[1].nbytes
    with engine.matches_lock:
        if key not in engine.matches:
            engine.matches[key] = hit
            engine.matches_bytes += size
        while engine.matches_bytes > CACHE_BYTES and len(engine.matches) > 1:
            _, old = engine.matches.popitem(last=False)
            engine.matches_bytes -= old[0].nbytes + old[1].nbytes
    return hit


def _every(engine, text, restrictions):
    searcher = engine.searcher()
    combined = text.query
    if restrictions:
        combined = Query.boolean_query(
            [(Occur.Must, text.query), *(_filter(r) for r in restrictions)]
        )
    count = searcher.search(combined, 1, count=True).count
    if not count:
        return np.zeros(0, np.int64), np.zeros(0, np.float64)
    hits = searcher.search(combined, count, count=False).hits
    rowids = searcher.fast_field_values("rowid", [address for _, address in hits])
    scores = np.fromiter((score for score, _ in hits), np.float64, len(hits))
    return np.asarray(rowids, dtype=np.int64), scores


def corrected_from(text, scores):
    """The corrected text when the best of these scores came from a correction."""
    if text.tiered and len(scores) and float(scores.max()) < EXACT_TIER:
        return text.corrected
    return None
