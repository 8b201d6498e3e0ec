"""External sources of services: the data·inclusion readers (open-data files, API
responses), the HTTP client and the table-driven mapping (data/datainclusion/*.csv)
into our service rows. Pure core: may import `catalogue`, `geo`, `imports` and
`schema`; never Flask."""
