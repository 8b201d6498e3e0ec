"""Admin page « Doublons »: clusters side by side; « Ce ne sont pas des
doublons » and « Fusionner » with CSRF on, audited and undone exactly."""

import json
import re

import pytest
from conftest import snapshot
from partner_helpers import open_db, text

from directory.catalogue import duplicates

BASE = {
    "statut": "actif",
    "structure_id": "ccas-zygo",
    "structure_nom": "CCAS de Zygomatique",
    "besoins": "alimentation",
    "besoins_libelles": "Alimentation",
    "code_postal": "15000",
    "commune": "Aurillac",
    "code_insee": "15014",
    "telephone": "+33471999999",
    "modifie_le": "2026-03-01T00:00:00+00:00",
    "date_maj": "2026-03-01",
}
IDS = ("di-dora-zygo", "di-soliguide-zygo")


@pytest.fixture
def cluster(app):
    """Two sources list the same épicerie (DORA shown: better score)."""
    with open_db(app) as db:
        db["services"].insert_all(
            [
                {
                    **BASE,
                    "id": IDS[0],
                    "nom": "Épicerie Zygomatique",
                    "description": "Colis alimentaires.",
                    "source": "dora",
                    "origine": "API data·inclusion",
                    "score_qualite": 0.9,
                    "horaires": "Mo-Fr 09:00-12:00",
                },
                {
                    **BASE,
                    "id": IDS[1],
                    "nom": "Epicerie sociale Zygomatique",
                    "description": "Épicerie sociale <b>du CCAS</b>.",
                    "source": "soliguide",
                    "origine": "API data·inclusion",
                    "score_qualite": 0.5,
                    "adresse": "3 rue des Carmes",
                    "courriel": "zygo@exemple.fr",
                },
            ]
        )
        db["service_besoins"].insert_all(
            {"besoin": "alimentation", "service_id": i} for i in IDS
        )
        db.conn.commit()
        assert duplicates.recompute(db, user="test")
    return IDS


@pytest.fixture
def admin(auth):
    auth.login("admin@exemple.fr")
    return auth.client


def tables(app):
    with open_db(app) as db:
        out = snapshot(db)
        out["doublons_refuses"] = list(db.query("select * from doublons_refuses"))
    return out


def doublon_de(app):
    with open_db(app) as db:
        return {i: db["services"].get(i)["doublon_de"] for i in IDS}


def last_import(app):
    with open_db(app) as db:
        return next(db.query("select * from imports order by id desc limit 1"))


def test_page_shows_each_cluster_side_by_side(admin, cluster):
    response = admin.get("/admin/doublons")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    head = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)
    assert head.index(IDS[0]) < head.index(IDS[1])  # the shown one first
    name_row = re.search(
        r'<tr class="different">\s*<th scope="row">Nom.*?</tr>', page, re.S
    )
    assert "Épicerie Zygomatique" in name_row.group()
    assert "Epicerie sociale Zygomatique" in name_row.group()
    assert "&lt;b&gt;du CCAS&lt;/b&gt;" in page  # escaped
    assert 'name="champ_nom"' in page
    phone_row = re.search(r'<tr>\s*<th scope="row">Téléphone.*?</tr>', page, re.S)
    assert phone_row and 'name="champ_telephone"' not in phone_row.group()
    assert "Source" in text(admin.get("/admin/doublons")) and "DORA" in page
    assert 'href="/admin/doublons"' in page  # in the admin menu


def test_not_duplicates_is_remembered_audited_and_undone(app, admin, cluster):
    before = tables(app)
    response = admin.post("/admin/doublons/refuser", data={"services": list(IDS)})
    assert response.status_code == 302
    assert "ne sont pas des doublons" in text(admin.get("/admin/doublons"))
    assert doublon_de(app) == {IDS[0]: None, IDS[1]: None}
    imported = last_import(app)
    assert imported["genre"] == "doublons"
    with open_db(app) as db:
        assert db["doublons_refuses"].count == 1
        actions = {
            (c["service_id"], c["action"], c["champ"])
            for c in db["changes"].rows_where("import_id = ?", [imported["id"]])
        }
        assert actions == {
            (IDS[0], "doublon-refuse", IDS[1]),
            (IDS[1], "modification", "doublon_de"),
        }
        assert duplicates.recompute(db, user="cli") is None  # remembered
    assert "Aucun doublon détecté" in text(admin.get("/admin/doublons"))
    undo = admin.post(f"/partenaires/historique/{imported['id']}/annuler")
    assert undo.status_code == 302
    assert tables(app) == before


