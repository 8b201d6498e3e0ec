"""The data·inclusion HTTP client against a local server replaying recorded pages."""

import datetime
import json
import socket

import pytest
from conftest import TEST_DATA

from directory.sources.client import ClientError, DataInclusionClient
from directory.sources.datainclusion import load_api, load_files

from .fake_api import TOKEN, FakeAPI

TODAY = datetime.date(2026, 11, 26)


@pytest.fixture
def api():
    server = FakeAPI().start()
    yield server
    server.stop()


def client(api, **options):
    options.setdefault("backoff", 0)
    options.setdefault("retries", 2)
    options.setdefault("timeout", 5)
    options.setdefault("page_size", 4)
    return DataInclusionClient(api.url, options.pop("token", TOKEN), **options)


def test_pages_follow_with_token_and_departement(api):
    seen = []
    items = client(api).fetch_all(
        "services",
        "15",
        sources={"soliguide", "dora"},
        progress=lambda kind, done, total: seen.append((kind, done, total)),
    )
    assert [page for page, _ in items] == [1, 1, 1, 1, 2, 2, 2, 2, 3, 3]
    assert api.pages("services") == [1, 2, 3]
    for path, query, auth in api.requests:
        assert path == "/api/v1/services"
        assert auth == f"Bearer {TOKEN}"
        assert query["code_departement"] == ["15"]
        assert query["size"] == ["4"]
        assert query["sources"] == ["dora", "soliguide"]
    assert seen == [("services", 4, 10), ("services", 8, 10), ("services", 10, 10)]


def test_a_500_then_200_is_retried(api):
    api.script.append(("services", 500, b'{"detail": "boom"}', {}))
    api.script.append(("services", 503, b"", {}))
    items = client(api).fetch_all("services", "15")
    assert len(items) == 10
    assert api.pages("services") == [1, 1, 1, 2, 3]


def test_a_500_after_every_retry_is_a_french_error(api):
    for _ in range(3):
        api.script.append(("services", 500, b'{"detail": "boom"}', {}))
    with pytest.raises(ClientError) as error:
        client(api).fetch_all("services", "15")
    assert str(error.value) == (
        "L'API data·inclusion est en erreur (HTTP 500, page 1 des services) après "
        "3 essais. Réessayez plus tard."
    )
    assert api.pages("services") == [1, 1, 1]


def test_a_refused_token_is_not_retried(api):
    with pytest.raises(ClientError, match="Jeton refusé.*DATA_INCLUSION_TOKEN"):
        client(api, token="mauvais").fetch_all("structures", "15")
    assert len(api.requests) == 1


def test_unknown_address(api):
    with pytest.raises(ClientError, match="HTTP 404.*DATA_INCLUSION_URL"):
        client(api).fetch_all("inconnus", "15")


def test_a_hanging_answer_times_out(api):
    api.script.append(("structures", 200, None, {"hang": True}))
    with pytest.raises(ClientError) as error:
        client(api, timeout=0.3, retries=0).fetch_all("structures", "15")
    assert str(error.value) == (
        "L'API data·inclusion ne répond pas (page 1 des structures) : délai de "
        "0.3 s dépassé. Réessayez plus tard."
    )


@pytest.mark.parametrize("declared", [True, False])
def test_an_oversized_page_is_refused(api, declared):
    body = json.dumps({"items": [{"id": "x" * 5000}], "pages": 1}).encode()
    api.script.append(("services", 200, body, {"length": declared}))
    with pytest.raises(ClientError, match=r"Page trop volumineuse .* plus de 1 Ko"):
        client(api, max_page_bytes=1024).fetch_all("services", "15")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"items": [', "JSON invalide"),
        (b'{"detail": "ok"}', "pas de liste « items »"),
        (b"[1, 2]", "pas de liste « items »"),
    ],
)
def test_unreadable_answers(api, body, message):
    api.script.append(("services", 200, body, {}))
    with pytest.raises(ClientError, match=message):
        client(api).fetch_all("services", "15")


def test_no_server_listening():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    lost = DataInclusionClient(f"http://127.0.0.1:{port}", TOKEN, retries=1, backoff=0)
    with pytest.raises(ClientError, match="Connexion impossible .* après 2 essais"):
        lost.fetch_all("services", "15")


def test_load_api_gives_the_same_batch_as_the_saved_pages(api, gazetteer):
    progress = []
    batch = load_api(
        api.url,
        TOKEN,
        territory="15",
        gazetteer=gazetteer,
        today=TODAY,
        page_size=4,
        backoff=0,
        progress=lambda *args: progress.append(args),
    )
    recorded = TEST_DATA / "datainclusion" / "api"
    files = load_files(
        [recorded / n for n in ("structures-1.json",)]
        + [recorded / f"services-{n}.json" for n in (1, 2, 3)],
        territory="15",
        gazetteer=gazetteer,
        today=TODAY,
    )
    assert batch.rows == files.rows
    assert batch.left_out == files.left_out
    assert batch.seen_ids == files.seen_ids
    assert batch.origin == f"API data·inclusion ({api.url})"
    assert [i.text for i in batch.issues] == [
        "API, page 2 des services, service n° 3 : n'est pas un objet JSON ; service "
        "laissé de côté.",
        "API, page 2 des services, service n° 4 : pas de « nom » ; service laissé de "
        "côté.",
    ]
    assert [i.line for i in batch.issues] == [7, 8]
    assert progress[0] == ("structures", 6, 6)
    assert progress[-1] == ("services", 10, 10)


def test_load_api_failure_blocks_the_batch(api, gazetteer):
    api.script.append(("services", 401, b"{}", {}))
    batch = load_api(api.url, TOKEN, gazetteer=gazetteer, backoff=0, today=TODAY)
    assert batch.blocked and batch.rows == []
    assert "Jeton refusé" in batch.issues[0].text


def test_a_structure_of_another_departement_is_asked_for_by_id(gazetteer):
    server = FakeAPI(TEST_DATA / "datainclusion" / "api-structure-ailleurs").start()
    try:
        batch = load_api(server.url, TOKEN, gazetteer=gazetteer, backoff=0, today=TODAY)
    finally:
        server.stop()
    assert not batch.blocked
    ((_, row),) = batch.rows
    assert row["structure_nom"] == "UDAF du Puy-de-Dôme"
    assert row["commune"] == "Saint-Flour"  # the service's own place
    assert row["telephone"] == "0473901234"
    assert batch.left_out == {"structure introuvable": 1}
    asked = sorted(p for p, _, _ in server.requests if "/structures/" in p)
    assert asked == [
        "/api/v1/structures/dora--b4d6f8a0-2c3e-4f5a-9b1d-3f5a7b9d1f23",
        "/api/v1/structures/dora--inconnue",
    ]


def test_429_is_retried(api):
    api.script.append(("structures", 429, b'{"detail": "trop"}', {}))
    items = client(api).fetch_all("structures", "15")
    assert len(items) == 6
    assert api.pages("structures") == [1, 1]
