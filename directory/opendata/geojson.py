"""GeoJSON (RFC 7946) of services: one Feature per service, null geometry for
a service with no position. Properties are given by the caller."""


def feature(row, properties):
    """A service row as a Feature ([longitude, latitude], as GeoJSON orders them)."""
    geometry = None
    if row["latitude"] is not None and row["longitude"] is not None:
        geometry = {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]}
    return {
        "type": "Feature",
        "id": row["id"],
        "geometry": geometry,
        "properties": properties,
    }


def feature_collection(features):
    return {"type": "FeatureCollection", "features": list(features)}
