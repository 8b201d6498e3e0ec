"""What the results page says around the list: honest distances, the counts on
the filters and the help shown when a need has no service at all."""

from ..catalogue.vocabulary import split_list

PRECISE = 0.1  # km: below, « à moins de 100 m » (when both ends are precise)


def rough_position(row):
    """A service placed at its commune's chef-lieu (no street address, or a
    point no more precise than the commune)."""
    return (
        not (row.get("adresse") or "").strip()
        or (row.get("precision_geo") or "commune") == "commune"
    )


def distance_text(row, place):
    """« à 350 m »-like French for the distance of a result, never more precise
    than its two ends: a commune's chef-lieu gives « dans la commune » or
    « à 12 km environ »."""
    km = row.get("distance_km")
    if km is None or place is None:
        return None
    if not place.precise or rough_position(row):
        if not place.precise and row.get("code_insee") == place.code_insee:
            return "dans la commune"
        return f"à {max(1, round(km))} km environ"
    if km < PRECISE:
        return "à moins de 100 m"
    return "à " + f"{km:.1f}".replace(".", ",") + " km"


def facet_labels(facets):
    """{filter: {value: « (12) »}} for the labels of the search form."""
    if not facets:
        return {}
    return {
        name: {value: f"({count})" for value, count in counts.items()}
        for name, counts in facets.items()
    }


def absent_needs(db, query, besoins):
    """When the chosen needs have no open service anywhere: their labels and
    the related needs (data/besoins.csv `besoins_proches`) that have some.

    `besoins` are the rows of needs_with_counts (slug, libelle, total…)."""
    if not query.besoins:
        return None
    by_slug = {b["slug"]: b for b in besoins}
    if any(by_slug.get(slug, {}).get("total") for slug in query.besoins):
        return None
    related = []
    proches = {
        r["slug"]: split_list(r["besoins_proches"])
        for r in db.query("select slug, besoins_proches from besoins")
    }
    for slug in query.besoins:
        for other in proches.get(slug, []):
            row = by_slug.get(other)
            if row and row["total"] and other not in query.besoins + related:
                related.append(other)
    return {
        "labels": [by_slug[slug]["libelle"] for slug in query.besoins],
        "related": [by_slug[slug] for slug in related],
    }
