"""The user's text as a Tantivy query.

Every word must match (in any field, by its stem), the last one also as a
prefix (search-as-you-type), "quoted text" as a phrase; a run of words naming a
need also matches that need's services. Rare words of 5 letters or more also
match their corrections (module `lexicon`) in a second tier: a service
matching the exact words always ranks before one found through a correction.

The query is kept flat, since the Python bindings score every match (no
block-max pruning) and each clause or nesting level costs on each one: a
word's clause is one union of term queries, never a clause that another of
its clauses already covers (the exact form is within its stem; a completion
of the last word sharing its stem too). No Flask imports.
"""

import re
import threading
import weakref
from dataclasses import dataclass

from tantivy import Occur, Query

from . import analysis
from .engine import BOOSTS, EXACT_FIELD, NAME_FIELD
from .lexicon import corrections, surface

MAX_WORDS = 20
NEED_BOOST = 2.0  # a run of words naming a need (label, synonym, thématique)
NEED_WORD_BOOST = 6.0  # one word found among a need's words
NAME_WORD_BOOST = 3.0  # the word as typed in the name (its stem is there anyway)
CORRECTED = 0.3  # weight of a corrected word against the word as typed
EXACT_TIER = 100_000.0  # added to the score of a service matching the exact words
WORD = re.compile(r"\w+")
# A word found in more services than this (at least COMMON_MIN, or this share
# of them) is spelt right: it gets no correction.
COMMON_SHARE, COMMON_MIN = 0.001, 50
COMPLETIONS = 64  # completions of the last word looked up one by one; more: a range
MAX_LOOKUPS = 8_000  # per index version, then forgotten: ~25 MB at most
_lookups = weakref.WeakKeyDictionary()  # Engine → its Lookups
_lookups_lock = threading.Lock()


class Lookups(dict):
    """What the vocabulary of one index version answers for a word (its needs,
    its corrections): the same for every query, so looked up once."""

    def remember(self, key, value):
        if len(self) >= MAX_LOOKUPS:
            self.clear()
        self[key] = value
        return value


def lookups(engine):
    """The Lookups of an opened index version (dropped with it)."""
    found = _lookups.get(engine)
    if found is None:
        with _lookups_lock:
            found = _lookups.setdefault(engine, Lookups())
    return found


@dataclass
class TextQuery:
    query: Query
    tiered: bool  # corrections were added: exact matches score EXACT_TIER more
    corrected: str | None  # the text as corrected, when a correction applies

    def exact_found(self, best_score):
        """Whether the best hit matched the exact words (not only corrections)."""
        return not self.tiered or best_score >= EXACT_TIER


def _should(clauses):
    clauses = [c for c in clauses if c is not None]
    if not clauses:
        return None
    if len(clauses) == 1:
        return clauses[0]
    return Query.boolean_query([(Occur.Should, c) for c in clauses])


def any_term(schema, field, values):
    """Documents holding one of these raw terms: a union of term queries, which
    a conjunction skips through (a term set query first fills a bitset of the
    whole index), scored only when wrapped in `const_score_query`: the same
    answers and scores as a term set."""
    terms = [Query.term_query(schema, field, value) for value in values]
    if not terms:
        return Query.empty_query()
    if len(terms) == 1:
        return terms[0]
    return Query.boolean_query([(Occur.Should, t) for t in terms])


def _must(clauses):
    if any(c is None for c in clauses):
        return Query.empty_query()
    if len(clauses) == 1:
        return clauses[0]
    return Query.boolean_query([(Occur.Must, c) for c in clauses])


def parts(text):
    """[(kind, words)]: ("words", [w…]) runs and ("phrase", [w…]) quoted."""
    found, count = [], 0
    pieces = text.split('"')
    for i, piece in enumerate(pieces):
        words = WORD.findall(piece)[: MAX_WORDS - count]
        count += len(words)
        if not words:
            continue
        # An unclosed quote is plain text.
        quoted = i % 2 == 1 and i < len(pieces) - 1
        found.append(("phrase" if quoted else "words", words))
    return found


