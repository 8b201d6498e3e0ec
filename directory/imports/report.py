"""Import issues and the French, grouped report. No Flask imports."""

import re
from dataclasses import dataclass

FORMULA_RE = re.compile(r"^[=+@]\s*[A-Za-z_.]+\s*\(|^=")


@dataclass(frozen=True)
class Issue:
    """One problem: where (spreadsheet line, column), what, and a suggestion."""

    message: str
    line: int | None = None
    column: str | None = None
    suggestion: str | None = None
    blocking: bool = True

    @classmethod
    def file(cls, message):
        """A blocking problem with the whole file."""
        return cls(message=message)

    @property
    def text(self):
        """Message with its suggestion, as shown to the partner."""
        if self.suggestion:
            message = self.message.rstrip(" .")
            return f"{message} — vouliez-vous dire « {self.suggestion} » ?"
        return self.message


def line_ranges(lines):
    """[3, 4, 5, 6, 7, 12] → 'lignes 3 à 7, 12'; [4] → 'ligne 4'."""
    lines = sorted(set(lines))
    parts, start = [], None
    for index, line in enumerate(lines):
        if start is None:
            start = line
        nxt = lines[index + 1] if index + 1 < len(lines) else None
        if nxt != line + 1:
            if start == line:
                parts.append(str(line))
            elif line == start + 1:  # "lignes 5, 6" reads better than "5 à 6"
                parts += [str(start), str(line)]
            else:
                parts.append(f"{start} à {line}")
            start = None
    word = "ligne" if len(lines) == 1 else "lignes"
    return f"{word} {', '.join(parts)}"


def group(issues):
    """Group identical messages: [(where, text)] in first-seen order."""
    groups = {}
    for issue in issues:
        key = (issue.column, issue.text)
        groups.setdefault(key, []).append(issue.line)
    result = []
    for (column, text), lines in groups.items():
        where = []
        known = [n for n in lines if n is not None]
        if known:
            where.append(line_ranges(known))
        if column:
            where.append(f"colonne {column}")
        result.append((" · ".join(where), text))
    return result


def format_lines(issues, limit=200):
    """Grouped issues as text lines: 'lignes 3 à 7 · colonne besoins · …'."""
    out = []
    for where, text in group(issues)[:limit]:
        out.append(f"{where} · {text}" if where else text)
    return out


def plural(count, singular, plural_form=None):
    """'1 service', '3 services' (French plural with an optional irregular form)."""
    word = singular if count <= 1 else plural_form or singular + "s"
    return f"{count} {word}"


def shorten(text, width=40):
    """A value as quoted in a message: cut with an ellipsis when long."""
    return text if len(text) <= width else text[: width - 1] + "…"


def problem(column, message, value=None, suggestion=None, blocking=True):
    """An issue without its line: (column, message, suggestion, blocking)."""
    if value is not None:
        message = f"« {value} » : {message}"
    return (column, message, suggestion, blocking)


PAYANT_SANS_PRECISIONS = problem(
    "frais_precisions",
    "service payant : précisez le montant ou le tarif dans « frais_precisions ».",
)
NO_CONTACT = problem(
    None,
    "aucun moyen de contact (téléphone, courriel ou site web) : "
    "ajoutez-en au moins un.",
    blocking=False,
)


def formula_problem(column, text):
    return problem(
        column,
        "ressemble à une formule de tableur : elle est "
        "enregistrée comme du texte, sans être calculée.",
        shorten(text),
        blocking=False,
    )


TEXT_LIMITS = {"nom": (3, 150), "description": (1, 10_000), "structure_nom": (3, 150)}


def text_problem(column, value):
    """The problem of a required text (nom, description…) too short or too long."""
    low, high = TEXT_LIMITS[column]
    if not value:
        return problem(column, "valeur obligatoire.")
    if len(value) < low:
        return problem(
            column,
            f"trop court ({len(value)} caractères, {low} au minimum).",
            value,
        )
    if len(value) > high:
        return problem(
            column, f"trop long ({len(value)} caractères, {high} au maximum)."
        )
    if column == "nom" and value.endswith(".") and not value.endswith("etc."):
        return problem(
            column, "le nom ne doit pas finir par un point.", value, blocking=False
        )
    return None
