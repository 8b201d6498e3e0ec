"""Places: the commune gazetteer (fuzzy names, postcodes, nearest commune),
distances, and geocoders on geopy's contract (offline, BAN).
Pure core: imports geopy and the standard library, nothing else of the package;
never Flask."""
