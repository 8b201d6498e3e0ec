"""Flask-WTF forms of the partner space and the admin pages (CSRF on each)."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

UPLOAD_EXTENSIONS = ["csv", "xlsx", "txt", "tsv"]
ACCOUNT_TYPES = [
    ("partenaire", "Partenaire (structure qui reçoit le public)"),
    ("prescripteur", "Prescripteur (oriente des personnes vers les services)"),
]


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


class OpenRadio(RadioField):
    """Radio buttons whose value is checked later (RowValidator,
    accounts.create_user), with a French message."""

    def pre_validate(self, form):
        pass


class PartnerForm(FlaskForm):
    email = EmailField(
        "Adresse e-mail",
        validators=[InputRequired("Saisissez l'adresse e-mail."), Length(max=200)],
    )
    mot_de_passe = PasswordField(
        "Mot de passe (au moins 10 caractères)",
        validators=[InputRequired("Saisissez un mot de passe."), Length(max=200)],
    )
    # Value checked by accounts.create_user (French message on the field).
    type_compte = OpenRadio("Type de compte", choices=[], default="partenaire")
    organisme = StringField(
        "Organisme (pour un prescripteur)",
        validators=[Length(max=150, message="150 caractères au plus.")],
    )
    structures = StringField(
        "Structures gérées (identifiants séparés par des virgules)",
        validators=[Length(max=2000)],
    )
    admin = BooleanField("Compte de l'équipe du Département (administrateur)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type_compte.choices = list(ACCOUNT_TYPES)  # set late: no warning


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


class Checkboxes(SelectMultipleField):
    """Several choices as checkboxes; the values are checked by the import's
    RowValidator (French messages), not by WTForms."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        pass


class OpenSelect(SelectField):
    """A select whose value the RowValidator checks."""

    def pre_validate(self, form):
        pass


def _text(label, limit=2000, area=False):
    field = TextAreaField if area else StringField
    message = f"{limit} caractères au plus."
    return field(label, validators=[Length(max=limit, message=message)])


class ServiceForm(FlaskForm):
    """One fiche. Each value is then validated as an import cell would be."""

    nom = _text("Nom du service", 200)
    description = _text("Description", 10_000, area=True)
    statut = OpenSelect("Statut", choices=[])
    besoins = Checkboxes("Besoins", choices=[])
    publics = Checkboxes("Publics", choices=[])
    modalites_acces = Checkboxes("Modalités d'accès", choices=[])
    conditions_acces = _text("Conditions d'accès", 5000, area=True)
    justificatifs = _text("À apporter (un document par ligne)", 2000, area=True)
    modes_orientation_beneficiaire = Checkboxes(
        "Comment la personne fait sa demande", choices=[]
    )
    modes_orientation_accompagnateur = Checkboxes(
        "Comment un professionnel oriente une personne", choices=[]
    )
    lien_mobilisation = _text("Lien pour faire une demande en ligne", 2000)
    mobilisation_precisions = _text(
        "Comment faire une demande : précisions", 2000, area=True
    )
    frais = OpenRadio("Frais", choices=[])
    frais_precisions = _text("Précisions sur les frais", 2000)
    adresse = _text("Adresse (numéro et rue)", 300)
    complement_adresse = _text("Complément d'adresse", 300)
    code_postal = _text("Code postal", 20)
    commune = _text("Commune", 200)
    latitude = _text("Latitude", 40)
    longitude = _text("Longitude", 40)
    telephone = _text("Téléphone", 100)
    courriel = _text("Courriel", 300)
    site_web = _text("Site web", 2000)
    horaires = _text("Horaires (syntaxe OpenStreetMap)", 2000)
    horaires_precisions = _text("Précisions sur les horaires", 2000, area=True)
    version = HiddenField(validators=[Length(max=100)])
