"""The import engine: read bytes (CSV/XLSX) -> rows, cell checks, row validation,
place checks, the plan (diff), apply + audit + undo, the French report, pending uploads.
Pure core: may import `catalogue`, `geo`, `schema` and `search` (its text index
follows each write); never Flask."""
