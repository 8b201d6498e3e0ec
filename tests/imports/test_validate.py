"""Row stage of the import (SPEC §2.1, §3): per-row checks, normalisation, report.

Corpus files (tests/data/import/, from tests/make_corpus.py) go through the
real engine; each test asserts the exact French issues, the counts, the values
stored for valid-but-messy files, and that a blocked file writes nothing.
"""

import datetime
from dataclasses import dataclass, field

import pytest
from conftest import TEST_DATA, TODAY, snapshot
from make_corpus import (
    FS_MAURS,
    FS_MURAT,
    HOTEL_DEPARTEMENT,
    csv_bytes,
    restos,
    with_,
)

from directory.geo.geocoders import OfflineGeocoder
from directory.imports import engine as importer
from directory.imports.checks import (
    check_email,
    check_hours,
    check_phone,
    check_url,
    parse_date,
)
from directory.imports.report import Issue, format_lines, group, line_ranges
from directory.imports.validate import RowValidator

CORPUS = TEST_DATA / "import"
NO_CONTACT = (
    "aucun moyen de contact (téléphone, courriel ou site web) : ajoutez-en au moins un."
)
NO_ZERO = "le zéro initial manquait (format du tableur) : il a été rétabli."
FORMULA = (
    "ressemble à une formule de tableur : elle est enregistrée comme du texte, "
    "sans être calculée."
)
HOURS = (
    "horaires illisibles : utilisez la syntaxe OpenStreetMap, par exemple "
    "« Mo-Fr 09:00-12:00,14:00-17:00; PH off »."
)


@dataclass
class Case:
    """Expected outcome of one corpus file."""

    file: str
    ok: bool
    new: int = 0
    issues: list = field(default_factory=list)  # (line, column, text, blocking)


def error(text, line=None, column=None):
    return (line, column, text, True)


def warning(text, line=None, column=None):
    return (line, column, text, False)


CASES = [
    Case("dates_jj_mm_aaaa.csv", True, 3, [warning(NO_CONTACT, 4)]),
    Case(
        "telephones_sans_zero.csv",
        True,
        4,
        [
            warning(f"« 471462020 » : {NO_ZERO}", 2, "telephone"),
            warning(f"« 471462047 » : {NO_ZERO}", 3, "telephone"),
        ],
    ),
    Case(
        "besoin_inconnu.csv",
        False,
        issues=[
            # SPEC §3's own example of a report line.
            error(
                "« logment » inconnu — vouliez-vous dire « logement » ?", 3, "besoins"
            )
        ],
    ),
    Case(
        "tous_publics_et_jeunes.csv",
        False,
        issues=[
            error(
                "« tous-publics, jeunes » : « tous-publics » ne peut pas être "
                "combiné avec d'autres publics : gardez-le seul ou retirez-le.",
                3,
                "publics",
            ),
            warning(NO_CONTACT, 3),
        ],
    ),
    Case(
        "code_postal_invalide.csv",
        False,
        issues=[
            error("« 15 60A » : code postal invalide : 5 chiffres.", 2, "code_postal"),
            error("« 151000 » : code postal invalide : 5 chiffres.", 4, "code_postal"),
        ],
    ),
    Case(
        "commune_code_postal.csv",
        False,
        issues=[
            # The suggestion is a postcode: it belongs to column code_postal.
            error(
                "Le code postal 15100 ne correspond pas à la commune Aurillac "
                "(codes postaux : 15000) — vouliez-vous dire « 15000 » ?",
                3,
                "code_postal",
            )
        ],
    ),
    Case(
        "commune_inconnue.csv",
        False,
        issues=[
            error("Commune « Xyzzyville » inconnue (code postal 15600).", 2, "commune")
        ],
    ),
    Case(
        "commune_mal_orthographiee.csv",
        False,
        issues=[
            # The suggestion is given once, not twice.
            error(
                "Commune « Aurilac » inconnue (code postal 15000) — vouliez-vous "
                "dire « Aurillac » ?",
                3,
                "commune",
            )
        ],
    ),
    Case(
        "horaires_illisibles.csv",
        False,
        issues=[error(f"« Lu-Ve 9h-12h » : {HOURS}", 3, "horaires")],
    ),
    Case(
        "identifiants_en_double.csv",
        False,
        issues=[
            error(
                "« restos-du-coeur-cantal--murat » : identifiant déjà utilisé "
                "ligne 2 ; chaque service a un identifiant unique.",
                4,
                "id",
            )
        ],
    ),
    Case(
        "formules.csv",
        True,
        3,
        [
            warning(f'« =HYPERLINK("http://x","clic") » : {FORMULA}', 2, "nom"),
            warning(f"« @SUM(A1) » : {FORMULA}", 4, "description"),
        ],
    ),
    Case("libelles.csv", True, 3, []),
    Case("communes_variantes.csv", True, 4, []),
]


