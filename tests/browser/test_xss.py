"""A service whose every text field is an XSS payload stays inert on every page."""

import csv
import datetime
import io
import shutil

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from directory import create_app
from directory.catalogue import closure_writes
from directory.catalogue.services import get_service
from directory.db import get_db
from directory.imports import engine as importer
from directory.search.hours import PARIS
from directory.web.context import prepare_import

pytestmark = pytest.mark.browser

SERVICE_ID = "xss-structure--piege"
NOM = "<script>window.__pwned=1</script>"
STRUCTURE_NOM = "</script><svg onload=window.__pwned=4>"
SITE_WEB = 'https://example.org/?a="><script>window.__pwned=5</script>'
PAYLOAD = {
    "id": SERVICE_ID,
    "statut": "actif",
    "nom": NOM,
    "description": (
        '"><img src=x onerror="window.__pwned=2"> ${window.__pwned=3} '
        "`${window.__pwned=3}` </script><script>window.__pwned=3</script> pwned"
    ),
    "structure_id": "xss-structure",
    "structure_nom": STRUCTURE_NOM,
    "besoins": "alimentation",
    "publics": "tous-publics",
    "frais": "payant",
    "frais_precisions": "`${window.__pwned=7}` <img src=x onerror=window.__pwned=7>",
    "modalites_acces": "acces-libre",
    "conditions_acces": "'\"><svg onload=window.__pwned=8> ${window.__pwned=8}",
    "justificatifs": "<img src=x onerror=window.__pwned=14> ; ${window.__pwned=14}",
    "modes_orientation_beneficiaire": "telephoner",
    "mobilisation_precisions": "</dd><script>window.__pwned=15</script> `${1}`",
    "modes_accueil": "en-presentiel",
    "langues": "fr",
    "adresse": "</script><img src=x onerror=window.__pwned=9> `rue` ${1}",
    "complement_adresse": "<iframe src=javascript:window.__pwned=10></iframe>",
    "code_postal": "15100",
    "commune": "Saint-Flour",
    "telephone": "04 71 60 00 00",
    "site_web": SITE_WEB,
    "lien_mobilisation": "https://example.org/rdv?b=</script><svg/onload=alert(11)>",
    "horaires": "Mo-Fr 09:00-12:00",
    "horaires_precisions": "<img src=x onerror=alert(12)> ${alert(12)} `x`",
    "zone_eligibilite": "15",
    "date_maj": "2026-01-15",
    "source": "</script><script>alert(13)</script>",
}
# Free-text fields the fiche shows as they are.
TEXT_FIELDS = (
    "nom",
    "description",
    "structure_nom",
    "frais_precisions",
    "conditions_acces",
    "mobilisation_precisions",
    "adresse",
    "complement_adresse",
    "horaires_precisions",
    "lien_mobilisation",
    "site_web",
    "source",
)
# A temporary closure's reason (issue 13), on the fiche's banner and the results.
MOTIF = "</p><img src=x onerror=window.__pwned=16> `${window.__pwned=16}`"
# Elements only a payload could have created (the pages have no inline handlers).
INJECTED = "img[src=x], svg[onload], [onerror], [onload], iframe"


def csv_bytes(**overrides):
    """One-row CSV with our column names (comma, UTF-8)."""
    row = {**PAYLOAD, **overrides}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row))
    writer.writeheader()
    writer.writerow(row)
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def xss_server(start_server, reference_db_path, tmp_path_factory):
    """A server on reference data plus the booby-trapped service only."""
    path = tmp_path_factory.mktemp("xss") / "xss.db"
    shutil.copy(reference_db_path, path)
    app = create_app({"TESTING": True, "DATABASE": str(path)})
    with app.app_context():
        db = get_db()
        refused = prepare_import(db, csv_bytes(site_web="javascript:alert(1)"), "x.csv")
        assert not refused.ok
        assert [i.column for i in refused.errors] == ["site_web"]
        report = prepare_import(db, csv_bytes(), "xss.csv")
        assert report.ok, [i.text for i in report.errors]
        importer.apply(db, report, user="test")
        today = datetime.datetime.now(PARIS).date()
        closure_writes.declare(
            db,
            get_service(db, SERVICE_ID),
            {
                "genre": "fermeture",
                "debut": today - datetime.timedelta(days=1),
                "fin": today + datetime.timedelta(days=7),
                "motif": MOTIF,
            },
            user="test",
            user_id=None,
            today=today,
        )
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return start_server(path)


PAGES = {
    "accueil": "/",
    "resultats": "/recherche?q=pwned",
    "resultats-lieu": "/recherche?commune=Saint-Flour&rayon=5",
    "fiche": f"/services/{SERVICE_ID}",
    "carte": "/carte",
    "carte-filtree": "/carte?commune=Saint-Flour",
}


@pytest.mark.parametrize("name", PAGES)
def test_payloads_stay_inert(page, watch, xss_server, name):
    response = page.goto(xss_server.url(PAGES[name]))
    assert response.status == 200
    if name.startswith("carte"):
        marker = page.locator(".carte .leaflet-marker-icon").first
        marker.wait_for()
        if name == "carte-filtree":  # one service: one marker; open its popup
            page.wait_for_load_state("load")
            popup = page.locator(".carte .leaflet-popup-content")
            # A click during the initial zoom animation can miss: retry it.
            for _ in range(3):
                marker.click()
                try:
                    popup.wait_for(timeout=2000)
                    break
                except PlaywrightTimeout:
                    continue
            expect(popup).to_contain_text(NOM)
    page.wait_for_load_state("load")

    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    assert not watch.dialogs
    injected = page.locator(INJECTED).evaluate_all(
        "els => els.map(e => e.outerHTML.slice(0, 120))"
    )
    assert injected == []
    if name != "accueil":
        expect(page.get_by_text(NOM).first).to_be_visible()
    if name.startswith("resultats"):
        expect(page.locator(".pastille-fermeture").first).to_contain_text(MOTIF)
    if name == "fiche":
        text = " ".join(page.locator("main").inner_text().split())
        shown = [c for c in TEXT_FIELDS if " ".join(PAYLOAD[c].split()) in text]
        assert shown == list(TEXT_FIELDS), "texte piégé non affiché tel quel"
        assert MOTIF in page.locator("#fermetures").inner_text()
        # What to bring: one list item per document, each shown as typed.
        items = page.locator("#a-apporter li").all_inner_texts()
        assert items == [x.strip() for x in PAYLOAD["justificatifs"].split(";")]
        links = page.locator("a[href]").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        assert not [h for h in links if h.strip().lower().startswith("javascript:")]
        # The website is a link whose href is the exact value, quotes and all.
        site = page.locator("main a", has_text="example.org/?a=")
        expect(site).to_have_count(1)
        assert site.get_attribute("href") == SITE_WEB
