"""French around place names: « de » elided or contracted with the article of
the name (« d'Aurillac », « du Claux », « des Ternes »). Pure; no I/O."""

import unicodedata

# Names whose h is aspirated: no elision (« de Hautefage »). The Cantal has none
# of its communes in this list; it holds the common ones elsewhere.
ASPIRATED_H = ("hauteville", "hautefage", "hautefort", "hagetmau", "haguenau")


def _bare(word):
    return "".join(
        c for c in unicodedata.normalize("NFKD", word.lower()) if c.isalpha()
    )


def de(name):
    """« de » + a place name, as French writes it: d'Aurillac, d'Ydes, du Claux
    (Le Claux), des Ternes (Les Ternes), de La Chapelle-Laurent, de Murat."""
    name = " ".join(str(name or "").split())
    if not name:
        return "de"
    first, _, rest = name.partition(" ")
    if first in ("Le", "le") and rest:
        return f"du {rest}"
    if first in ("Les", "les") and rest:
        return f"des {rest}"
    bare = _bare(name)
    if bare[:1] in tuple("aeiouy") or (
        bare[:1] == "h" and not bare.startswith(ASPIRATED_H)
    ):
        return f"d'{name}"
    return f"de {name}"
