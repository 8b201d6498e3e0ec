"""External rows (data·inclusion) through the import engine: left-out rows,
provenance, idempotent re-import, closures, partners win, exact undo."""

import json

import pytest
from conftest import TODAY

from directory.geo.geocoders import OfflineGeocoder
from directory.imports import engine as importer
from directory.imports.apply import apply_edits
from directory.imports.edit import raw_row
from directory.imports.external import prepare_external
from directory.imports.records import fetch_services

ORIGIN = "API data·inclusion"


def source_row(n, **values):
    """A row as helper readers hand it: our columns and provenance, as text."""
    row = {
        "id": f"dora--service-{n}",
        "statut": "actif",
        "nom": f"Épicerie solidaire numéro {n}",
        "description": f"Aide alimentaire et conseils budgétaires, service {n}.",
        "structure_id": f"dora-structure-{n % 2}",
        "structure_nom": f"Association solidaire {n % 2}",
        "besoins": "alimentation, budget",
        "publics": "tous-publics",
        "frais": "gratuit",
        "modalites_acces": "acces-libre",
        "code_postal": "15000",
        "commune": "Aurillac",
        "telephone": f"04 71 00 00 {n:02d}",
        "horaires": "Mo-Fr 09:00-12:00",
        "date_maj": "2026-10-01",
        "source": "dora",
        "lien_source": f"https://dora.inclusion.beta.gouv.fr/services/s{n}",
        "id_source": f"s{n}",
        "score_qualite": "0.75",
        "siret": "123 456 789 00012",
        "justificatifs": "Pièce d'identité",
        "mobilisation_precisions": "Se présenter à l'accueil.",
    }
    row.update(values)
    return row


@pytest.fixture
def external(db, gazetteer, besoins):
    """external(rows, …) → ImportReport of prepare_external against `db`."""

    def run(rows, *, sources=("dora",), seen_ids=None, origin=ORIGIN):
        return prepare_external(
            db,
            list(enumerate(rows, start=2)),
            origin=origin,
            sources=sources,
            seen_ids=seen_ids or [],
            geocoder=OfflineGeocoder(gazetteer),
            besoins=besoins,
            today=TODAY,
        )

    return run


def everything(db):
    """Every table but the import log, row by row."""
    tables = [
        t
        for t in db.table_names()
        if t not in ("imports", "changes") and not t.startswith("sqlite_")
    ]
    found = {
        t: sorted(map(repr, db.execute(f"select * from [{t}]").fetchall()))
        for t in tables
    }
    return found


def counts(db):
    return db["imports"].count, db["changes"].count


def test_new_rows_are_inserted_with_provenance(db, external):
    report = external([source_row(1), source_row(2)])
    assert report.ok and report.genre == "datainclusion"
    assert len(report.new) == 2 and not report.issues
    import_id = importer.apply(db, report, user="import-datainclusion")
    log = db["imports"].get(import_id)
    assert (log["genre"], log["nouveaux"], log["fichier"]) == (
        "datainclusion",
        2,
        ORIGIN,
    )
    row = db["services"].get("dora--service-1")
    assert row["lien_source"] == "https://dora.inclusion.beta.gouv.fr/services/s1"
    assert (row["id_source"], row["score_qualite"], row["siret"]) == (
        "s1",
        0.75,
        "12345678900012",
    )
    assert row["origine"] == ORIGIN
    assert row["importe_le"] == log["cree_le"]
    assert row["justificatifs"] == "Pièce d'identité"
    assert row["besoins_libelles"]
    needs = {
        r["besoin"]
        for r in db["service_besoins"].rows_where("service_id = ?", ["dora--service-1"])
    }
    assert needs == {"alimentation", "budget"}
    assert db["structures"].get("dora-structure-1")["nom"] == "Association solidaire 1"


def test_missing_fees_and_access_are_tolerated(db, external):
    report = external([source_row(1, frais="", modalites_acces="")])
    assert report.ok and len(report.new) == 1
    assert not report.errors
    importer.apply(db, report, user="test")
    row = db["services"].get("dora--service-1")
    assert (row["frais"], row["modalites_acces"]) == (None, None)


def test_malformed_row_is_left_out_with_a_warning(db, external):
    rows = [
        source_row(1),
        source_row(2, besoins="licornes", horaires="n'importe quand"),
        source_row(3),
        source_row(1, nom="Doublon de la ligne deux"),
    ]
    report = external(rows)
    assert report.ok
    assert sorted(r["id"] for r in report.new) == ["dora--service-1", "dora--service-3"]
    text = importer.format_report(report, dry_run=False)
    assert "ligne 3 ignorée (service « dora--service-2 ») : colonne besoins" in text
    assert "horaires illisibles" in text
    assert "2 lignes ignorées : voir les avertissements" in text
    assert (
        "ligne 5 ignorée (service « dora--service-1 ») : « dora--service-1 » "
        ": identifiant déjà utilisé ligne 2" in text
    )
    importer.apply(db, report, user="test")
    assert db["services"].count == 2


