"""Duplicate clusters across sources: matching keys, representative, and the
audited recomputation in the database (undo restores it exactly)."""

import json
import re

import pytest

from directory.catalogue import duplicates, matching
from directory.catalogue.transactions import writing
from directory.db import connect
from directory.imports import engine

DI = "API data·inclusion (2026-03-12)"
AURILLAC = (44.9264, 2.4397)


def row(id, source="dora", **fields):
    """A service row; `source=None` makes a row of the directory itself."""
    base = {
        "id": id,
        "statut": "actif",
        "nom": f"Service {id}",
        "besoins": "alimentation",
        "source": source or "https://exemple.fr/source",
        "origine": DI if source else None,
        "code_insee": "15014",
        "latitude": None,
        "longitude": None,
        "precision_geo": None,
        "siret": None,
        "telephone": None,
        "courriel": None,
        "site_web": None,
        "score_qualite": None,
        "date_maj": "2026-01-01",
        "doublon_de": None,
    }
    return {**base, **fields}


def north(metres):
    """A point `metres` north of AURILLAC (1° of latitude ≈ 111 195 m)."""
    return {"latitude": AURILLAC[0] + metres / 111195.0, "longitude": AURILLAC[1]}


@pytest.mark.parametrize(
    "a, b",
    [
        ({"siret": "123 456 789 00012"}, {"siret": "12345678900012"}),
        ({"telephone": "04 71 46 20 20"}, {"telephone": "+33471462020"}),
        ({"telephone": "04.71.46.20.20"}, {"telephone": "+33 4 71 46 20 20"}),
        ({"courriel": "Accueil@CCAS.fr"}, {"courriel": "accueil@ccas.fr "}),
        (
            {"site_web": "https://www.ccas-aurillac.fr/aide"},
            {"site_web": "ccas-aurillac.fr"},
        ),
        (
            {"nom": "Centre communal d'action sociale", **north(0)},
            {"nom": "CCAS", **north(100)},
        ),
        (
            {"nom": "Secours populaire français Aurillac", **north(0)},
            {"nom": "Secours Populaire - Aurillac", **north(60)},
        ),
    ],
)
def test_each_key_clusters_two_sources(a, b):
    rows = [row("a", "dora", **a), row("b", "soliguide", **b)]
    assert matching.clusters(rows) == [("a", ["b"])]


@pytest.mark.parametrize(
    "a, b",
    [
        ({"telephone": "3949"}, {"telephone": "3949"}),  # short number: no key
        ({"courriel": "pas une adresse"}, {"courriel": "pas une adresse"}),
        ({"nom": "Épicerie solidaire", **north(0)}, {"nom": "Vestiaire", **north(10)}),
        ({"nom": "Épicerie"}, {"nom": "Épicerie"}),  # no position
        (
            {"nom": "Épicerie", **north(0), "precision_geo": "commune"},
            {"nom": "Épicerie", **north(0), "precision_geo": "commune"},
        ),
    ],
)
def test_no_key_no_cluster(a, b):
    assert matching.clusters([row("a", "dora", **a), row("b", "soliguide", **b)]) == []


def test_same_source_never_clusters():
    """A CCAS's several services share its phone: one source, several places."""
    rows = [
        row("a", "dora", telephone="0471462020"),
        row("b", "dora", telephone="0471462020"),
    ]
    assert matching.clusters(rows) == []
    local = [row("c", None, courriel="x@y.fr"), row("d", None, courriel="x@y.fr")]
    assert matching.clusters(local) == []


def test_a_cluster_holds_one_service_per_source():
    rows = [
        row("a", "dora", telephone="0471462020", siret="12345678900012"),
        row("b", "soliguide", telephone="0471462020"),
        row("c", "dora", siret="12345678900012", courriel="c@d.fr"),
        row("d", "soliguide", courriel="c@d.fr"),
    ]
    found = matching.clusters(rows)
    for representative, others in found:
        members = [representative, *others]
        sources = [next(r["source"] for r in rows if r["id"] == m) for m in members]
        assert len(sources) == len(set(sources))


def test_different_needs_never_cluster():
    rows = [
        row("a", "dora", telephone="0471462020", besoins="alimentation"),
        row("b", "soliguide", telephone="0471462020", besoins="logement-hebergement"),
    ]
    assert matching.clusters(rows) == []
    rows[1]["besoins"] = "logement-hebergement, alimentation"
    assert matching.clusters(rows) == [("a", ["b"])]


def test_other_commune_never_clusters():
    rows = [
        row("a", "dora", siret="12345678900012"),
        row("b", "soliguide", siret="12345678900012", code_insee="15187"),
    ]
    assert matching.clusters(rows) == []