def as_tuples(issues):
    return [(i.line, i.column, i.text, i.blocking) for i in issues]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.file)
def test_row_outcome(case, db, prepare):
    report = prepare((CORPUS / case.file).read_bytes(), case.file)
    assert as_tuples(report.issues) == case.issues
    assert report.ok is case.ok
    assert len(report.new) == case.new
    if case.ok:
        return
    before = snapshot(db)
    with pytest.raises(importer.ImportRefused):
        importer.apply(db, report, user="test")
    assert snapshot(db) == before
    assert db["services"].count == 0
    assert db["imports"].count == 0


def test_french_dates_are_stored_iso(db, import_bytes):
    import_bytes((CORPUS / "dates_jj_mm_aaaa.csv").read_bytes())
    services = db["services"]
    assert services.get("anef-cantal--halte-de-nuit-aurillac")["date_maj"] == (
        "2021-09-06"
    )
    assert services.get("anef-cantal--halte-de-nuit-saint-flour")["date_maj"] == (
        "2021-09-06"
    )
    epicerie = services.get("ville-saint-flour--epicerie-sociale-les-quatre-vents")
    assert epicerie["date_maj"] == "2010-10-01"
    assert epicerie["frais"] == "payant"
    assert epicerie["frais_precisions"] == (
        "Le bénéficiaire paie 10 à 30 % du prix des produits."
    )
    halte = services.get("anef-cantal--halte-de-nuit-aurillac")
    assert halte["telephone"] == "115"
    assert halte["age_min"] == 18


def test_phones_are_stored_e164(db, import_bytes):
    import_bytes((CORPUS / "telephones_sans_zero.csv").read_bytes())
    phones = {r["id"]: r["telephone"] for r in db["services"].rows}
    assert phones == {
        "departement-cantal--hotel-du-departement": "+33471462020",
        "departement-cantal--pmi-prevention-prenatale-postnatale": "+33471462047",
        "france-services-bus-cybercantal--accueil": "+33471465981",
        "france-services-maurs--accueil": "+33471468717",
    }


def test_formulas_are_stored_raw(db, import_bytes):
    import_bytes((CORPUS / "formules.csv").read_bytes())
    services = db["services"]
    assert services.get("restos-du-coeur-cantal--murat")["nom"] == (
        '=HYPERLINK("http://x","clic")'
    )
    hotel = services.get("departement-cantal--hotel-du-departement")
    assert hotel["description"] == "@SUM(A1)"
    bus = services.get("france-services-bus-cybercantal--accueil")
    assert bus["telephone"] == "+33471465981"
    # A description that starts with a dash is a list, not a formula.
    assert bus["description"] == "- démarches en ligne\n- accès à internet"


def test_long_formula_is_shortened_with_an_ellipsis(gazetteer, besoins):
    validator = RowValidator(besoins, OfflineGeocoder(gazetteer), today=TODAY)
    nom = '=HYPERLINK("https://ad15.restosducoeur.org","Restos du Cœur")'
    _, issues = validator.validate(2, with_(restos("murat", "Murat", "15300"), nom=nom))
    [issue] = issues
    assert issue.column == "nom" and not issue.blocking
    # A cut value must show that it was cut.
    assert issue.text.startswith("« =HYPERLINK(")
    assert "… »" in issue.text, issue.text


def test_labels_instead_of_slugs(db, import_bytes):
    import_bytes((CORPUS / "libelles.csv").read_bytes())
    services = db["services"]
    maurs = services.get("restos-du-coeur-cantal--maurs")
    assert maurs["besoins"] == "alimentation, equipement-vetements"
    assert maurs["besoins_libelles"] == "Se nourrir, Vêtements, meubles et équipement"
    assert (maurs["modalites_acces"], maurs["frais"]) == ("sur-inscription", "gratuit")
    halte = services.get("anef-cantal--halte-de-nuit-aurillac")
    assert halte["besoins"] == "logement"
    assert halte["modalites_acces"] == "orientation-professionnel"
    assert halte["frais"] == "gratuit"
    murat = services.get("france-services-murat--accueil")
    assert murat["besoins"] == "acces-aux-droits, numerique"
    assert murat["modalites_acces"] == "acces-libre, sur-rendez-vous"
    linked = {(r["service_id"], r["besoin"]) for r in db["service_besoins"].rows}
    assert ("restos-du-coeur-cantal--maurs", "equipement-vetements") in linked
    assert ("anef-cantal--halte-de-nuit-aurillac", "logement") in linked


