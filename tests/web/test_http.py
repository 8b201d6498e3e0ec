"""HTTP details a client relies on: exact Content-Type of every download."""

import pytest

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_open_data_csv_has_one_charset(client):
    """The CSV linked from /donnees: `text/csv; charset=utf-8`, said once."""
    assert "/export/services.csv" in client.get("/donnees").get_data(as_text=True)
    response = client.get("/export/services.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    ("extension", "content_type"),
    [("csv", "text/csv; charset=utf-8"), ("xlsx", XLSX)],
)
def test_partner_templates_have_exact_content_type(
    client, auth, extension, content_type
):
    auth.login()
    response = client.get(f"/partenaires/modele.{extension}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
