"""« Ma sélection » in a real browser (issue 13, acceptance 1, 4, 5): four
services picked from results and fiches survive a reload, print on one A4
page, go out by SMS, e-mail and link; the same on a phone and with the
keyboard only; hostile text stays inert on the page and in the PDF."""

import io
import re
import shutil
import unicodedata
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from directory import create_app
from directory.db import connect, get_db
from directory.imports import engine as importer
from directory.web.context import prepare_import
from directory.web.present import phone
from directory.web.selection_text import (
    SMS_MAX,
    SMS_NAME_MAX,
    gsm_length,
    gsm_text,
    shorten,
)

from .test_accessibility import MOBILE, OVERFLOW
from .test_journeys import assert_focus_visible
from .test_xss import INJECTED, NOM, PAYLOAD, SERVICE_ID, csv_bytes

pytestmark = pytest.mark.browser

RESULTS = "/recherche?q=aide+alimentaire&commune=Saint-Flour&rayon=20"
# Two fiches with the longest week of hours of the seed: the worst case on paper.
FICHES = ("france-services-allanche--accueil", "france-services-ydes--accueil")
BRING = "Pièce d'identité ; justificatif de domicile ; dernier avis d'imposition"
HOW = "Appelez pour prendre rendez-vous, ou venez aux heures d'accueil."
HOSTILE_BRING = "<img src=x onerror=window.__pwned=20> ${window.__pwned=21} `x`"
HOSTILE_HOW = "</script><svg onload=window.__pwned=22> <b>gras</b>"
HEADER_LINK = "[data-selection-lien-entete]"
CARDS = ".selection-service"
SAID = "[data-selection-annonce]"


@pytest.fixture(scope="module")
def server(start_server, seeded_db_path, tmp_path_factory):
    """The seed plus the booby-trapped service; every service says what to
    bring and how to apply (the hostile one with payloads there too)."""
    path = tmp_path_factory.mktemp("selection") / "selection.db"
    shutil.copy(seeded_db_path, path)
    app = create_app({"TESTING": True, "DATABASE": str(path)})
    with app.app_context():
        db = get_db()
        report = prepare_import(db, csv_bytes(), "xss.csv")
        assert report.ok, [i.text for i in report.errors]
        importer.apply(db, report, user="test")
        db.execute(
            "update services set justificatifs = ?, mobilisation_precisions = ?",
            [BRING, HOW],
        )
        db.execute(
            "update services set justificatifs = ?, mobilisation_precisions = ?"
            " where id = ?",
            [HOSTILE_BRING, HOSTILE_HOW, SERVICE_ID],
        )
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return start_server(path)


@pytest.fixture(scope="module")
def services(server):
    """{id: row} of the live database."""
    db = connect(server.app.config["DATABASE"])
    try:
        return {row["id"]: row for row in db.query("select * from services")}
    finally:
        db.close()


def tab_to(page, selector, key="Tab", limit=80):
    """Press Tab (or Shift+Tab) until the focused element matches `selector`."""
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate(
            "s => !!document.activeElement && document.activeElement.matches(s)",
            selector,
        ):
            return
    pytest.fail(f"{selector} jamais atteint au clavier ({key} × {limit})")