def test_commune_spellings_are_normalised(db, import_bytes):
    import_bytes((CORPUS / "communes_variantes.csv").read_bytes())
    place = {
        r["id"]: (r["commune"], r["code_insee"], r["code_postal"], r["precision_geo"])
        for r in db["services"].rows
    }
    assert place == {
        "anef-cantal--halte-de-nuit-saint-flour": (
            "Saint-Flour",
            "15187",
            "15100",
            "commune",
        ),
        "france-services-neussargues-moissac--accueil": (
            "Neussargues-Moissac",
            "15141",
            "15170",
            "commune",
        ),
        "france-services-riom-es-montagnes--accueil": (
            "Riom-ès-Montagnes",
            "15162",
            "15400",
            "commune",
        ),
        "france-services-maurs--accueil": ("Maurs", "15122", "15600", "commune"),
    }
    flour = db["services"].get("anef-cantal--halte-de-nuit-saint-flour")
    assert (flour["latitude"], flour["longitude"]) == (45.03301, 3.09482)


# -- the grouped French report --------------------------------------------------


def eleven_restos(bad_lines, **bad):
    """A file of 11 Restos rows (lines 2 to 12); `bad` applied on bad_lines."""
    rows = []
    for line in range(2, 13):
        service = restos(f"centre-{line}", "Aurillac", "15000")
        rows.append(with_(service, **bad) if line in bad_lines else service)
    return csv_bytes(rows, delimiter=";")


BAD_LINES = {3, 4, 5, 6, 7, 12}


def test_report_groups_lines_like_the_spec(prepare):
    report = prepare(eleven_restos(BAD_LINES, besoins="logment"))
    assert [i.line for i in report.errors] == [3, 4, 5, 6, 7, 12]
    assert format_lines(report.errors) == [
        "lignes 3 à 7, 12 · colonne besoins · « logment » inconnu — vouliez-vous "
        "dire « logement » ?"
    ]


def test_same_message_on_several_lines_gives_one_grouped_line(prepare):
    report = prepare(eleven_restos(BAD_LINES, horaires="Lu-Ve 9h-12h"))
    assert len(report.errors) == 6
    assert format_lines(report.issues) == [
        f"lignes 3 à 7, 12 · colonne horaires · « Lu-Ve 9h-12h » : {HOURS}"
    ]
    text = importer.format_report(report, dry_run=True)
    assert "Erreurs bloquantes (6) :" in text
    assert f"  - lignes 3 à 7, 12 · colonne horaires · « Lu-Ve 9h-12h » : {HOURS}" in (
        text.splitlines()
    )


def test_different_values_are_not_grouped(prepare):
    report = prepare(
        csv_bytes(
            [
                with_(FS_MAURS, horaires="Lu-Ve 9h-12h"),
                with_(FS_MURAT, horaires="tous les jours"),
                with_(HOTEL_DEPARTEMENT, horaires="Lu-Ve 9h-12h"),
            ],
            delimiter=";",
        )
    )
    assert format_lines(report.errors) == [
        f"lignes 2, 4 · colonne horaires · « Lu-Ve 9h-12h » : {HOURS}",
        f"ligne 3 · colonne horaires · « tous les jours » : {HOURS}",
    ]


@pytest.mark.parametrize(
    ("lines", "text"),
    [
        ([3, 4, 5, 6, 7, 12], "lignes 3 à 7, 12"),
        ([12, 7, 6, 5, 4, 3], "lignes 3 à 7, 12"),
        ([4], "ligne 4"),
        ([4, 4], "ligne 4"),
        ([2, 4, 6], "lignes 2, 4, 6"),
        ([5, 6], "lignes 5, 6"),
        ([2, 3, 10, 11, 12, 40], "lignes 2, 3, 10 à 12, 40"),
    ],
)
def test_line_ranges(lines, text):
    assert line_ranges(lines) == text


