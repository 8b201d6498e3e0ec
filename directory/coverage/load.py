"""The analysis's inputs read from the database: the territory's communes, the
services that can be reached (open, shown: one per duplicate cluster), the needs.
No Flask imports."""

from ..catalogue.services import split
from .analysis import Commune, Service, Settings, analyse


def territory_codes(territory):
    """TERRITOIRE ('15', '15,43', 'france') → département codes, None: all."""
    codes = {c.strip().upper() for c in str(territory or "").split(",") if c.strip()}
    if not codes or "FRANCE" in codes:
        return None
    return codes


def communes_of(db, territory):
    """The current communes of the territory, by INSEE code."""
    codes = territory_codes(territory)
    sql = (
        "select code_insee, nom, departement, latitude, longitude, population"
        " from communes where statut = 'actuelle' and latitude is not null"
    )
    params = []
    if codes is not None:
        sql += f" and upper(departement) in ({', '.join('?' * len(codes))})"
        params = sorted(codes)
    return [
        Commune(
            r["code_insee"],
            r["nom"],
            r["departement"],
            r["latitude"],
            r["longitude"],
            r["population"] or 0,
        )
        for r in db.query(sql + " order by code_insee", params)
    ]


def services_of(db):
    """Every service that can be reached: not closed for good (a temporary
    closure is no gap), and not shown under another source's fiche."""
    rows = db.query(
        "select id, nom, besoins, latitude, longitude, zone_eligibilite,"
        " modes_accueil, commune from services"
        " where coalesce(statut, 'actif') != 'ferme' and doublon_de is null"
        " order by id"
    )
    return [
        Service(
            r["id"],
            r["nom"],
            tuple(split(r["besoins"])),
            r["latitude"],
            r["longitude"],
            tuple(split(r["zone_eligibilite"])),
            "a-distance" in split(r["modes_accueil"]),
            r["commune"] or "",
        )
        for r in rows
    ]


def needs_of(db):
    """{slug: French label} of the needs, in their order."""
    return {
        r["slug"]: r["libelle"]
        for r in db.query("select slug, libelle from besoins order by ordre, slug")
    }


def load(db, territory, settings=None, needs=None):
    """The Coverage of the territory (all needs, or those given)."""
    labels = needs_of(db)
    chosen = [n for n in (needs or labels) if n in labels]
    return analyse(
        communes_of(db, territory),
        services_of(db),
        chosen,
        settings or Settings(),
        labels,
    )