def test_one_service_out_of_the_group(app, admin, cluster):
    admin.post("/admin/doublons/refuser", data={"services": list(IDS), "seul": IDS[1]})
    assert doublon_de(app) == {IDS[0]: None, IDS[1]: None}


def test_merge_takes_chosen_values_and_is_undone(app, admin, cluster):
    before = tables(app)
    response = admin.post(
        "/admin/doublons/fusionner",
        data={
            "services": list(IDS),
            "garder": IDS[0],
            "champ_adresse": IDS[1],
            "champ_courriel": IDS[1],
            "champ_nom": IDS[0],
        },
    )
    assert response.status_code == 302
    assert "Fusion enregistrée" in text(admin.get("/admin/doublons"))
    with open_db(app) as db:
        kept = db["services"].get(IDS[0])
        imported = last_import(app)
        fusion = list(
            db["changes"].rows_where(
                "import_id = ? and action = 'fusion'", [imported["id"]]
            )
        )
    assert (kept["adresse"], kept["courriel"]) == (
        "3 rue des Carmes",
        "zygo@exemple.fr",
    )
    assert kept["nom"] == "Épicerie Zygomatique"
    assert kept["horaires"] == "Mo-Fr 09:00-12:00"  # not chosen: unchanged
    assert imported["genre"] == "fusion"
    assert [(c["service_id"], json.loads(c["apres"])) for c in fusion] == [
        (IDS[1], IDS[0])
    ]
    assert doublon_de(app) == {IDS[0]: None, IDS[1]: IDS[0]}
    undo = admin.post(f"/partenaires/historique/{imported['id']}/annuler")
    assert undo.status_code == 302
    assert tables(app) == before


def test_merge_keeping_the_other_service(app, admin, cluster):
    admin.post(
        "/admin/doublons/fusionner",
        data={"services": list(IDS), "garder": IDS[1], "champ_horaires": IDS[0]},
    )
    assert doublon_de(app) == {IDS[0]: IDS[1], IDS[1]: None}
    with open_db(app) as db:
        assert db["services"].get(IDS[1])["horaires"] == "Mo-Fr 09:00-12:00"
        assert duplicates.recompute(db, user="cli") is None  # the merge holds
    page = admin.get("/recherche?q=zygomatique").get_data(as_text=True)
    assert IDS[1] in page and f"/services/{IDS[0]}" not in page


@pytest.mark.parametrize(
    "url, data",
    [
        ("/admin/doublons/refuser", {"services": [IDS[0]]}),
        ("/admin/doublons/refuser", {"services": [IDS[0], "inconnu"]}),
        ("/admin/doublons/refuser", {"services": list(IDS), "seul": "inconnu"}),
        ("/admin/doublons/fusionner", {"services": list(IDS), "garder": "inconnu"}),
        (
            "/admin/doublons/fusionner",
            {"services": list(IDS), "garder": IDS[0], "champ_nom": "inconnu"},
        ),
        ("/admin/doublons/fusionner", {}),
    ],
)
def test_bad_or_stale_forms_change_nothing(app, admin, cluster, url, data):
    before = tables(app)
    response = admin.post(url, data=data)
    assert response.status_code == 302
    assert tables(app) == before


def test_guards(app, client, auth, cluster):
    assert client.get("/admin/doublons").status_code == 302  # login first
    auth.login("partenaire@exemple.fr")
    assert client.get("/admin/doublons").status_code == 403
    data = {"services": list(IDS)}
    assert client.post("/admin/doublons/refuser", data=data).status_code == 403
    auth.logout()
    auth.login("admin@exemple.fr")
    before = tables(app)
    for url in ("/admin/doublons/refuser", "/admin/doublons/fusionner"):
        assert client.post(url, data=data, csrf=False).status_code == 400
    assert tables(app) == before
    assert client.get("/admin/doublons?page=x").status_code == 200
    assert client.get("/admin/doublons?page=99").status_code == 200
