"""No HTTP 500 on the orientation routes under random input (issue 14,
acceptance 4): form fields, answers and their messages, signed-link tokens and
service ids drawn by hypothesis (fixed seed), CSRF on. tests/web/test_fuzz.py
covers their integer ids (every `int` route of the URL map)."""

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import (
    FORM,
    HALTE,
    PARTNER,
    PRESCRIPTEUR,
    add_prescripteurs,
    logged_in,
    orientation_id,
    rows,
    send,
)

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TEXT = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=990, max_size=1010),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "é" * 1000,
            "\r\n" * 600,
            "<script>alert(1)</script>",
            "06 12 34 56 78",
            "+33 6 12 34 56 78",
            "a@b.fr",
            '"@"@x.fr',
            "9" * 5000,
        ]
    ),
)
FIELDS = ["prenom", "initiale", "contact", "consentement", "motif", "autre"]
ACTIONS = ["accepter", "refuser", "prise-en-charge"]


@pytest.fixture
def clients(app, users, clock):
    add_prescripteurs(app)
    prescripteur = logged_in(app, PRESCRIPTEUR)
    return {
        "prescripteur": prescripteur,
        "partner": logged_in(app, PARTNER),
        "anonymous": app.test_client(),
        "orientation": orientation_id(send(prescripteur)),
    }


@FUZZ
@given(values=st.dictionaries(st.sampled_from(FIELDS), TEXT, max_size=6))
def test_random_orientation_forms_never_give_500(app, clients, values):
    before = len(rows(app))
    response = clients["prescripteur"].post(f"/services/{HALTE}/orienter", data=values)
    assert response.status_code in (303, 400), values
    assert len(rows(app)) == before + (response.status_code == 303)


@FUZZ
@given(action=st.sampled_from(ACTIONS), message=st.one_of(st.none(), TEXT))
def test_random_answers_never_give_500(app, clients, action, message):
    data = {} if message is None else {"message": message}
    fresh = orientation_id(send(clients["prescripteur"], **FORM))
    for number in (fresh, clients["orientation"]):
        response = clients["partner"].post(
            f"/partenaires/orientations/{number}/{action}", data=data
        )
        assert response.status_code in (303, 400), (action, message)


@FUZZ
@given(token=st.text(min_size=1, max_size=400), action=st.sampled_from(ACTIONS))
def test_random_tokens_never_give_500(app, clients, token, action):
    path = "/orientation/" + quote(token, safe="")
    for method, url in (("GET", path), ("POST", f"{path}/{action}")):
        response = clients["anonymous"].open(url, method=method, data={"message": "x"})
        assert response.status_code < 500, (method, token)
        assert response.status_code in (308, 404, 405, 403, 410), (method, token)


@FUZZ
@given(service_id=st.text(min_size=1, max_size=200))
def test_random_service_ids_never_give_500(app, clients, service_id):
    url = f"/services/{quote(service_id, safe='')}/orienter"
    for method in ("GET", "POST"):
        response = clients["prescripteur"].open(url, method=method, data=FORM)
        assert response.status_code < 500, (method, service_id)
