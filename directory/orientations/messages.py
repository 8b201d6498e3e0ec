"""The French e-mails of the orientations, plain text. No Flask imports.

What leaves the database is minimal: a subject names the person by first name
and initial only, and no e-mail carries the contact, the motif or a message;
they are read on the page the e-mail links to (the partner space, the signed
link, the prescripteur's page), where the purge can erase them. A mailbox
keeps an e-mail for ever; the database forgets after the retention delay.
"""

from .records import LABELS, one_line

SIGNATURE = (
    "\n-- \nAnnuaire des solidarités du Cantal (Département du Cantal)\n"
    "Courriel automatique : merci de ne pas y répondre.\n"
)
MAX_NAME = 80  # of a service's name in a subject


def person(orientation):
    """« Marie D. »: how every e-mail and list names the person."""
    prenom = one_line(orientation.get("prenom"))
    initiale = one_line(orientation.get("initiale"))
    if not prenom:
        return "personne anonymisée"
    return f"{prenom} {initiale}." if initiale else prenom


def short(value, limit=MAX_NAME):
    value = one_line(value)
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def new_subject(orientation, service_nom):
    """« Nouvelle orientation : Marie D. vers Épicerie solidaire »."""
    return f"Nouvelle orientation : {person(orientation)} vers {short(service_nom)}"


def _sender(orientation):
    organisme = one_line(orientation.get("prescripteur_organisme"))
    return f"Un professionnel de {organisme}" if organisme else "Un professionnel"


def to_partner(orientation, service_nom, *, url, retention_days):
    """(subject, body) to the partner accounts of the receiving structure."""
    body = (
        "Bonjour,\n\n"
        f"{_sender(orientation)} oriente {person(orientation)} vers votre service "
        f"« {one_line(service_nom)} ».\n\n"
        "Lisez la demande et répondez (accepter, refuser avec un message, puis "
        "« prise en charge ») dans votre espace partenaire, après connexion :\n"
        f"{url}\n\n"
        "Pour protéger la personne, ce courriel ne contient ni le motif ni ses "
        "coordonnées : ils ne sont que dans votre espace, et effacés "
        f"{retention_days} jours après le dernier changement.\n" + SIGNATURE
    )
    return new_subject(orientation, service_nom), body


def to_service(orientation, service_nom, *, url, link_days, retention_days):
    """(subject, body) to a service's contact address, with the signed link."""
    body = (
        "Bonjour,\n\n"
        f"{_sender(orientation)} oriente {person(orientation)} vers votre service "
        f"« {one_line(service_nom)} », référencé dans l'annuaire des solidarités "
        "du Cantal.\n\n"
        "Lisez la demande et répondez (accepter, refuser avec un message, puis "
        "« prise en charge ») sur cette page, sans compte ni mot de passe :\n"
        f"{url}\n\n"
        f"Ce lien est personnel : il ouvre cette seule orientation, pendant "
        f"{link_days} jours. Ne le transférez pas. Pour protéger la personne, ce "
        "courriel ne contient ni le motif ni ses coordonnées ; ils sont effacés "
        f"{retention_days} jours après le dernier changement.\n\n"
        "Vous recevrez les orientations dans un espace partenaire si vous en "
        "demandez un à l'équipe du Département.\n" + SIGNATURE
    )
    return new_subject(orientation, service_nom), body


def answer_subject(orientation, statut):
    """« Orientation de Marie D. : refusée »."""
    return f"Orientation de {person(orientation)} : {LABELS.get(statut, statut)}"


def to_prescripteur(orientation, statut, *, url):
    """(subject, body) to the prescripteur when the structure answers."""
    label = LABELS.get(statut, statut)
    body = (
        "Bonjour,\n\n"
        f"Votre orientation de {person(orientation)} vers « "
        f"{one_line(orientation.get('service_nom'))} » "
        f"({one_line(orientation.get('structure_nom'))}) est maintenant : {label}.\n\n"
        "Le détail et le message éventuel de la structure sont sur votre page "
        f"(après connexion) :\n{url}\n" + SIGNATURE
    )
    return answer_subject(orientation, statut), body
