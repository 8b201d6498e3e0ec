"""Issue 12.D: what a text search no longer recomputes per request gives the
same answers: the needs' words cached per content of the besoins table, the
vocabulary's answers (needs, corrections) per index version, term unions in
place of term sets (same matches, same scores)."""

import pytest
from tantivy import Occur, Query

from directory.db import get_db
from directory.imports import engine as importer
from directory.search import engine as text_engine
from directory.search import lexicon, textquery
from directory.search.text import need_terms
from directory.search.textquery import any_term, lookups, text_query
from directory.search.textsearch import filters, top
from directory.web.context import get_besoins, prepare_import

from .test_engine import SERVICES, csv_bytes, make_app


@pytest.fixture
def text_app(db_path):
    return make_app(db_path)


def hits(searcher, query):
    result = searcher.search(query, 100, count=True)
    found = [(score, a.segment_ord, a.doc) for score, a in result.hits]
    return result.count, found


@pytest.mark.parametrize(
    "field, values",
    [
        ("besoin", ["alimentation"]),
        ("besoin", ["alimentation", "logement"]),
        ("besoin", ["alimentation", "logement", "lien-social", "inconnu"]),
        ("public", ["familles", "tous-publics"]),
        ("besoin", []),
    ],
)
def test_a_term_union_matches_and_scores_as_a_term_set(text_app, field, values):
    with text_app.app_context():
        engine = text_engine.current(get_db())
        searcher, schema = engine.searcher(), engine.schema
        word = Query.term_query(schema, "mots", "aide")
        for score in (6.0, 1.8, 2.0):
            as_set = Query.boost_query(
                Query.term_set_query(schema, field, values), score
            )
            union = Query.const_score_query(any_term(schema, field, values), score)
            assert hits(searcher, union) == hits(searcher, as_set)
            # Within a word's alternatives, as the text queries use them.
            both = [(Occur.Should, word), (Occur.Should, as_set)]
            same = [(Occur.Should, word), (Occur.Should, union)]
            assert hits(searcher, Query.boolean_query(same)) == hits(
                searcher, Query.boolean_query(both)
            )
        count = hits(searcher, any_term(schema, field, values))[0]
        assert count == hits(searcher, Query.term_set_query(schema, field, values))[0]
        if field == "besoin" and values:
            assert count > 0


def test_need_filters_still_restrict_a_text(text_app):
    with text_app.app_context():
        db = get_db()
        engine = text_engine.current(db)
        text = text_query(engine, "solidaire", need_terms(db))

        class Wanted:
            besoins, publics, modalites, frais = ["alimentation"], [], [], None

        total, rowids, _ = top(
            engine, text, filters(engine.schema, Wanted), start=0, limit=20
        )
        everything, _, _ = top(engine, text, [], start=0, limit=20)
        assert 0 < total < everything
        marks = ",".join("?" * len(rowids))
        needs = {
            row[0]
            for row in db.conn.execute(
                f"select besoins from services where rowid in ({marks})",
                rowids,
            )
        }
        assert needs == {"alimentation"}


def test_need_terms_follow_an_edit_of_the_needs_table(text_app):
    with text_app.app_context():
        db = get_db()
        before = need_terms(db)
        assert need_terms(db) is before  # read once per content
        assert before.spans(["trottinette"]) == []
        db.execute(
            "update besoins set synonymes = synonymes || ', trottinette'"
            " where slug = 'mobilite'"
        )
        after = need_terms(db)
        assert after is not before
        assert after.spans(["trottinette"]) == [(0, 1, ["mobilite"])]
        db.execute("update besoins set thematiques_couvertes = '' where 1")
        assert need_terms(db) is not after


def test_need_labels_follow_an_edit_of_the_needs_table(text_app):
    with text_app.app_context():
        db = get_db()
        before = get_besoins(db)
        assert get_besoins(db) is before
        db.execute("update besoins set libelle = 'Se déplacer' where slug = 'mobilite'")
        assert get_besoins(db).labels["mobilite"] == "Se déplacer"
        assert get_besoins(db).match("Se déplacer") == "mobilite"


