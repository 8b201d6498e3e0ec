"""The partners' side, the Flask layer: login, accounts, the partner space,
upload -> preview -> confirm, the admin pages, their forms.
May import every core package and `web` (context, fiche helpers, rate limits)."""