def squash(text):
    """Text without any whitespace: PDF lines wrap anywhere in a long URL."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def pdf_of(page):
    """(number of pages, text) of the page printed by Chromium on A4."""
    page.emulate_media(media="print")
    reader = PdfReader(io.BytesIO(page.pdf(format="A4")))
    page.emulate_media(media="screen")
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


def body_of(href):
    """{parameter: value} of an sms: or mailto: link, decoded."""
    return {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}


def fenced(context, watch):
    """A new browser context, fenced to localhost like the `page` fixture."""
    context.route("**/*", watch.route)
    page = context.new_page()
    page.on("pageerror", lambda exc: watch.errors.append(str(exc)))
    page.on("console", watch.console)
    page.on("dialog", watch.dialog)
    page.set_default_timeout(10_000)
    return page


def selected(page):
    """Ids stored in the browser."""
    return page.evaluate("() => JSON.parse(localStorage.getItem('ma-selection'))")


def add(page, button):
    expect(button).to_have_attribute("aria-pressed", "false")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button).to_contain_text("Retirer de ma sélection")


def build_four(page, server):
    """Two results of a search and two fiches → the stored ids."""
    page.goto(server.url(RESULTS))
    buttons = page.locator("li.resultat button[data-selection]")
    for n in range(2):
        add(page, buttons.nth(n))
    expect(page.locator(SAID)).to_contain_text("ajouté à votre sélection (2 services)")
    for service_id in FICHES:
        page.goto(server.url(f"/services/{service_id}"))
        add(page, page.locator(f"button[data-selection='{service_id}']"))
    ids = selected(page)
    assert len(ids) == 4 and ids[2:] == list(FICHES)
    return ids


def check_page(page, ids, services):
    """The selection page shows these services, in this order."""
    expect(page.locator(CARDS)).to_have_count(len(ids))
    names = page.locator(".selection-nom").all_inner_texts()
    assert names == [services[i]["nom"] for i in ids]


def check_links(page, ids, services, link):
    """SMS and e-mail bodies: names, phones, addresses, fiches, the link."""
    sms = body_of(page.locator("#envoyer-sms").get_attribute("href"))["body"]
    assert gsm_length(sms) <= SMS_MAX
    assert sms.splitlines()[-1].endswith("/selection?ids=" + ",".join(ids))
    for service_id in ids:
        row = services[service_id]
        assert gsm_text(shorten(row["nom"], SMS_NAME_MAX)) in sms
        if row["telephone"]:
            assert phone(row["telephone"]) in sms
    mail = body_of(page.locator("#envoyer-courriel").get_attribute("href"))
    assert mail["subject"].startswith("Services conseillés")
    for service_id in ids:
        row = services[service_id]
        assert row["nom"] in mail["body"]
        assert f"/services/{service_id}\r\n" in mail["body"]
        assert row["commune"] in mail["body"]
        if row["telephone"]:
            assert f"Téléphone : {phone(row['telephone'])}" in mail["body"]
    assert mail["body"].endswith(f"Retrouver cette sélection : {link}")
    assert "Horaires :\r\n  " in mail["body"]


def check_print(page, ids, services):
    """One A4 page holding every name, phone, fiche URL and the print date."""
    pages, text = pdf_of(page)
    assert pages == 1, f"{pages} pages"
    flat = squash(text)
    for service_id in ids:
        row = services[service_id]
        assert squash(row["nom"]) in flat
        if row["telephone"]:
            assert squash(phone(row["telephone"])) in flat
        assert (
            squash(page.url.split("/selection")[0] + f"/services/{service_id}") in flat
        )
    assert squash("Imprimé le") in flat
    # « À apporter » (a list of items, or one text) and « Comment faire… »
    assert all(squash(item) in flat for item in BRING.split(" ; "))
    assert squash(HOW) in flat
    assert "Donner cette sélection" not in text and "Ajouter à ma" not in text
    assert squash(page.locator("#lien-selection").input_value()) in flat


@pytest.mark.parametrize("viewport", ["1280", "375"])
def test_build_reload_print_send_and_share(
    page, watch, browser, server, services, axe, viewport
):
    if viewport == "375":
        page.set_viewport_size(MOBILE)
    ids = build_four(page, server)
    page.reload()
    expect(page.locator(HEADER_LINK)).to_have_text("Ma sélection (4)")
    expect(page.locator(f"button[data-selection='{FICHES[1]}']")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.locator(HEADER_LINK).click()
    page.wait_for_url(re.compile(r"/selection\?ids="))
    check_page(page, ids, services)
    expect(page.locator("[data-selection-enregistrer]")).to_be_hidden()
    widths = page.evaluate(OVERFLOW)
    assert widths["scroll"] <= widths["inner"], widths
    axe(page)

    link = page.locator("#lien-selection").input_value()
    assert link == server.url("/selection?ids=" + ",".join(ids))
    check_links(page, ids, services, link)
    check_print(page, ids, services)

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copier le lien").click()
    expect(page.locator("[data-selection-copier-statut]")).to_have_text(
        "Lien copié dans le presse-papiers."
    )
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == link

    context = browser.new_context(viewport=page.viewport_size)
    try:
        other = fenced(context, watch)
        other.goto(copied)
        check_page(other, ids, services)
        # Nothing stored there yet: the received selection is kept at once.
        expect(other.locator(HEADER_LINK)).to_have_text("Ma sélection (4)")
        assert selected(other) == ids
    finally:
        context.close()


def test_keyboard_only(page, server, services):
    page.goto(server.url(RESULTS))
    tab_to(page, "li.resultat button[data-selection]")
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    tab_to(page, "li.resultat button[data-selection][aria-pressed=false]")
    page.keyboard.press("Space")
    expect(page.locator(SAID)).to_contain_text("(2 services)")
    tab_to(page, "li.resultat:nth-child(3) a[href*='/services/']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/services/"))
    tab_to(page, "button[data-selection]")
    assert_focus_visible(page)
    page.keyboard.press("Space")
    expect(page.locator(HEADER_LINK)).to_have_text("Ma sélection (3)")
    tab_to(page, HEADER_LINK, key="Shift+Tab")
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/selection\?ids="))
    ids = selected(page)
    check_page(page, ids, services)

    # Removing one shows the selection again, focus on its title, and says so.
    tab_to(page, f"button[data-selection='{ids[0]}']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"ids=" + ",".join(ids[1:]) + "$"))
    check_page(page, ids[1:], services)
    expect(page.locator("#titre-selection")).to_be_focused()
    expect(page.locator(SAID)).to_contain_text("retiré de votre sélection (2 services)")
    for target in ("#envoyer-sms", "#envoyer-courriel", "[data-selection-copier]"):
        tab_to(page, target)
        assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("[data-selection-copier-statut]")).not_to_be_empty()


def test_a_received_link_never_erases_my_selection(page, server, services):
    mine, theirs = list(FICHES), ["france-services-murat--accueil"]
    page.goto(server.url("/selection?ids=" + ",".join(mine)))
    assert selected(page) == mine
    page.goto(server.url("/selection?ids=" + ",".join(theirs)))
    banner = page.locator("[data-selection-enregistrer]")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Votre propre sélection (2 services)")
    assert selected(page) == mine
    page.locator("[data-selection-mienne]").click()
    page.wait_for_url(re.compile(r"ids=" + ",".join(mine) + "$"))
    page.go_back()
    page.get_by_role("button", name="Enregistrer cette sélection").click()
    expect(banner).to_be_hidden()
    assert selected(page) == theirs
    # /selection alone opens the stored selection.
    page.goto(server.url("/selection"))
    page.wait_for_url(re.compile(r"ids=" + theirs[0] + "$"))
    check_page(page, theirs, services)


def test_without_javascript(browser, watch, server, services):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = fenced(context, watch)
        page.goto(server.url(f"/services/{FICHES[0]}"))
        page.emulate_media(media="print")
        expect(page.locator(".carte")).to_be_hidden()
        page.emulate_media(media="screen")
        _, text = pdf_of(page)
        assert squash(server.url(f"/services/{FICHES[0]}")) in squash(text)
        assert squash("Imprimé le") in squash(text)
        assert squash(services[FICHES[0]]["nom"]) in squash(text)

        ids = [*FICHES, "france-services-murat--accueil", "service-disparu"]
        page.goto(server.url("/selection?ids=" + ",".join(ids)))
        check_page(page, ids[:3], services)
        expect(page.locator(".selection-disparus")).to_contain_text("n'existe plus")
        assert page.locator("#envoyer-sms").get_attribute("href").startswith("sms:")
        check_links(
            page, ids[:3], services, page.locator("#lien-selection").input_value()
        )
        check_print(page, ids[:3], services)
    finally:
        context.close()
    assert not (watch.blocked or watch.errors or watch.csp or watch.dialogs)


def test_hostile_text_is_inert_on_the_page_and_on_paper(
    page, watch, server, services, axe
):
    ids = [SERVICE_ID, *FICHES, "france-services-murat--accueil"]
    page.goto(server.url("/selection?ids=" + ",".join(ids)))
    check_page(page, ids, services)
    page.locator(f"button[data-selection='{SERVICE_ID}']").click()  # remove it
    page.wait_for_url(re.compile(r"ids=" + ",".join(ids[1:]) + "$"))
    expect(page.locator(SAID)).to_contain_text(f"« {NOM} » retiré")
    page.goto(server.url("/selection?ids=" + ",".join(ids)))  # by its link again
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    assert page.locator(INJECTED).count() == 0
    card = page.locator(CARDS).first
    for text in (NOM, PAYLOAD["structure_nom"], HOSTILE_BRING, HOSTILE_HOW):
        expect(card).to_contain_text(text)
    links = page.locator("a[href]").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert not [h for h in links if h.strip().lower().startswith("javascript:")]
    mail = body_of(page.locator("#envoyer-courriel").get_attribute("href"))
    assert f"1. {NOM}\r\n" in mail["body"]
    assert f"À apporter : {HOSTILE_BRING}" in mail["body"]
    assert set(mail) == {"subject", "body"}
    sms = body_of(page.locator("#envoyer-sms").get_attribute("href"))
    assert set(sms) == {"body"} and sms["body"].startswith("Services conseillés")
    pages, text = pdf_of(page)
    assert pages == 1
    for hostile in (NOM, HOSTILE_BRING, HOSTILE_HOW):
        assert squash(hostile) in squash(text)
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    axe(page)
    page.set_viewport_size(MOBILE)
    axe(page)