def test_bad_provenance_is_dropped_with_a_warning(db, external):
    report = external(
        [source_row(1, siret="1234", score_qualite="7", lien_source="pas un lien")]
    )
    assert report.ok and len(report.new) == 1
    texts = " | ".join(i.text for i in report.warnings)
    assert "« 1234 » : SIRET invalide" in texts
    assert "« 7 » : score invalide" in texts
    assert "« pas un lien » : adresse web invalide" in texts
    record = report.new[0]
    assert (record["siret"], record["score_qualite"], record["lien_source"]) == (
        None,
        None,
        None,
    )


def test_identical_reimport_changes_nothing(db, external):
    rows = [source_row(n) for n in range(1, 5)]
    importer.apply(db, external(rows), user="test")
    before, logged = everything(db), counts(db)
    again = external(rows)
    assert again.ok and not again.writes
    assert (len(again.new), len(again.changed), len(again.unchanged)) == (0, 0, 4)
    assert "Aucune modification : la base est déjà à jour." in importer.format_report(
        again, dry_run=False
    )
    # Another origin (a dump instead of the API) with the same content: no change.
    assert not external(rows, origin="services.json").writes
    assert everything(db) == before and counts(db) == logged


def test_changed_row_is_updated_and_restamped(db, external):
    importer.apply(db, external([source_row(1)]), user="test")
    report = external([source_row(1, telephone="04 71 99 99 99", score_qualite="0.9")])
    assert [f for f, _, _ in report.changed[0].fields] == [
        "telephone",
        "score_qualite",
    ]
    import_id = importer.apply(db, report, user="test")
    row = db["services"].get("dora--service-1")
    assert (row["telephone"], row["score_qualite"]) == ("+33471999999", 0.9)
    assert row["importe_le"] == db["imports"].get(import_id)["cree_le"]


def test_row_removed_from_the_source_is_closed_not_deleted(db, external):
    rows = [source_row(n) for n in range(1, 4)]
    importer.apply(db, external(rows), user="test")
    # Another source's services are not this run's business.
    importer.apply(
        db,
        external([source_row(9, source="soliguide")], sources=["soliguide"]),
        user="test",
    )
    report = external(rows[:2])
    assert report.closed == ["dora--service-3"] == report.gone
    text = importer.format_report(report, dry_run=False)
    assert "1 service fermé car absent de la source (la fiche est gardée" in text
    assert "× dora--service-3" in text
    importer.apply(db, report, user="test")
    assert db["services"].get("dora--service-3")["statut"] == "ferme"
    assert db["services"].get("dora--service-9")["statut"] == "actif"
    assert db["services"].count == 4
    assert not external(rows[:2]).writes  # closed once


def test_seen_ids_are_not_closed(db, external):
    rows = [source_row(n) for n in range(1, 4)]
    importer.apply(db, external(rows), user="test")
    report = external(rows[:2], seen_ids=["dora--service-3"])
    assert not report.closed and not report.writes


def test_services_of_csv_imports_are_never_closed(db, external, import_bytes):
    from partner_helpers import csv_bytes

    row = raw_row(dict(source_row(5), latitude=None, longitude=None))
    import_bytes(csv_bytes([row], delimiter=",", encoding="utf-8"))
    assert not external([source_row(1)]).closed


def correct_by_fiche(db, service_id, **values):
    return apply_edits(db, {service_id: values}, user="partenaire", label="fiche")


def test_partner_correction_is_kept_and_conflict_recorded_once(db, external):
    rows = [source_row(1), source_row(2)]
    importer.apply(db, external(rows), user="test")
    correct_by_fiche(db, "dora--service-1", nom="Épicerie du quartier")
    changed = [
        source_row(1, nom="Épicerie solidaire renommée", telephone="04 71 11 11 11"),
        source_row(2, nom="Autre nom"),
    ]
    report = external(changed)
    assert report.conflicts == [
        {
            "service_id": "dora--service-1",
            "champ": "nom",
            "valeur_source": '"Épicerie solidaire renommée"',
            "valeur_locale": '"Épicerie du quartier"',
        }
    ]
    by_id = {c.record["id"]: c for c in report.changed}
    assert [f for f, _, _ in by_id["dora--service-1"].fields] == ["telephone"]
    text = importer.format_report(report, dry_run=False)
    assert "~ dora--service-1 : nom gardé (corrigé localement)" in text
    import_id = importer.apply(db, report, user="test")
    one = db["services"].get("dora--service-1")
    assert (one["nom"], one["telephone"]) == ("Épicerie du quartier", "+33471111111")
    assert db["services"].get("dora--service-2")["nom"] == "Autre nom"
    conflicts = list(db["conflits"].rows)
    assert [(c["import_id"], c["statut"]) for c in conflicts] == [(import_id, "ouvert")]
    # The same import again: the conflict is already noted, nothing to write.
    again = external(changed)
    assert not again.conflicts and not again.writes
    assert db["conflits"].count == 1


