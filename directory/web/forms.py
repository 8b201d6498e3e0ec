"""Flask-WTF forms (CSRF-protected), with French labels and messages."""

from flask_wtf import FlaskForm
from wtforms import EmailField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional

from ..catalogue.text import clean_text


class ReportForm(FlaskForm):
    """« Signaler une erreur » on a service's fiche."""

    message = TextAreaField(
        "Quelle information est erronée ou manquante ?",
        # Control characters go before the length is checked (and stored).
        filters=[clean_text],
        validators=[
            InputRequired("Décrivez l'erreur constatée."),
            Length(
                min=10,
                max=2000,
                message="Votre message doit compter entre 10 et 2 000 caractères.",
            ),
        ],
    )
    courriel = EmailField(
        "Votre adresse e-mail (facultatif, pour vous répondre)",
        filters=[clean_text],
        validators=[
            Optional(),
            Length(max=200, message="Adresse e-mail trop longue."),
            Email(
                message="Adresse e-mail invalide (exemple : nom@exemple.fr).",
                check_deliverability=False,
            ),
        ],
    )
