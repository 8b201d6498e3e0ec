"""Synthetic `services.csv` for the benchmarks (SPEC §10).

`generate(n, seed=0)` returns the bytes of a file in the exact format of
data/services.csv (same header, UTF-8, `,`); `write_file(path, n, seed)`
streams the same bytes to disk row by row, for sizes that should not be held
in memory (1 000 000 rows: about 0.9 GB). N rows over REAL communes of the
gazetteer: mostly the 250 Cantal communes with their real postcodes, a few %
from the neighbouring départements. Latitude and longitude are always empty,
so every row goes through geocoding. Everything is drawn from
`random.Random(seed)`: same N, seed and day → same bytes (date_maj is relative
to `today`, so that no date is ever in the future).

    python -m bench.synth 100000 /tmp/services-100k.csv
"""

import csv
import datetime
import io
import random
import re
import sys
import unicodedata
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
TERRITORY = "15"
NEIGHBOURS = ("12", "19", "43", "46", "48", "63")
NEIGHBOUR_SHARE = 0.04  # of structures
PHONE_PREFIX = {  # fixed-line prefix of each département
    "15": "04 71",
    "43": "04 71",
    "63": "04 73",
    "48": "04 66",
    "12": "05 65",
    "46": "05 65",
    "19": "05 55",
}