def test_group_keeps_first_seen_order_and_separates_columns():
    issues = [
        Issue("valeur obligatoire.", 5, "nom"),
        Issue("Le fichier est vide."),
        Issue("valeur obligatoire.", 3, "description"),
        Issue("valeur obligatoire.", 3, "nom"),
        Issue("valeur obligatoire.", 4, "nom"),
    ]
    assert group(issues) == [
        ("lignes 3 à 5 · colonne nom", "valeur obligatoire."),
        ("", "Le fichier est vide."),
        ("ligne 3 · colonne description", "valeur obligatoire."),
    ]
    assert format_lines(issues) == [
        "lignes 3 à 5 · colonne nom · valeur obligatoire.",
        "Le fichier est vide.",
        "ligne 3 · colonne description · valeur obligatoire.",
    ]
    assert format_lines(issues, limit=1) == [
        "lignes 3 à 5 · colonne nom · valeur obligatoire."
    ]


@pytest.mark.parametrize(
    ("issue", "text"),
    [
        (Issue("« logment » inconnu", 3, "besoins", "logement"), None),
        (Issue("« payé » : valeur inconnue.", 3, "frais", "payant"), None),
        (Issue("valeur obligatoire.", 3, "nom"), "valeur obligatoire."),
    ],
)
def test_issue_text_with_a_suggestion(issue, text):
    expected = text or (
        issue.message.rstrip(".") + f" — vouliez-vous dire « {issue.suggestion} » ?"
    )
    # Never ". —": the suggestion continues the sentence.
    assert issue.text == expected


# -- single rows -------------------------------------------------------------------


@pytest.fixture
def validate(gazetteer, besoins):
    validator = RowValidator(besoins, OfflineGeocoder(gazetteer), today=TODAY)

    def run(service, line=2):
        record, issues = validator.validate(line, dict(service))
        return record, [(i.column, i.text, i.blocking) for i in issues]

    return run


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"age_min": "130"},
            ("age_min", "« 130 » : âge invalide : un nombre entier entre 0 et 120."),
        ),
        (
            {"age_min": "30", "age_max": "18"},
            ("age_max", "l'âge maximum (18) est inférieur à l'âge minimum (30)."),
        ),
        (
            {"frais": "payant"},
            (
                "frais_precisions",
                "service payant : précisez le montant ou le tarif dans "
                "« frais_precisions ».",
            ),
        ),
        (
            {"modalites_acces": "acces-libre, orientation-professionnel"},
            (
                "modalites_acces",
                "« acces-libre, orientation-professionnel » : « acces-libre » et "
                "« orientation-professionnel » s'excluent : choisissez l'un des deux.",
            ),
        ),
        (
            {"date_maj": "2027-01-15"},
            (
                "date_maj",
                "« 2027-01-15 » : date dans le futur : indiquez la date de la "
                "dernière vérification.",
            ),
        ),
        (
            {"date_maj": "31/02/2024"},
            (
                "date_maj",
                "« 31/02/2024 » : date impossible (jour ou mois hors limites).",
            ),
        ),
        (
            {"date_maj": "août 2024"},
            (
                "date_maj",
                "« août 2024 » : date illisible : écrivez AAAA-MM-JJ ou JJ/MM/AAAA.",
            ),
        ),
        (
            {"date_maj": ""},
            (
                "date_maj",
                "date de mise à jour obligatoire (AAAA-MM-JJ ou JJ/MM/AAAA).",
            ),
        ),
        (
            {"besoins": ""},
            ("besoins", "au moins une valeur obligatoire."),
        ),
        (
            {"nom": "AB"},
            ("nom", "« AB » : trop court (2 caractères, 3 au minimum)."),
        ),
        (
            {"telephone": "04 71 46"},
            (
                "telephone",
                "« 04 71 46 » : numéro de téléphone invalide : 10 chiffres, par "
                "exemple 04 71 46 20 20.",
            ),
        ),
        (
            {"courriel": "accueil@"},
            ("courriel", "« accueil@ » : adresse électronique invalide."),
        ),
        (
            {"site_web": "cantal fr"},
            (
                "site_web",
                "« cantal fr » : adresse web invalide : elle doit commencer par "
                "https://",
            ),
        ),
        (
            {"zone_eligibilite": "Cantal"},
            (
                "zone_eligibilite",
                "« Cantal » : code invalide : un code INSEE de commune, un numéro "
                "de département (15) ou « france ».",
            ),
        ),
        (
            {"latitude": "44,93"},
            (
                "longitude",
                "« 44,93 ;  » : latitude et longitude vont ensemble : remplissez "
                "les deux ou aucune.",
            ),
        ),
        (
            {"id": ""},
            (
                "id",
                "identifiant obligatoire (par exemple "
                "« ccas-aurillac--aide-energie »).",
            ),
        ),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, dict) else None,
)
def test_single_blocking_error(changes, expected, validate):
    record, issues = validate(with_(HOTEL_DEPARTEMENT, **changes))
    assert record is None
    assert issues == [(*expected, True)]