def test_an_ambiguous_key_is_ignored():
    """A hotline shared by two agencies of one source matches neither."""
    rows = [
        row("a", "dora", telephone="0471462020"),
        row("b", "dora", telephone="0471462020"),
        row("c", "soliguide", telephone="0471462020"),
    ]
    assert matching.clusters(rows) == []


def test_a_generic_host_is_ignored():
    communes = ["15014", "15187", "15138", "15120"]
    rows = [
        row(f"{s}{i}", s, site_web="https://facebook.com/page", code_insee=c)
        for i, c in enumerate(communes)
        for s in ("dora", "soliguide")
    ]
    assert matching.clusters(rows) == []
    assert matching.clusters(rows[:2]) == [("dora0", ["soliguide0"])]


def test_refused_pair_stays_apart():
    rows = [
        row("a", "dora", telephone="0471462020", courriel="x@y.fr"),
        row("b", "soliguide", telephone="0471462020"),
        row("c", "mediation-numerique", courriel="x@y.fr"),
    ]
    assert matching.clusters(rows) == [("a", ["b", "c"])]
    assert matching.clusters(rows, refused=[("a", "b")]) == [("a", ["c"])]
    # Not even through a third service (b and c never meet a through a chain).
    rows[2]["telephone"] = "0471462020"
    assert matching.clusters(rows, refused=[("a", "b")]) == [("a", ["c"])]


@pytest.mark.parametrize(
    "distance, clustered", [(140, True), (149, True), (151, False)]
)
def test_name_key_boundary_at_150_metres(distance, clustered):
    rows = [
        row("a", "dora", nom="Épicerie sociale", **north(0)),
        row("b", "soliguide", nom="Epicerie Sociale", **north(distance)),
    ]
    assert bool(matching.clusters(rows)) is clustered


def test_neighbouring_grid_cells_are_searched():
    """Two points on each side of a cell boundary, 20 m apart, still meet."""
    lat = (round(AURILLAC[0] / matching.CELL_LAT) + 1) * matching.CELL_LAT
    rows = [
        row("a", "dora", nom="Épicerie", latitude=lat - 0.0001, longitude=2.4397),
        row("b", "soliguide", nom="Épicerie", latitude=lat + 0.0001, longitude=2.4397),
    ]
    assert matching.clusters(rows) == [("a", ["b"])]


def test_representative_order():
    phone = {"telephone": "0471462020"}
    rows = [
        row("a", "dora", score_qualite=0.9, date_maj="2026-05-01", **phone),
        row("b", "soliguide", score_qualite=0.5, date_maj="2026-06-01", **phone),
        row("z", None, score_qualite=None, date_maj="2020-01-01", **phone),
    ]
    assert matching.clusters(rows) == [("z", ["a", "b"])]  # partner-maintained first
    assert matching.clusters(rows[:2]) == [("a", ["b"])]  # then score_qualite
    rows[1]["score_qualite"] = 0.9
    assert matching.clusters(rows[:2]) == [("b", ["a"])]  # then freshest
    rows[1]["date_maj"] = "2026-05-01"
    assert matching.clusters(rows[:2]) == [("a", ["b"])]  # then id
    assert matching.clusters(rows[:2], pins={"a": "b"}) == [("b", ["a"])]  # merged


def test_closed_services_are_not_clustered():
    rows = [
        row("a", None, telephone="0471462020", statut="ferme"),
        row("b", "dora", telephone="0471462020"),
        row("c", "soliguide", telephone="0471462020"),
    ]
    assert matching.clusters(rows) == [("b", ["c"])]
    assert matching.targets(rows) == {"a": None, "b": None, "c": "b"}


def test_many_services_cluster_fast_enough_without_pairs_of_everything():
    """20 000 services in 2 sources at the same 200 points: every one pairs
    only with its twin (a quadratic scan would compare 200 million pairs)."""
    rows = []
    for i in range(10000):
        place = {
            "latitude": 44.9 + (i % 200) * 0.01,
            "longitude": 2.4,
            "code_insee": None,
            "nom": f"Lieu {i} alpha beta",
            "telephone": f"04{71000000 + i:08d}",
        }
        rows += [
            row(f"d{i:05d}", "dora", **place),
            row(f"s{i:05d}", "soliguide", **place),
        ]
    found = matching.clusters(rows)
    assert len(found) == 10000
    assert found[0] == ("d00000", ["s00000"])


# -- in the database ------------------------------------------------------------


def insert(db, rows):
    db["services"].insert_all(
        ({"structure_id": "s", "modifie_le": "2026-01-01", **r} for r in rows),
        alter=False,
    )


