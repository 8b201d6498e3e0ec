"""Controlled vocabularies (needs, publics, access modes…) and lenient matching.

Values are matched on their slug or French label, case-, accent- and
punctuation-insensitively; unknown values get a nearest-match suggestion.
No Flask imports.
"""

import csv
import difflib
import re
import unicodedata
from functools import lru_cache

from data_inclusion.schema.v1 import Categorie, Public, Thematique

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_COMBINING = re.compile(r"[\u0300-\u036f]")


@lru_cache(maxsize=65536)
def fold(text):
    """Comparison key: no accents, lower case, words joined by single hyphens."""
    text = str(text).lower().replace("œ", "oe").replace("æ", "ae")
    text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return _NOT_ALNUM.sub("-", text).strip("-")


class Choices:
    """A closed list of slugs, each with labels that also match it."""

    def __init__(self, name, labels):
        self.name = name
        self.labels = dict(labels)  # slug -> French label
        self._keys = {}
        for slug, label in self.labels.items():
            self._keys[fold(slug)] = slug
            self._keys.setdefault(fold(label), slug)

    def __contains__(self, slug):
        return slug in self.labels

    def match(self, value):
        """The slug for a slug or label, or None."""
        return self._keys.get(fold(value))

    def add_alias(self, alias, slug):
        """Accept another spelling for a slug."""
        self._keys.setdefault(fold(alias), slug)

    @lru_cache(maxsize=4096)  # noqa: B019 - vocabularies live as long as the app
    def suggest(self, value):
        """Nearest slug for a misspelt value, or None."""
        close = difflib.get_close_matches(
            fold(value), list(self._keys), n=1, cutoff=0.6
        )
        return self._keys[close[0]] if close else None

    def split(self, cell):
        """Split a multi-valued cell into (slugs, unknown values), in order.

        Items are separated by `,` `;` `|` or line breaks; since French labels
        may contain commas, consecutive comma-separated pieces are rejoined
        when together they form a known label.
        """
        found, unknown = [], []
        for part in re.split(r"[;|\n\r]+", cell):
            tokens = [t.strip() for t in part.split(",")]
            i = 0
            while i < len(tokens):
                for j in range(len(tokens), i, -1):
                    slug = self.match(",".join(tokens[i:j])) if tokens[i] else None
                    if slug:
                        if slug not in found:
                            found.append(slug)
                        i = j
                        break
                else:
                    if tokens[i]:
                        unknown.append(tokens[i])
                    i += 1
        return found, unknown


STATUTS = Choices(
    "statut",
    {
        "actif": "Actif",
        "ferme-temporairement": "Fermé temporairement",
        "ferme": "Fermé",
    },
)
FRAIS = Choices("frais", {"gratuit": "Gratuit", "payant": "Payant"})
MODALITES = Choices(
    "modalites_acces",
    {
        "acces-libre": "Accès libre",
        "sur-rendez-vous": "Sur rendez-vous",
        "sur-inscription": "Sur inscription",
        "orientation-professionnel": "Orientation par un professionnel",
    },
)
MODALITES.add_alias("rendez-vous", "sur-rendez-vous")
MODALITES.add_alias("sans rendez-vous", "acces-libre")
MODES_ACCUEIL = Choices(
    "modes_accueil", {"en-presentiel": "En présentiel", "a-distance": "À distance"}
)
MODES_ACCUEIL.add_alias("presentiel", "en-presentiel")
MODES_ACCUEIL.add_alias("distance", "a-distance")
# How to apply (data·inclusion's modes d'orientation, v0 slugs, plus v1's
# link): what the person does, and what a professional does for her.
_ORIENTATION = {
    "se-presenter": "Se présenter sur place",
    "telephoner": "Téléphoner",
    "envoyer-un-mail": "Envoyer un courriel",
    "completer-le-formulaire-dadhesion": "Remplir le formulaire d'adhésion",
    "utiliser-lien-mobilisation": "Faire la demande en ligne",
    "envoyer-une-fiche-de-prescription": "Envoyer une fiche de prescription",
    "envoyer-un-mail-avec-une-fiche-de-prescription": "Envoyer par courriel une "
    "fiche de prescription",
}
_PRESCRIPTION = ("envoyer-une-fiche-de-prescription", "envoyer-un-mail-avec-une-")
ORIENTATION_BENEFICIAIRE = Choices(
    "modes_orientation_beneficiaire",
    {k: v for k, v in _ORIENTATION.items() if not k.startswith(_PRESCRIPTION)},
)
ORIENTATION_ACCOMPAGNATEUR = Choices(
    "modes_orientation_accompagnateur",
    {k: v for k, v in _ORIENTATION.items() if k != "se-presenter"},
)
for _choices in (ORIENTATION_BENEFICIAIRE, ORIENTATION_ACCOMPAGNATEUR):
    _choices.add_alias("envoyer-un-courriel", "envoyer-un-mail")
    _choices.add_alias("courriel", "envoyer-un-mail")
    _choices.add_alias("mail", "envoyer-un-mail")
    _choices.add_alias("telephone", "telephoner")
    _choices.add_alias("formulaire en ligne", "utiliser-lien-mobilisation")
