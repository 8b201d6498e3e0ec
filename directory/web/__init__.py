"""The public side, the Flask layer: pages, fiche, maps, JSON API, export routes,
« signaler une erreur », security headers, rate limits, forms, the app context glue.
May import every core package; never `partners`."""