# Needs (data/besoins.csv) → service kinds (name of the offer).
KINDS = {
    "acces-aux-droits": [
        "Accompagnement aux démarches administratives",
        "Permanence d'accès aux droits",
        "Écrivain public",
        "Domiciliation administrative",
        "Point justice",
    ],
    "logement": [
        "Aide à la recherche de logement",
        "Hébergement d'urgence",
        "Prévention des expulsions",
        "Logement temporaire",
    ],
    "energie": [
        "Aide aux impayés d'énergie",
        "Conseil en économies d'énergie",
        "Fonds de solidarité logement énergie",
    ],
    "alimentation": [
        "Épicerie sociale",
        "Distribution de colis alimentaires",
        "Repas solidaires",
        "Jardin partagé",
    ],
    "hygiene-accueil-de-jour": [
        "Accueil de jour",
        "Douches et laverie solidaires",
        "Bagagerie",
    ],
    "equipement-vetements": [
        "Vestiaire solidaire",
        "Boutique solidaire",
        "Ressourcerie meubles et électroménager",
    ],
    "budget": [
        "Point conseil budget",
        "Aide au surendettement",
        "Microcrédit personnel",
        "Aides financières d'urgence",
    ],
    "sante": [
        "Permanence santé",
        "Aide à la complémentaire santé",
        "Consultation addictologie",
        "Écoute santé mentale",
    ],
    "autonomie-handicap": [
        "Soutien aux aidants",
        "Aide à domicile",
        "Accompagnement MDPH",
        "Point info seniors",
    ],
    "garde-enfants": [
        "Relais petite enfance",
        "Multi-accueil",
        "Accueil périscolaire",
    ],
    "famille": [
        "Lieu d'accueil enfants-parents",
        "Médiation familiale",
        "Écoute violences intrafamiliales",
        "Soutien à la parentalité",
    ],
    "emploi-formation": [
        "Accompagnement vers l'emploi",
        "Chantier d'insertion",
        "Atelier CV et entretien",
        "Aide à la création d'activité",
    ],
    "mobilite": [
        "Transport à la demande",
        "Location solidaire de véhicules",
        "Auto-école sociale",
        "Garage solidaire",
    ],
    "numerique": [
        "Atelier numérique",
        "Accès libre à internet",
        "Accompagnement aux démarches en ligne",
    ],
    "francais-savoirs-de-base": [
        "Ateliers sociolinguistiques",
        "Cours de français langue étrangère",
        "Soutien scolaire",
    ],
    "lien-social": [
        "Café des habitants",
        "Sorties culturelles",
        "Visites de convivialité",
        "Activités sportives adaptées",
    ],
}
# Kinds of structure, with the needs they usually cover.
STRUCTURES = [
    ("CCAS", ["acces-aux-droits", "alimentation", "budget", "energie", "logement"]),
    ("CIAS", ["autonomie-handicap", "acces-aux-droits", "mobilite", "lien-social"]),
    ("France services", ["acces-aux-droits", "numerique"]),
    ("Centre social", ["lien-social", "famille", "numerique", "garde-enfants"]),
    ("Épicerie solidaire", ["alimentation", "budget", "lien-social"]),
    ("Secours populaire, comité", ["alimentation", "equipement-vetements"]),
    ("Restos du cœur, centre", ["alimentation", "hygiene-accueil-de-jour"]),
    ("Secours catholique, équipe", ["alimentation", "lien-social", "budget"]),
    ("Croix-Rouge, unité locale", ["equipement-vetements", "hygiene-accueil-de-jour"]),
    ("Mission locale, antenne", ["emploi-formation", "mobilite", "logement"]),
    ("Maison des solidarités", ["acces-aux-droits", "famille", "sante", "budget"]),
    ("Espace de vie sociale", ["lien-social", "numerique"]),
    ("Association d'aide à domicile", ["autonomie-handicap"]),
    ("Relais petite enfance", ["garde-enfants", "famille"]),
    ("Atelier chantier d'insertion", ["emploi-formation", "mobilite"]),
    ("Point information jeunesse", ["emploi-formation", "numerique", "logement"]),
    ("Centre de santé", ["sante", "autonomie-handicap"]),
    ("Association d'alphabétisation", ["francais-savoirs-de-base", "lien-social"]),
    ("Mairie", ["acces-aux-droits", "lien-social", "mobilite"]),
]
PUBLICS = [
    "actifs",
    "beneficiaires-des-minimas-sociaux",
    "demandeurs-emploi",
    "etudiants",
    "familles",
    "femmes",
    "jeunes",
    "personnes-en-situation-de-handicap",
    "personnes-en-situation-durgence",
    "personnes-exilees",
    "residents-qpv-frr",
    "seniors",
]
MODALITES = [
    ("acces-libre", 25),
    ("sur-rendez-vous", 25),
    ("acces-libre, sur-rendez-vous", 20),
    ("sur-inscription", 10),
    ("orientation-professionnel", 8),
    ("sur-rendez-vous, orientation-professionnel", 6),
    ("sur-inscription, sur-rendez-vous", 6),
]
HOURS = [
    "Mo-Fr 09:00-12:00,14:00-17:00; PH off",
    "Tu,Th 09:00-12:00",
    "Mo[1] 14:00-16:30",
    "Mo-Fr 08:30-12:30,13:30-17:00; PH off",
    "Mo-Th 09:00-12:00,13:30-17:00; Fr 09:00-12:00; PH off",
    "We 14:00-17:00",
    "Sa 09:00-12:00",
    "Mo,We,Fr 09:00-12:00",
    "Tu-Sa 10:00-12:00,14:00-18:00; PH off",
    "Mo-Fr 09:00-17:00",
    "24/7",
    "Mo-Su 18:00-08:00",
    "Tu 14:00-16:00; Th 09:00-11:30",
    "Mo[2,4] 09:00-12:00",
    "Fr[-1] 14:00-17:00",
    "Mo-Fr 08:00-12:00,13:00-16:00; Sa 08:00-12:00; PH off",
    "We[1] 09:30-11:30",
    "Mo-Fr 09:00-12:30",
    "Th 09:00-12:00,13:30-16:30; PH off",
    "Mo 14:00-17:00; Tu-Fr 09:00-12:00,14:00-17:00; PH off",
    "Mo-Fr 09:00-12:00,13:30-17:30; Jul-Aug Mo-Fr 09:00-12:00; PH off",
    "Tu,Fr 09:00-11:30; PH off",
    "Mo-We 09:00-12:00; Th 14:00-18:00",
    "Sa,Su 10:00-12:00",
    "We 09:00-12:00,14:00-18:00; Sa 09:00-12:00",
    "Mo-Fr 07:30-18:30; PH off",
    "Mo-Fr 09:00-12:00,14:00-17:00; Aug off; PH off",
    "Tu[1,3] 14:00-17:00",
    "Mo-Th 08:30-12:00,13:30-17:30; Fr 08:30-12:00,13:30-16:30; PH off",
    "Mo-Fr 10:00-12:30,13:00-16:00; PH off",
    "Mo-Sa 08:00-20:00; Su 09:00-12:00",
    "Th 18:00-20:00",
]
HOURS_NOTES = [
    "Fermé pendant les vacances scolaires d'été.",
    "Permanence supplémentaire le premier samedi du mois.",
    "Sur rendez-vous en dehors de ces horaires.",
    "Horaires réduits en août : appelez avant de venir.",
    "Accueil téléphonique du lundi au vendredi.",
]
FRAIS_NOTES = [
    "Participation de 10 à 30 % du prix des produits.",
    "Adhésion annuelle de 5 €.",
    "Tarif calculé selon le quotient familial.",
    "2 € le repas, gratuit pour les enfants.",
    "Participation libre.",
    "Cotisation de 15 € par an et par foyer.",
]
CONDITIONS = [
    "Apporter une pièce d'identité et un justificatif de domicile.",
    "Sur orientation d'un travailleur social, selon les ressources du foyer.",
    "Avoir entre 16 et 25 ans et être sorti du système scolaire.",
    "Habiter la communauté de communes.",
    "Être bénéficiaire du RSA ou demandeur d'emploi.",
    "Dossier à constituer avec la conseillère en économie sociale et familiale.",
    "Venir avec son avis d'imposition et ses dernières factures.",
]
LANGUES = [
    ("fr", 80),
    ("", 6),
    ("fr, en", 6),
    ("fr, ar", 3),
    ("fr, es", 2),
    ("fr, en, ar", 2),
    ("fr, oc", 1),
]
STREET_TYPES = ["rue", "avenue", "place", "boulevard", "chemin", "impasse", "allée"]
STREET_NAMES = [
    "de la République",
    "Gambetta",
    "de la Gare",
    "du Château",
    "Victor Hugo",
    "de l'Église",
    "Jean Jaurès",
    "du Marché",
    "des Écoles",
    "de la Mairie",
    "du Docteur Louis Mallet",
    "des Tilleuls",
    "du 8 Mai 1945",
    "Pasteur",
    "de la Libération",
    "du Lioran",
    "des Volcans",
    "de la Jordanne",
    "du Plomb du Cantal",
    "Émile Duclaux",
]
COMPLEMENTS = ["Rez-de-chaussée", "2e étage", "Bâtiment B", "Salle polyvalente"]
SOURCES = [
    "https://www.cantal.fr/services-et-proximite/services/solidarite",
    "Enquête annuaire du Département du Cantal",
    "Déclaration de la structure",
    "https://www.data.gouv.fr/fr/datasets/liste-des-structures-france-services/",
    "",
]
CONSUMER = ["orange.fr", "gmail.com", "wanadoo.fr", "laposte.net"]
FIRST_NAMES = ["marie", "jean", "sophie", "pierre", "claire", "michel", "anne", "paul"]
LAST_NAMES = ["vidal", "bouygues", "delmas", "fabre", "roux", "chabrier", "teyssier"]
WORDS = """accueil accompagnement aide personnes familles jeunes seniors démarches
droits logement hébergement énergie factures alimentation colis repas épicerie
solidarité écoute orientation permanence rendez-vous conseil budget dettes santé
soins mutuelle handicap autonomie aidants enfants parents crèche emploi formation
insertion chantier mobilité transport permis véhicule numérique ordinateur internet
ateliers français lecture écriture lien social bénévoles convivialité sorties
culture sport bien-être isolement rural commune canton territoire Cantal Aurillac
Saint-Flour Mauriac montagne hiver chauffage bois fioul électricité eau loyer
impayés expulsion caution garantie dossier CAF MSA CPAM retraite RSA APL prime
activité chèque allocation demande instruction travailleur social conseillère
assistante éducateur médiateur référent partenaires réseau association centre
maison service public gratuit confidentiel anonyme individuel collectif groupe
semaine mois matin après-midi soir vacances domicile visite téléphone courriel
cœur œuvre entraide partage proximité itinérant bus permanence relais écoute
projet parcours quotidien vie sociale professionnelle familiale
administrative""".split()
CONNECTORS = ["et", "pour", "avec", "des", "du", "de la", "aux", "en", "sur", "les"]