def stored(db):
    return {
        r["id"]: r["doublon_de"]
        for r in db.query("select id, doublon_de from services")
    }


def test_update_clusters_is_audited_and_undone(db):
    phone = {"telephone": "0471462020"}
    insert(db, [row("a", "dora", **phone), row("b", "soliguide", **phone), row("c")])
    with writing(db):
        import_id = db["imports"].insert({"fichier": "x", "statut": "applique"}).last_pk
        assert duplicates.update_clusters(db, import_id, "2026-01-01") == 1
    assert stored(db) == {"a": None, "b": "a", "c": None}
    logged = list(db.query("select * from changes where import_id = ?", [import_id]))
    assert [(c["service_id"], c["action"], c["champ"]) for c in logged] == [
        ("b", "modification", "doublon_de")
    ]
    assert (json.loads(logged[0]["avant"]), json.loads(logged[0]["apres"])) == (
        None,
        "a",
    )
    with writing(db):  # nothing changes: nothing written
        assert duplicates.update_clusters(db, import_id, "2026-01-01") == 0
    engine.undo(db, import_id)
    assert stored(db) == {"a": None, "b": None, "c": None}


def test_recompute_is_one_import_or_none(db):
    phone = {"telephone": "0471462020"}
    insert(db, [row("a", "dora", **phone), row("b", "soliguide", **phone)])
    import_id = duplicates.recompute(db, user="cli")
    imported = db["imports"].get(import_id)
    assert (imported["genre"], imported["modifies"]) == ("doublons", 1)
    assert duplicates.recompute(db, user="cli") is None
    assert db["imports"].count == 1


def test_refusal_is_remembered_audited_and_undone(db):
    phone = {"telephone": "0471462020"}
    insert(db, [row("a", "dora", **phone), row("b", "soliguide", **phone)])
    duplicates.recompute(db, user="cli")
    import_id = duplicates.refuse(db, ["b", "a"], user="admin@exemple.fr")
    assert stored(db) == {"a": None, "b": None}
    assert [(r["service_a"], r["service_b"]) for r in db["doublons_refuses"].rows] == [
        ("a", "b")
    ]
    assert duplicates.recompute(db, user="cli") is None  # remembered
    with pytest.raises(duplicates.DuplicateError):
        duplicates.refuse(db, ["a", "b"], user="admin@exemple.fr")
    engine.undo(db, import_id)
    assert stored(db) == {"a": None, "b": "a"}
    assert db["doublons_refuses"].count == 0


def test_merge_survives_recomputation_and_is_undone(db):
    insert(
        db,
        [
            row("a", "dora", telephone="0471462020", nom="Épicerie", score_qualite=0.9),
            row("b", "soliguide", telephone="0471462020", nom="Épicerie du CCAS"),
            row("c", "autre", nom="Vestiaire"),
        ],
    )
    duplicates.recompute(db, user="cli")
    before = {r["id"]: r for r in db.query("select * from services")}
    # The admin keeps b (it ranked second) with a's name; c joins by hand.
    import_id = duplicates.merge(db, "b", ["a", "c"], {"nom": "a"}, user="admin")
    assert stored(db) == {"a": "b", "b": None, "c": "b"}
    assert db["services"].get("b")["nom"] == "Épicerie"
    assert db["imports"].get(import_id)["genre"] == "fusion"
    assert duplicates.recompute(db, user="cli") is None  # the merge holds
    engine.undo(db, import_id)
    assert {r["id"]: r for r in db.query("select * from services")} == before


def test_merge_refuses_bad_choices(db):
    insert(db, [row("a"), row("b", "soliguide")])
    with pytest.raises(duplicates.DuplicateError):
        duplicates.merge(db, "a", ["b"], {"statut": "b"}, user="admin")
    with pytest.raises(duplicates.DuplicateError):
        duplicates.merge(db, "a", ["zzz"], {}, user="admin")
    assert db["imports"].count == 0


def test_cli_recomputes_as_one_undoable_import(app, runner):
    phone = {"telephone": "0471462020"}
    db = connect(app.config["DATABASE"])
    insert(db, [row("di-a", "dora", **phone), row("di-b", "soliguide", **phone)])
    db.conn.commit()
    result = runner.invoke(args=["doublons"])
    assert result.exit_code == 0, result.output
    assert "1 service(s) affiché(s) sous un autre" in result.output
    import_id = int(re.search(r"import n°(\d+)", result.output).group(1))
    assert stored(db)["di-b"] == "di-a"
    assert "Aucun changement." in runner.invoke(args=["doublons"]).output
    assert runner.invoke(args=["undo-import", str(import_id)]).exit_code == 0
    assert stored(db)["di-b"] is None
    db.close()