class Builder:
    """Builds the query of one text against one opened Engine."""

    def __init__(self, engine, terms):
        self.engine, self.schema, self.terms = engine, engine.schema, terms
        self.searcher = engine.searcher()
        self.lookups = lookups(engine)
        self.fixes = {}  # folded word → its corrections
        self.unknown = set()  # folded words found nowhere in the index

    def term(self, field, text, boost=1.0):
        query = Query.term_query(self.schema, field, text)
        return Query.boost_query(query, boost) if boost != 1.0 else query

    def stems(self, token, weight=1.0, prefix=False, extra=()):
        """The options of one token: its stem in each text field, and the
        needs it names (with `extra` needs, named by the run it stands for)."""
        stem = analysis.stem.analyze(token)
        options = [
            self.term(field, s, boost * weight)
            for field, boost in BOOSTS.items()
            for s in stem[:1]
        ]
        needs = self.needs_of(token, stem[0] if stem else None, prefix)
        if needs or extra:
            boost = NEED_WORD_BOOST * weight if needs else 0.0
            both = any_term(self.schema, "besoin", sorted({*needs, *extra}))
            options.append(
                Query.const_score_query(both, boost + NEED_BOOST * bool(extra))
            )
        return options

    def word(self, raw, last, fuzzy, extra=()):
        """Clause of one typed word (None when it is only an elision), built
        once per index version: the same word gives the same clause."""
        key = ("word", raw, last, fuzzy, extra)
        found = self.lookups.get(key)
        if found is None:
            found = self.lookups.remember(key, self._word(raw, last, fuzzy, extra))
        clause, corrected = found
        for token, prefix in corrected:  # what the « Résultats pour » line uses
            self.corrections(token, prefix)
        return clause

    def _word(self, raw, last, fuzzy, extra):
        """(clause, the (token, prefix) whose corrections it holds); `extra`
        needs are added to the word's own when it is one token."""
        tokens = analysis.exact.analyze(raw)
        if not tokens and last and len(raw) < analysis.MAX_TOKEN:
            tokens = [analysis.fold(raw)]  # « l » being typed: a prefix still
        if not tokens:
            if extra:
                needs = any_term(self.schema, "besoin", sorted(extra))
                return Query.const_score_query(needs, NEED_BOOST), ()
            return None, ()
        clauses, corrected = [], []
        for index, token in enumerate(tokens):
            prefix = last and index == len(tokens) - 1
            alone = extra if len(tokens) == 1 else ()
            options = self.stems(token, prefix=prefix, extra=alone)
            # « aide » puts « Aide à domicile » before « Soutien aux aidants ».
            options.append(self.term(NAME_FIELD, token, NAME_WORD_BOOST))
            if prefix:
                options.append(self.completions(token))
            if fuzzy and self.rare(token):
                corrected.append((token, prefix))
                for fix in self.corrections(token, prefix):
                    options += self.stems(fix, CORRECTED)
            clauses.append(_should(options))
        if extra and len(tokens) > 1:
            needs = any_term(self.schema, "besoin", sorted(extra))
            clause = _should(
                [_must(clauses), Query.const_score_query(needs, NEED_BOOST)]
            )
            return clause, tuple(corrected)
        return _must(clauses), tuple(corrected)

    def completions(self, token):
        """The documents holding a word that `token` begins and whose stem is
        not the token's own (those are matched by the stem already)."""
        found = self.searcher.terms_with_prefix(
            EXACT_FIELD, token, limit=COMPLETIONS + 1
        )
        if len(found) > COMPLETIONS:  # a short prefix: the engine's range
            return Query.phrase_prefix_query(self.schema, EXACT_FIELD, [token])
        stem = analysis.stem.analyze(token)[:1]
        others = sorted(
            term for term, _ in found if analysis.stem.analyze(term)[:1] != stem
        )
        if not others:
            return None
        return Query.const_score_query(any_term(self.schema, EXACT_FIELD, others), 1.0)

    def rare(self, token):
        """Whether a token may be a typo: found in few services (a word many
        services hold is spelt right, and its corrections would only add
        noise to the count and cost to every query)."""
        common = max(COMMON_MIN, self.searcher.num_docs * COMMON_SHARE)
        return self.searcher.doc_freq(EXACT_FIELD, token) <= common

    def needs_of(self, token, stem, prefix):
        key = ("needs", token, stem, prefix)
        found = self.lookups.get(key)
        if found is None:
            found = self.lookups.remember(
                key, self.engine.needs_of(token, stem, prefix)
            )
        return found

    def corrections(self, token, prefix):
        if token not in self.fixes:
            key = ("corrections", token, prefix)
            found = self.lookups.get(key)
            if found is None:
                stem = analysis.stem.analyze(token)[:1]
                fixes = tuple(
                    fix
                    for fix in corrections(self.engine, token)
                    if analysis.stem.analyze(fix)[:1] != stem
                )
                unknown = bool(fixes) and not self.known(token, prefix)
                found = self.lookups.remember(key, (fixes, unknown))
            fixes, unknown = found
            self.fixes[token] = list(fixes)
            if unknown:
                self.unknown.add(token)
        return self.fixes[token]

    def known(self, token, prefix):
        if self.searcher.doc_freq(EXACT_FIELD, token):
            return True
        if prefix and self.searcher.terms_with_prefix(EXACT_FIELD, token, limit=1):
            return True
        stem = analysis.stem.analyze(token)[:1]
        if self.needs_of(token, stem[0] if stem else None, prefix):
            return True
        return any(self.searcher.doc_freq(f, s) for f in BOOSTS for s in stem)

    def phrase(self, words):
        tokens = analysis.stem.pre_tokenize(" ".join(words)).tokens
        pairs = [(t.position, t.text) for t in tokens]
        if not pairs:
            return None
        if len(pairs) == 1:
            return _should([*self.stems(pairs[0][0])])
        return _should(
            [
                Query.boost_query(Query.phrase_query(self.schema, field, pairs), boost)
                for field, boost in BOOSTS.items()
            ]
        )

    def words(self, words, last, fuzzy):
        """Clauses of a run of plain words, need spans widened to their needs
        (a span of one word: within that word's own clause)."""
        spans = self.terms.spans(words) if self.terms else []
        clauses, i = [], 0
        for start, end, needs in [*spans, (len(words), len(words), ())]:
            clauses += [
                self.word(w, last and j == len(words) - 1, fuzzy)
                for j, w in enumerate(words[i:start], start=i)
            ]
            if end - start == 1:
                clause = self.word(
                    words[start], last and end == len(words), fuzzy, tuple(needs)
                )
                clauses.append(clause)
            elif end > start:
                inner = [
                    self.word(w, last and j == len(words) - 1, fuzzy)
                    for j, w in enumerate(words[start:end], start=start)
                ]
                inner = [c for c in inner if c is not None]
                needs_query = Query.const_score_query(
                    any_term(self.schema, "besoin", needs), NEED_BOOST
                )
                clauses.append(_should([_must(inner) if inner else None, needs_query]))
            i = end
        return [c for c in clauses if c is not None]

    def build(self, found, fuzzy):
        clauses = []
        for index, (kind, words) in enumerate(found):
            last = index == len(found) - 1 and kind == "words"
            if kind == "phrase":
                clauses.append(self.phrase(words))
            else:
                clauses += self.words(words, last, fuzzy)
        clauses = [c for c in clauses if c is not None]
        return _must(clauses) if clauses else None


