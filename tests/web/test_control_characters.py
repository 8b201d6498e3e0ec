"""Control characters never reach the database from the public report form."""

import pytest

from directory.db import get_db
from directory.web import reports

ALLANCHE = "france-services-allanche--accueil"


def test_report_is_stored_without_control_characters(app, client):
    response = client.post(
        f"/services/{ALLANCHE}/signaler",
        data={
            "message": "Le numéro\x00 a changé\x1b[31m :\r\nc'est le\t04\x7f.\rFin",
            "courriel": "a@b.fr\x00",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        (row,) = reports.pending(get_db())
    assert row["message"] == "Le numéro a changé[31m :\nc'est le\t04.\nFin"
    assert row["courriel"] == "a@b.fr"


@pytest.mark.parametrize("message", ["\x00" * 20, "court\x01\x02\x03\x04\x05\x06"])
def test_control_characters_do_not_count_towards_the_length(app, client, message):
    response = client.post(f"/services/{ALLANCHE}/signaler", data={"message": message})
    assert response.status_code == 400
    assert "entre 10 et 2 000 caractères" in response.get_data(as_text=True)
    with app.app_context():
        assert reports.pending(get_db()) == []