def test_partner_correction_through_the_csv_engine_is_kept(db, external, prepare):
    from partner_helpers import csv_bytes

    importer.apply(db, external([source_row(1)]), user="test")
    row = raw_row(fetch_services(db, ["dora--service-1"])["dora--service-1"])
    row["courriel"] = "contact@epicerie.fr"
    report = prepare(csv_bytes([row], delimiter=",", encoding="utf-8"))
    assert [f for f, _, _ in report.changed[0].fields] == ["courriel"]
    importer.apply(db, report, user="partenaire")
    again = external([source_row(1, courriel="autre@source.fr")])
    assert [c["champ"] for c in again.conflicts] == ["courriel"]
    importer.apply(db, again, user="test")
    assert db["services"].get("dora--service-1")["courriel"] == "contact@epicerie.fr"


def test_partner_needs_are_kept_with_their_labels(db, external):
    importer.apply(db, external([source_row(1)]), user="test")
    correct_by_fiche(db, "dora--service-1", besoins="energie", besoins_libelles="x")
    report = external([source_row(1, besoins="logement")])
    assert [c["champ"] for c in report.conflicts] == ["besoins"]
    assert not report.changed


def test_undo_of_an_external_import_restores_everything(db, external, import_bytes):
    from partner_helpers import csv_bytes, seed_rows

    import_bytes(csv_bytes(seed_rows()[:5], delimiter=",", encoding="utf-8"))
    importer.apply(db, external([source_row(1), source_row(2)]), user="test")
    correct_by_fiche(db, "dora--service-1", nom="Épicerie du quartier")
    before, logged = everything(db), db["imports"].count
    report = external(
        [
            source_row(1, nom="Nom de la source"),
            source_row(3),
            source_row(4, structure_nom="Association solidaire renommée"),
        ]
    )
    assert report.new and report.closed == ["dora--service-2"] and report.conflicts
    import_id = importer.apply(db, report, user="test")
    assert everything(db) != before
    importer.undo(db, import_id)
    assert everything(db) == before
    assert db["imports"].count == logged + 1
    assert db["imports"].get(import_id)["statut"] == "annule"


def test_undo_of_a_reimport_that_changed_and_closed_rows(db, external):
    rows = [source_row(n) for n in range(1, 4)]
    importer.apply(db, external(rows), user="test")
    before = everything(db)
    report = external(
        [source_row(1, description="Nouvelle description.", besoins="energie")]
        + rows[1:2]
    )
    assert report.closed == ["dora--service-3"]
    import_id = importer.apply(db, report, user="test")
    changed = db["services"].get("dora--service-1")
    assert changed["besoins"] == "energie"
    importer.undo(db, import_id)
    assert everything(db) == before


def test_partner_date_only_moves_forward(db, external):
    importer.apply(db, external([source_row(1)]), user="test")
    correct_by_fiche(
        db, "dora--service-1", nom="Épicerie du quartier", date_maj="2026-11-20"
    )
    older = external([source_row(1, nom="Épicerie du quartier", date_maj="2026-10-15")])
    assert not older.writes
    newer = external([source_row(1, date_maj="2026-11-25")])
    assert [f for f, _, _ in newer.changed[0].fields] == ["date_maj"]
    assert [c["champ"] for c in newer.conflicts] == ["nom"]


def test_a_corrected_place_is_kept_whole_in_one_conflict(db, external):
    importer.apply(db, external([source_row(1)]), user="test")
    place = {
        "adresse": "3 rue des Carmes",
        "latitude": 44.9264,
        "longitude": 2.4422,
        "precision_geo": "manuel",
    }
    correct_by_fiche(db, "dora--service-1", **place)
    report = external(
        [source_row(1, code_postal="15100", commune="Saint-Flour", nom="Nouveau nom")]
    )
    assert [c["champ"] for c in report.conflicts] == ["lieu"]
    source = json.loads(report.conflicts[0]["valeur_source"])
    assert (source["commune"], source["code_postal"], source["adresse"]) == (
        "Saint-Flour",
        "15100",
        None,
    )
    assert json.loads(report.conflicts[0]["valeur_locale"])["adresse"] == (
        "3 rue des Carmes"
    )
    assert [f for f, _, _ in report.changed[0].fields] == ["nom"]
    importer.apply(db, report, user="test")
    row = db["services"].get("dora--service-1")
    assert (row["commune"], row["latitude"], row["nom"]) == (
        "Aurillac",
        44.9264,
        "Nouveau nom",
    )


def test_a_service_reopened_by_its_partner_is_not_closed_again(db, external):
    rows = [source_row(n) for n in range(1, 4)]
    importer.apply(db, external(rows), user="test")
    importer.apply(db, external(rows[:2]), user="test")
    assert db["services"].get("dora--service-3")["statut"] == "ferme"
    correct_by_fiche(db, "dora--service-3", statut="actif")
    report = external(rows[:2])
    assert not report.closed and not report.changed
    assert report.conflicts == [
        {
            "service_id": "dora--service-3",
            "champ": "statut",
            "valeur_source": '"ferme"',
            "valeur_locale": '"actif"',
        }
    ]
    importer.apply(db, report, user="test")
    assert db["services"].get("dora--service-3")["statut"] == "actif"
    assert not external(rows[:2]).writes