@pytest.mark.parametrize(
    ("changes", "stored", "warnings"),
    [
        ({}, {"statut": "actif", "publics": "tous-publics", "langues": "fr"}, []),
        ({"statut": "Fermé"}, {"statut": "ferme"}, []),
        (
            {"statut": "ferme temporairement"},
            {"statut": "ferme-temporairement"},
            [],
        ),
        ({"publics": "Tous publics"}, {"publics": "tous-publics"}, []),
        (
            {"publics": "Demandeurs d'emploi | Jeunes"},
            {"publics": "demandeurs-emploi, jeunes"},
            [],
        ),
        ({"langues": "français, anglais"}, {"langues": "fr, en"}, []),
        (
            {"modalites_acces": "sans rendez-vous"},
            {"modalites_acces": "acces-libre"},
            [],
        ),
        ({"zone_eligibilite": "15014 15187"}, {"zone_eligibilite": "15014, 15187"}, []),
        (
            {"latitude": "44,92713", "longitude": "2,445976"},
            {"latitude": 44.92713, "longitude": 2.445976, "precision_geo": "manuel"},
            [],
        ),
        ({"date_maj": "2024-08-01 10:30:00"}, {"date_maj": "2024-08-01"}, []),
        ({"code_postal": "15000", "commune": "AURILLAC"}, {"commune": "Aurillac"}, []),
        ({"commune": "15014"}, {"commune": "Aurillac", "code_insee": "15014"}, []),
        (
            {"site_web": "www.cantal.fr"},
            {"site_web": "https://www.cantal.fr"},
            [("site_web", "« www.cantal.fr » : « https:// » ajouté devant l'adresse.")],
        ),
        (
            {"courriel": "Jean.Dupont@orange.fr"},
            {"courriel": "Jean.Dupont@orange.fr"},
            [
                (
                    "courriel",
                    "« Jean.Dupont@orange.fr » : adresse qui semble personnelle : "
                    "préférez une adresse générique de la structure (données "
                    "publiques).",
                )
            ],
        ),
        ({"courriel": "mairie.aurillac@orange.fr"}, {}, []),
        (
            {"nom": "Hôtel du Département."},
            {"nom": "Hôtel du Département."},
            [
                (
                    "nom",
                    "« Hôtel du Département. » : le nom ne doit pas finir par un "
                    "point.",
                )
            ],
        ),
        (
            {"telephone": "", "site_web": ""},
            {"telephone": None},
            [(None, NO_CONTACT)],
        ),
        (
            {"frais": ""},
            {"frais": None},
            [
                (
                    "frais",
                    "non renseigné (« gratuit », « payant ») : complétez dès que "
                    "vous le savez.",
                )
            ],
        ),
        (
            {"modalites_acces": ""},
            {"modalites_acces": None},
            [
                (
                    "modalites_acces",
                    "non renseigné (« acces-libre », « sur-rendez-vous », "
                    "« sur-inscription », « orientation-professionnel ») : "
                    "complétez dès que vous le savez.",
                )
            ],
        ),
    ],
)
def test_accepted_values(changes, stored, warnings, validate):
    record, issues = validate(with_(HOTEL_DEPARTEMENT, **changes))
    assert record is not None, issues
    assert {k: record[k] for k in stored} == stored
    assert issues == [(*w, False) for w in warnings]


def test_four_digit_postcode_gets_its_leading_zero(validate):
    # Excel drops the 0 of 01500; for a Cantal commune the result mismatches.
    record, issues = validate(with_(HOTEL_DEPARTEMENT, code_postal="1500"))
    assert record is None
    [(column, text, blocking)] = issues
    assert blocking and "01500" in text and "« 15000 »" in text


def test_invalid_id_suggests_a_slug(validate):
    _, issues = validate(with_(HOTEL_DEPARTEMENT, id="Hôtel du Département"))
    assert issues == [
        (
            "id",
            "« Hôtel du Département » : identifiant invalide : lettres minuscules "
            "sans accents, chiffres et tirets uniquement, 100 caractères au plus — "
            "vouliez-vous dire « hotel-du-departement » ?",
            True,
        )
    ]