def test_the_vocabulary_is_asked_once_per_word_and_index_version(text_app, monkeypatch):
    asked = []
    real = lexicon.corrections

    def counted(engine, word):
        asked.append(word)
        return real(engine, word)

    monkeypatch.setattr(textquery, "corrections", counted)
    with text_app.app_context():
        db = get_db()
        engine = text_engine.current(db)
        first = text_query(engine, "epicrie", need_terms(db))
        again = text_query(engine, "epicrie", need_terms(db))
        assert asked == ["epicrie"]
        assert first.corrected == again.corrected == "épicerie"
        assert str(first.query) == str(again.query)
        # A new index version asks again (its words may differ).
        report = prepare_import(db, csv_bytes(SERVICES[:-1]), "moins.csv")
        importer.apply(db, report, user="test")
        newer = text_engine.current(db)
        assert newer is not engine
        assert lookups(newer) is not lookups(engine)
        text_query(newer, "epicrie", need_terms(db))
        assert asked == ["epicrie", "epicrie"]


def test_remembered_words_are_bounded(text_app, monkeypatch):
    monkeypatch.setattr(textquery, "MAX_LOOKUPS", 3)
    with text_app.app_context():
        db = get_db()
        engine = text_engine.current(db)
        for text in ("epicrie", "alimantaire", "hebergment", "tricto", "solidaire"):
            text_query(engine, text, need_terms(db))
        assert 0 < len(lookups(engine)) <= 3
        # Still right once forgotten.
        assert text_query(engine, "epicrie", need_terms(db)).corrected == "épicerie"


class Counting:
    """A searcher that counts its searches."""

    def __init__(self, searcher, searches):
        self.searcher, self.searches = searcher, searches

    def search(self, *args, **kwargs):
        self.searches.append(args)
        return self.searcher.search(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.searcher, name)


def test_a_later_page_holding_exact_matches_needs_no_second_search(
    db_path, monkeypatch
):
    brocantes = [
        (f"brocante-{n}", f"Brocante {n}", "Meubles.", "Emmaüs", "equipement-vetements")
        + ("tous-publics", "payant", "acces-libre", "Murat")
        for n in (2, 3)
    ]
    app = make_app(db_path)
    with app.app_context():
        db = get_db()
        report = prepare_import(db, csv_bytes([*SERVICES, *brocantes]), "plus.csv")
        importer.apply(db, report, user="test")
        engine = text_engine.current(db)
        real = engine.searcher
        searches = []
        monkeypatch.setattr(engine, "searcher", lambda: Counting(real(), searches))
        text = text_query(engine, "brocante", need_terms(db))
        assert text.tiered  # « brocaste » is one edit away
        pages = []
        for start in range(4):
            searches.clear()
            total, rowids, corrected = top(engine, text, [], start=start, limit=1)
            pages.append((len(searches), total, corrected))
        # Three exact matches on pages 1–3, the corrected one last: only that
        # page asks the engine for the best score of all.
        assert pages == [(1, 4, None), (1, 4, None), (1, 4, None), (2, 4, None)]
        typo = text_query(engine, "brocamte", need_terms(db))
        searches.clear()
        assert top(engine, typo, [], start=1, limit=1)[2] == typo.corrected
        assert len(searches) == 2


def test_a_word_clause_is_built_once_per_index_version(text_app, monkeypatch):
    built = []
    real = textquery.Builder._word

    def counted(self, raw, last, fuzzy, extra):
        built.append((raw, last, fuzzy))
        return real(self, raw, last, fuzzy, extra)

    monkeypatch.setattr(textquery.Builder, "_word", counted)
    with text_app.app_context():
        db = get_db()
        engine = text_engine.current(db)
        searcher = engine.searcher()
        first = text_query(engine, "epicrie solidaire", need_terms(db))
        assert len(built) == 4  # two words, exact and with corrections
        again = text_query(engine, "epicrie solidaire", need_terms(db))
        assert len(built) == 4
        assert again.corrected == first.corrected == "épicerie solidaire"
        assert hits(searcher, again.query) == hits(searcher, first.query)
        # « solidaire » typed last is a prefix: another clause.
        text_query(engine, "solidaire epicrie", need_terms(db))
        assert ("solidaire", False, False) in built
        assert ("epicrie", True, True) in built
