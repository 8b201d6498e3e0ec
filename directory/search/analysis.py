"""French text analysis shared by the index and the queries: words split on
anything not a letter or digit, lower case, elisions dropped (« l'escale »
finds « escale »), accents folded, and for the ranked fields the Snowball
French stemmer (« hébergé » and « hébergement » meet). No Flask imports."""

import re
import unicodedata

from tantivy import Filter, TextAnalyzerBuilder, Tokenizer

EXACT, STEM = "fr_exact", "fr_stem"
# The elided forms (l', d', qu'…): the tokenizer splits them from the next word.
ELISIONS = ["l", "d", "j", "m", "n", "s", "t", "c", "qu", "lorsqu", "puisqu", "jusqu"]
MAX_TOKEN = 40


def _builder():
    return (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(MAX_TOKEN))
        .filter(Filter.lowercase())
        .filter(Filter.custom_stopword(ELISIONS))
        .filter(Filter.ascii_fold())
    )


exact = _builder().build()
stem = _builder().filter(Filter.stemmer("french")).build()
_COMBINING = re.compile(r"[\u0300-\u036f]")


def register(index):
    """Make the two French analyzers known to an opened tantivy Index."""
    index.register_tokenizer(EXACT, exact)
    index.register_tokenizer(STEM, stem)


def fold(word):
    """Lower case, no accents: how a surface word compares to an index term."""
    word = word.lower().replace("œ", "oe").replace("æ", "ae")
    return _COMBINING.sub("", unicodedata.normalize("NFKD", word))