def test_unknown_need_accepts_label_near_miss(validate):
    record, issues = validate(with_(HOTEL_DEPARTEMENT, besoins="Se nourir"))
    assert record is None
    [(column, text, blocking)] = issues
    assert (column, blocking) == ("besoins", True)
    assert "« Se nourir »" in text
    assert text.endswith("vouliez-vous dire « alimentation » ?")


def test_structure_names_differ_warning(prepare):
    data = csv_bytes(
        [
            restos("murat", "Murat", "15300"),
            with_(restos("maurs", "Maurs", "15600"), structure_nom="Restos du Cœur 15"),
        ],
        delimiter=";",
    )
    report = prepare(data)
    assert report.ok
    assert [(i.line, i.column, i.text) for i in report.warnings] == [
        (
            3,
            "structure_nom",
            "« Restos du Cœur 15 » : la structure « restos-du-coeur-cantal » "
            "s'appelle « Les Restos du Cœur du Cantal » ligne 2 ; le premier nom "
            "est retenu.",
        )
    ]
    assert {r["structure_nom"] for r in report.new} == {"Les Restos du Cœur du Cantal"}


def test_partner_cannot_touch_other_structures(db, prepare):
    data = (CORPUS / "telephones_sans_zero.csv").read_bytes()
    report = prepare(data, allowed_structures={"departement-cantal"})
    refused = [(i.line, i.column) for i in report.errors]
    assert refused == [(4, "structure_id"), (5, "structure_id")]
    assert report.errors[0].text == (
        "« france-services-bus-cybercantal » : cette structure n'est pas "
        "rattachée à votre compte ; la ligne (service "
        "« france-services-bus-cybercantal--accueil ») est refusée."
    )
    assert report.new == []


# -- value checkers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "stored", "warned"),
    [
        ("04 71 46 20 20", "+33471462020", False),
        ("04.71.46.20.20", "+33471462020", False),
        ("04-71-46-20-20", "+33471462020", False),
        ("0471462020", "+33471462020", False),
        ("+33 4 71 46 20 20", "+33471462020", False),
        ("+33 (0)4 71 46 20 20", "+33471462020", False),
        ("471462020", "+33471462020", True),
        ("06 12 34 56 78", "+33612345678", False),
        ("115", "115", False),
        ("3939", "3939", False),
        ("04 71 46", None, False),
    ],
)
def test_check_phone(value, stored, warned):
    number, error_text, warning_text = check_phone(value)
    assert number == stored
    assert (error_text is not None) is (stored is None)
    assert (warning_text is not None) is warned


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("2024-08-01", datetime.date(2024, 8, 1)),
        ("01/08/2024", datetime.date(2024, 8, 1)),
        ("1/8/2024", datetime.date(2024, 8, 1)),
        ("01.08.2024", datetime.date(2024, 8, 1)),
        ("01-08-2024", datetime.date(2024, 8, 1)),
        ("2024-08-01T00:00:00", datetime.date(2024, 8, 1)),
        ("31/02/2024", None),
        ("08/01/24", None),
        ("01/08/1999", None),
    ],
)
def test_parse_date(value, day):
    assert parse_date(value)[0] == day


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("Mo-Fr 09:00-12:00,14:00-17:00; PH off", True),
        ("24/7", True),
        ("Tu-Sa 09:00-12:00", True),
        ("Lu-Ve 9h-12h", False),
        ("du lundi au vendredi", False),
    ],
)
def test_check_hours(value, ok):
    assert (check_hours(value)[1] is None) is ok


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("https://www.cantal.fr", "https://www.cantal.fr"),
        ("http://secourspop15.fr", "http://secourspop15.fr"),
        ("www.cantal.fr", "https://www.cantal.fr"),
        ("ad15.restosducoeur.org/", "https://ad15.restosducoeur.org/"),
        ("ftp://cantal.fr", None),
        ("cantal", None),
    ],
)
def test_check_url(value, stored):
    assert check_url(value)[0] == stored


@pytest.mark.parametrize(
    ("value", "stored", "warned"),
    [
        (
            "cybercantal@france-services.gouv.fr",
            "cybercantal@france-services.gouv.fr",
            False,
        ),
        (
            "franceservicesvalmaronne@laposte.net",
            "franceservicesvalmaronne@laposte.net",
            False,
        ),
        ("marie.durand@gmail.com", "marie.durand@gmail.com", True),
        ("ccas.murat@orange.fr", "ccas.murat@orange.fr", False),
        ("pas une adresse", None, False),
    ],
)
def test_check_email(value, stored, warned):
    email, error_text, warning_text = check_email(value)
    assert email == stored
    assert (warning_text is not None) is warned