@cache
def slug(text, length=100):
    """Lower-case ASCII words joined by single hyphens, at most `length` chars."""
    text = unicodedata.normalize("NFKD", text).replace("œ", "oe")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:length].strip("-")


def header():
    """Column names of the real seed file, in order."""
    with open(DATA / "services.csv", encoding="utf-8", newline="") as f:
        return next(csv.reader(f))


def load_places():
    """(commune name as written, postcode, INSEE code, dép., weight) that resolve.

    Current communes of the Cantal and its neighbours with each of their
    postcodes, plus the Cantal's former commune names (still used in
    addresses); every pair is checked against the real gazetteer, so the
    synthetic file holds only places the import engine can place.
    """
    from directory.geo.gazetteer import Gazetteer
    from directory.geo.places import CommuneError

    with open(DATA / "communes.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    gazetteer = Gazetteer.from_rows(rows, territory=TERRITORY)
    places = {"15": [], "neighbours": []}
    for row in rows:
        dep = row["departement"]
        if dep != TERRITORY and (dep not in NEIGHBOURS or row["statut"] != "actuelle"):
            continue
        population = int(row["population"] or 0)
        weight = max(population, 50) ** 0.6
        if row["statut"] != "actuelle":
            weight = 2.0  # former names: rare, but they occur
        for postcode in row["codes_postaux"].split(";"):
            try:
                match = gazetteer.resolve(row["nom"], postcode)
            except CommuneError:
                continue
            place = (row["nom"], postcode, match.code_insee, dep, weight)
            places["15" if dep == TERRITORY else "neighbours"].append(place)
    return places


def _weighted(rng, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


class _Writer:
    """Draws the cells of one service; holds the pools shared by all rows."""

    def __init__(self, rng, today, places):
        self.rng = rng
        self.today = today
        self.cantal = places["15"]
        self.cantal_weights = [p[4] for p in self.cantal]
        self.neighbours = places["neighbours"]
        self.neighbour_weights = [p[4] for p in self.neighbours]
        self.used_phones = set()
        self.thematiques = self._thematiques()

    @staticmethod
    def _thematiques():
        with open(DATA / "besoins.csv", encoding="utf-8", newline="") as f:
            return {
                row["slug"]: [
                    t.strip() for t in row["thematiques_couvertes"].split(",") if t
                ]
                for row in csv.DictReader(f)
            }

    def place(self, neighbour=False):
        rng = self.rng
        if neighbour and self.neighbours:
            return rng.choices(self.neighbours, self.neighbour_weights)[0]
        return rng.choices(self.cantal, self.cantal_weights)[0]

    def phone(self, dep):
        """A fresh valid French number, written the ways partners write them."""
        rng = self.rng
        while True:
            if rng.random() < 0.08:
                # metropolitan mobiles (06 9x and 07 0x-2x are not)
                mobile = rng.choice(["06", "07"])
                low, high = (40, 89) if mobile == "06" else (30, 89)
                prefix = f"{mobile} {rng.randint(low, high):02d}"
            else:
                prefix = PHONE_PREFIX[dep]
            digits = f"{prefix} {rng.randint(0, 99):02d} {rng.randint(0, 99):02d} " + (
                f"{rng.randint(0, 99):02d}"
            )
            if digits not in self.used_phones:
                self.used_phones.add(digits)
                break
        style = rng.random()
        if style < 0.70:
            return digits
        if style < 0.82:
            return digits.replace(" ", "")
        if style < 0.92:
            return digits.replace(" ", ".")
        if style < 0.995:
            return "+33 " + digits[1:]
        return digits.replace(" ", "")[1:]  # Excel ate the 0: a warning

    def description(self, kind, commune):
        rng = self.rng
        target = rng.randint(100, 600)
        sentences = [f"{kind} à {commune}."]
        length = len(sentences[0])
        while length < target:
            words = []
            for _ in range(rng.randint(6, 16)):
                words.append(rng.choice(WORDS))
                if rng.random() < 0.3:
                    words.append(rng.choice(CONNECTORS))
            sentence = " ".join(words)
            sentence = sentence[0].upper() + sentence[1:] + rng.choice(".....…")
            sentences.append(sentence)
            length += len(sentence) + 1
        text = " ".join(sentences)
        if len(text) > 600:
            text = text[:600].rsplit(" ", 1)[0].rstrip(",;") + "."
        return text

    def date(self):
        day = self.today - datetime.timedelta(days=self.rng.randint(1, 730))
        if self.rng.random() < 0.1:
            return day.strftime("%d/%m/%Y")
        return day.isoformat()

    def structure(self, number):
        """One organisation: name, id, home commune, contact pools, needs."""
        rng = self.rng
        kind, needs = rng.choice(STRUCTURES)
        place = self.place(neighbour=rng.random() < NEIGHBOUR_SHARE)
        name = f"{kind} de {place[0]}"
        sid = f"{slug(kind, 30)}-{slug(place[0], 25)}-{number}"
        domain = rng.choice(
            [f"{slug(place[0], 30)}.fr", f"{slug(kind, 30)}-15.org", "cantal.fr"]
        )
        return {
            "id": sid,
            "nom": name,
            "place": place,
            "needs": needs,
            "phone": self.phone(place[3]),
            "email": f"{rng.choice(['contact', 'accueil', 'secretariat'])}."
            f"{slug(place[0], 20)}-{number}@{domain}",
            "site": rng.random() < 0.4 and f"https://www.{domain}/{sid}",
        }

    def service(self, structure, k):
        rng = self.rng
        needs = [rng.choice(structure["needs"])]
        for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
            need = rng.choice(list(KINDS))
            if need not in needs:
                needs.append(need)
        kind = rng.choice(KINDS[needs[0]])
        place = structure["place"] if rng.random() < 0.8 else self.place()
        commune, postcode, code_insee, dep, _ = place
        style = rng.random()
        if style < 0.03:
            commune = commune.upper()
        elif style < 0.06 and commune.startswith("Saint-"):
            commune = "St-" + commune[6:]
        publics = "tous-publics"
        if rng.random() < 0.4:
            publics = ", ".join(rng.sample(PUBLICS, rng.randint(1, 3)))
        age_min = age_max = ""
        if "jeunes" in publics or rng.random() < 0.05:
            age_min, age_max = "16", "25"
        elif "seniors" in publics:
            age_min = "60"
        payant = rng.random() < 0.2
        thematiques = ""
        if rng.random() < 0.3 and self.thematiques[needs[0]]:
            thematiques = ", ".join(
                rng.sample(
                    self.thematiques[needs[0]],
                    min(len(self.thematiques[needs[0]]), rng.randint(1, 2)),
                )
            )
        contact = rng.random()
        phone = ""
        if contact < 0.92:
            phone = structure["phone"] if rng.random() < 0.5 else self.phone(dep)
        email = ""
        if contact > 0.35:
            if rng.random() < 0.5:
                email = structure["email"]
            elif rng.random() < 0.02:
                email = (
                    f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}"
                    f"@{rng.choice(CONSUMER)}"
                )  # looks personal: a warning
            else:
                local, _, domain = structure["email"].partition("@")
                email = f"{slug(kind, 25)}.{k}@{domain}"
        site = ""
        if structure["site"] and (rng.random() < 0.6 or not (phone or email)):
            site = structure["site"]
            if rng.random() < 0.5:
                site += f"/{slug(kind, 30)}"
        elif not (phone or email):
            site = f"https://www.{slug(structure['nom'], 40)}.fr"
        zone = _weighted(
            rng,
            [("15", 80), (code_insee, 8), ("15, 43", 5), ("france", 4), ("", 3)],
        )
        return {
            "id": f"{structure['id']}--{slug(kind, 30)}-{k}",
            "statut": _weighted(
                rng,
                [("actif", 94), ("ferme-temporairement", 3), ("ferme", 1), ("", 2)],
            ),
            "nom": f"{kind} ({place[0]})",
            "description": self.description(kind, place[0]),
            "structure_id": structure["id"],
            "structure_nom": structure["nom"],
            "besoins": ", ".join(needs),
            "thematiques": thematiques,
            "publics": publics,
            "age_min": age_min,
            "age_max": age_max,
            "frais": "payant" if payant else "gratuit",
            "frais_precisions": rng.choice(FRAIS_NOTES) if payant else "",
            "modalites_acces": _weighted(rng, MODALITES),
            "conditions_acces": rng.choice(CONDITIONS) if rng.random() < 0.25 else "",
            "modes_accueil": _weighted(
                rng,
                [
                    ("en-presentiel", 80),
                    ("en-presentiel, a-distance", 10),
                    ("a-distance", 5),
                    ("", 5),
                ],
            ),
            "langues": _weighted(rng, LANGUES),
            "adresse": (
                f"{rng.randint(1, 60)} {rng.choice(STREET_TYPES)} "
                f"{rng.choice(STREET_NAMES)}"
                if rng.random() < 0.8
                else ""
            ),
            "complement_adresse": (
                rng.choice(COMPLEMENTS) if rng.random() < 0.1 else ""
            ),
            "code_postal": postcode,
            "commune": commune,
            "code_insee": code_insee if rng.random() < 0.7 else "",
            "latitude": "",
            "longitude": "",
            "telephone": phone,
            "courriel": email,
            "site_web": site,
            "lien_mobilisation": (
                f"{structure['site']}/contact"
                if structure["site"] and rng.random() < 0.1
                else ""
            ),
            "horaires": rng.choice(HOURS) if rng.random() < 0.85 else "",
            "horaires_precisions": (
                rng.choice(HOURS_NOTES) if rng.random() < 0.1 else ""
            ),
            "zone_eligibilite": zone,
            "date_maj": self.date(),
            "source": rng.choice(SOURCES),
        }


def rows(n=100_000, seed=0, *, today=None):
    """Yield N service dicts (columns of data/services.csv), ~N/10 structures."""
    rng = random.Random(seed)
    writer = _Writer(rng, today or datetime.date.today(), load_places())
    done = structures = 0
    while done < n:
        structures += 1
        structure = writer.structure(structures)
        size = min(n - done, rng.choice([1, 2, 3, 5, 8, 10, 12, 15, 18, 20, 16]))
        for k in range(1, size + 1):
            yield writer.service(structure, k)
        done += size


def write(out, n=100_000, seed=0, *, today=None):
    """Write a synthetic services.csv of N rows to the text stream `out`, row
    by row (open it with `newline=""`, UTF-8): memory stays bounded whatever N,
    apart from the set of phone numbers already drawn."""
    writer = csv.DictWriter(out, header(), lineterminator="\n")
    writer.writeheader()
    for row in rows(n, seed, today=today):
        writer.writerow(row)


def write_file(path, n=100_000, seed=0, *, today=None):
    """Stream N rows to `path` (through `path`.part, renamed when complete, so
    an interrupted run never leaves a short file under the final name)."""
    path = Path(path)
    part = path.with_name(path.name + ".part")
    with open(part, "w", encoding="utf-8", newline="") as out:
        write(out, n, seed, today=today)
    part.replace(path)
    return path


def generate(n=100_000, seed=0, *, today=None):
    """The bytes of a synthetic services.csv of N rows (UTF-8, `,`, LF)."""
    out = io.StringIO(newline="")
    write(out, n, seed, today=today)
    return out.getvalue().encode("utf-8")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) not in (2, 3):
        print("usage: python -m bench.synth N OUT.csv [SEED]", file=sys.stderr)
        return 2
    n, out = int(argv[0]), Path(argv[1])
    seed = int(argv[2]) if len(argv) == 3 else 0
    write_file(out, n, seed)
    print(f"{out}: {n} services, {out.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
