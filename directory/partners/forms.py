"""Flask-WTF forms of the partner space and the admin pages (CSRF on each)."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import InputRequired, Length

UPLOAD_EXTENSIONS = ["csv", "xlsx", "txt", "tsv"]


class LoginForm(FlaskForm):
    email = EmailField(
        "Adresse e-mail",
        validators=[InputRequired("Saisissez votre adresse e-mail."), Length(max=200)],
    )
    mot_de_passe = PasswordField(
        "Mot de passe",
        validators=[InputRequired("Saisissez votre mot de passe."), Length(max=200)],
    )


class UploadForm(FlaskForm):
    fichier = FileField(
        "Fichier de vos services (CSV ou XLSX)",
        validators=[
            FileRequired("Choisissez un fichier à déposer."),
            FileAllowed(
                UPLOAD_EXTENSIONS,
                "Format non pris en charge : déposez un fichier .csv ou .xlsx "
                "(export de votre tableur).",
            ),
        ],
    )


class ButtonForm(FlaskForm):
    """A button that only needs the CSRF token (« Rien n'a changé », undo…)."""


class TokenForm(FlaskForm):
    """Confirm or abandon a pending upload."""

    jeton = HiddenField(validators=[InputRequired(), Length(max=100)])


class PartnerForm(FlaskForm):
    email = EmailField(
        "Adresse e-mail",
        validators=[InputRequired("Saisissez l'adresse e-mail."), Length(max=200)],
    )
    mot_de_passe = PasswordField(
        "Mot de passe (au moins 10 caractères)",
        validators=[InputRequired("Saisissez un mot de passe."), Length(max=200)],
    )
    structures = StringField(
        "Structures gérées (identifiants séparés par des virgules)",
        validators=[Length(max=2000)],
    )
    admin = BooleanField("Compte de l'équipe du Département (administrateur)")


class AttachForm(FlaskForm):
    structure_id = SelectField("Rattacher la structure", choices=[])


class StructureForm(FlaskForm):
    id = StringField(
        "Identifiant (minuscules, chiffres et tirets)",
        validators=[InputRequired("Saisissez l'identifiant."), Length(max=80)],
    )
    nom = StringField(
        "Nom de la structure",
        validators=[InputRequired("Saisissez le nom."), Length(max=150)],
    )