ORIENTATION_BENEFICIAIRE.add_alias("sur place", "se-presenter")
PUBLICS = Choices("publics", {p.value: p.label for p in Public})
THEMATIQUES = Choices("thematiques", {t.value: t.label for t in Thematique})
CATEGORIES = {c.value: c.label for c in Categorie}  # « mobilite--… » → « Mobilité »

# ISO 639-1 codes, plus the French names of the languages met in the Cantal.
ISO_639_1 = set(
    """aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch
    co cr cs cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd
    gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka
    kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi
    mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl
    ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw
    ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
    za zh zu""".split()
)
LANGUAGE_NAMES = {
    "français": "fr",
    "anglais": "en",
    "arabe": "ar",
    "espagnol": "es",
    "portugais": "pt",
    "italien": "it",
    "allemand": "de",
    "turc": "tr",
    "russe": "ru",
    "ukrainien": "uk",
    "roumain": "ro",
    "polonais": "pl",
    "chinois": "zh",
    "pachto": "ps",
    "persan": "fa",
    "dari": "fa",
    "tamoul": "ta",
    "albanais": "sq",
    "géorgien": "ka",
    "arménien": "hy",
    "occitan": "oc",
    "néerlandais": "nl",
    "swahili": "sw",
    "peul": "ff",
    "wolof": "wo",
    "bambara": "bm",
    "lingala": "ln",
    "somali": "so",
    "tigrigna": "ti",
}
LANGUES = Choices("langues", {code: code for code in sorted(ISO_639_1)})
for _name, _code in LANGUAGE_NAMES.items():
    LANGUES.add_alias(_name, _code)


def load_besoins(path):
    """Rows of data/besoins.csv as dicts, in display order."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["ordre"] = int(row["ordre"])
    return sorted(rows, key=lambda r: r["ordre"])


def besoins_choices(besoins):
    """Choices over need rows (slug, libelle)."""
    return Choices("besoins", {b["slug"]: b["libelle"] for b in besoins})


def split_list(cell):
    """'a, b, c' → ['a', 'b', 'c'] (lists inside data/besoins.csv cells)."""
    return [item.strip() for item in (cell or "").split(",") if item.strip()]


class NeedTerms:
    """Words and phrases that name a need: its slug, label, synonyms
    (data/besoins.csv) and the labels of the data·inclusion thématiques it covers
    and of their categories (« Mobilité », « Santé »)."""

    MAX_WORDS = 6  # the longest phrase looked for

    def __init__(self, besoins):
        self.labels = {}
        self._needs = {}  # folded phrase → slugs of the needs it names
        for row in besoins:
            slug = row["slug"]
            self.labels[slug] = row["libelle"]
            thematiques = {row.get("thematique_defaut") or ""}
            thematiques.update(split_list(row.get("thematiques_couvertes")))
            names = [slug, row["libelle"], *split_list(row.get("synonymes"))]
            names += [THEMATIQUES.labels[t] for t in thematiques if t in THEMATIQUES]
            categories = {t.split("--")[0] for t in thematiques}
            names += [CATEGORIES[c] for c in categories if c in CATEGORIES]
            for name in names:
                if key := fold(name):
                    self._needs.setdefault(key, set()).add(slug)

    def spans(self, words):
        """[(start, end, need slugs)]: the longest runs of `words` naming needs."""
        found, i = [], 0
        while i < len(words):
            for j in range(min(len(words), i + self.MAX_WORDS), i, -1):
                needs = self._needs.get(fold(" ".join(words[i:j])))
                if needs:
                    found.append((i, j, sorted(needs)))
                    i = j
                    break
            else:
                i += 1
        return found
