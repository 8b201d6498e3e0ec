"""What the directory publishes: CSV for Excel, GeoJSON, the data·inclusion
schema, the OpenAPI document, the partners' CSV/XLSX templates.
Pure core: may import `catalogue`, `imports` (column names), `schema`; never Flask."""