def text_query(engine, text, terms):
    """TextQuery of a user's text, or None when it has no word to look for."""
    found = parts(text or "")
    builder = Builder(engine, terms)
    if not found:
        return None
    exact = builder.build(found, fuzzy=False)
    if exact is None:  # only elisions or words too long to be indexed
        return TextQuery(Query.empty_query(), False, None)
    fuzzy = builder.build(found, fuzzy=True)
    if not any(builder.fixes.values()):
        return TextQuery(exact, False, None)
    query = Query.boolean_query(
        [
            (Occur.Should, Query.const_score_query(exact, EXACT_TIER)),
            (Occur.Should, fuzzy),
        ]
    )
    return TextQuery(query, True, _corrected_text(builder, found))


def _corrected_text(builder, found):
    """The typed text with its misspelt words replaced by their best correction."""
    replaced = builder.unknown or {t for t, fixes in builder.fixes.items() if fixes}
    out = []
    for kind, words in found:
        shown = []
        for raw in words:
            tokens = analysis.exact.analyze(raw)
            if len(tokens) == 1 and tokens[0] in replaced:
                shown.append(_surface(builder, builder.fixes[tokens[0]][0]))
            else:
                shown.append(raw)
        text = " ".join(shown)
        out.append(f'"{text}"' if kind == "phrase" else text)
    return " ".join(out)


def _surface(builder, term):
    """The written form of a term, as a service that contains it spells it."""
    hits = builder.searcher.search(
        Query.term_query(builder.schema, EXACT_FIELD, term), 1, count=False
    ).hits
    text = " ".join(builder.engine.need_texts.values())
    if hits:
        doc = builder.searcher.doc(hits[0][1])
        text = " ".join(str(doc.get_first(f) or "") for f in BOOSTS) + " " + text
    return surface(text, term)
