"""What a service is: the vocabularies (needs, publics, fees…), stored
multi-valued cells, queries on services, timestamps, loading data/ at start.
Pure core: imports only the standard library, its own modules and `schema`;
never Flask or Werkzeug."""
