"""Referrals (« orientations », issue 14): their records, statuses, signed links,
the e-mails they send (`mail`) and the purge that anonymises old ones (`purge`).
Pure core: imports only the standard library, `catalogue` and `schema`; never
Flask or Werkzeug."""
