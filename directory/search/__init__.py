"""Search: the in-memory index of services, query parsing and execution
(text, needs, filters, distance), opening hours and their French rendering.
Pure core: may import `catalogue`, `geo` and `schema`; never Flask."""
