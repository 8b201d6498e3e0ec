"""The typo lexicon: a small Tantivy index with one document per word of the
services' text, searched with a fuzzy automaton to correct a misspelt word
(one edit from 5 letters, two from 9, never on the first letter). No Flask
imports."""

import json

import tantivy

from . import analysis
from .analysis import fold

MIN_WORD = 5  # shorter words are never corrected
TWO_EDITS = 9  # from this length, two edits
CANDIDATES = 5  # corrections kept per word, the most frequent first


def _schema():
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("terme", stored=True, tokenizer_name="raw")
    builder.add_text_field("initiale", tokenizer_name="raw", index_option="basic")
    builder.add_unsigned_field("frequence", stored=True, fast=True)
    return builder.build()


def _need_counts(searcher, needs):
    """Folded word of a need's label or synonyms -> services of those needs."""
    counts = {}
    for slug, text in needs.items():
        services = searcher.doc_freq("besoin", slug)
        for term in set(analysis.exact.analyze(text)):
            counts[term] = counts.get(term, 0) + services
    return counts


def _kept(term):
    return len(term) >= MIN_WORD - 1 and term.isalpha()


def _entry(term, count):
    return json.dumps({"terme": term, "initiale": term[0], "frequence": count})


def build_lexicon(searcher, field, path, needs):
    """Write the lexicon of `field`'s terms (4 letters or more) and of the
    needs' words {slug: text} at `path`."""
    path.mkdir(parents=True)
    index = tantivy.Index(_schema(), path=str(path), reuse=False)
    writer = index.writer(heap_size=15_000_000, num_threads=1)
    counts = dict(searcher.terms_with_prefix(field, ""))
    for term, services in _need_counts(searcher, needs).items():
        counts[term] = counts.get(term, 0) + services
    for term, count in counts.items():
        if _kept(term):
            writer.add_json(_entry(term, count))
    writer.commit()
    writer.wait_merging_threads()


def update_lexicon(searcher, field, path, needs, texts):
    """Bring the lexicon at `path` (a copy of the previous version's) up to
    `searcher`'s index for the words of `texts` (the changed services): each
    word is written again with its new frequency, a new word is added."""
    terms = {term for text in texts for term in analysis.exact.analyze(text)}
    terms = sorted(term for term in terms if _kept(term))
    if not terms:
        return
    index = tantivy.Index.open(str(path))
    writer = index.writer(heap_size=15_000_000, num_threads=1)
    bonus = _need_counts(searcher, needs)
    for term in terms:
        count = searcher.doc_freq(field, term) + bonus.get(term, 0)
        writer.delete_documents_by_term("terme", term)
        if count:
            writer.add_json(_entry(term, count))
    writer.commit()
    writer.wait_merging_threads()


def edits(word):
    """Edits allowed for a folded word: 0, 1 or 2."""
    return 2 if len(word) >= TWO_EDITS else 1 if len(word) >= MIN_WORD else 0


def corrections(engine, word):
    """Index terms one or two edits from a folded word (not the word itself),
    same first letter, the most frequent first; the nearest edits only."""
    allowed = edits(word)
    if not allowed or not word.isalpha():
        return []
    searcher = engine.lexicon.searcher()
    schema = engine.lexicon_schema
    first = tantivy.Query.term_query(schema, "initiale", word[0])
    for distance in range(1, allowed + 1):
        query = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, first),
                (
                    tantivy.Occur.Must,
                    tantivy.Query.fuzzy_term_query(schema, "terme", word, distance),
                ),
                (
                    tantivy.Occur.MustNot,
                    tantivy.Query.term_query(schema, "terme", word),
                ),
            ]
        )
        hits = searcher.search(
            query, CANDIDATES, count=False, order_by_field="frequence"
        ).hits
        if hits:
            return [searcher.doc(address)["terme"][0] for _, address in hits]
    return []


def surface(stored_text, term):
    """The written form (accents kept) of a folded term in a stored text."""
    for word in stored_text.replace("’", " ").replace("'", " ").split():
        word = word.strip('.,;:!?()«»"').lower()
        if fold(word) == term:
            return word
    return term
