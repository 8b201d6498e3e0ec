/* « Ma sélection »: service ids kept in this browser (localStorage), never on
   the server. The « Ajouter à ma sélection » buttons of results and fiches,
   the count in the header, and on /selection: opening the stored selection,
   saving one received by link, « Copier le lien ». The page itself is built by
   the server from the ids in its URL. Text is only set with textContent. */
(function () {
  "use strict";

  var KEY = "ma-selection";
  var NOTICE = "ma-selection-annonce"; // what to say after a reload
  var MAX = 20;
  var ID = /^[a-z0-9][a-z0-9-]{0,99}$/;
  var store = null;
  var region = null;

  function openStorage() {
    try {
      var storage = window.localStorage;
      storage.getItem(KEY);
      return storage;
    } catch (e) {
      return null; // disabled, or a private mode that refuses it
    }
  }

  function clean(list) {
    var out = [];
    (Array.isArray(list) ? list : []).forEach(function (id) {
      if (typeof id === "string" && ID.test(id) && out.indexOf(id) < 0 && out.length < MAX) {
        out.push(id);
      }
    });
    return out;
  }

  function read() {
    try {
      return clean(JSON.parse(store.getItem(KEY) || "[]"));
    } catch (e) {
      return [];
    }
  }

  function write(ids) {
    try {
      store.setItem(KEY, JSON.stringify(clean(ids)));
      return true;
    } catch (e) {
      return false;
    }
  }

  function sameSet(a, b) {
    return a.length === b.length && a.every(function (id) { return b.indexOf(id) >= 0; });
  }

  function plural(n) {
    return n + " service" + (n > 1 ? "s" : "");
  }

  /* The polite live region, in the page before anything is said in it. */
  function liveRegion() {
    if (!region) {
      region = document.createElement("p");
      region.className = "visuellement-cache";
      region.setAttribute("role", "status");
      region.setAttribute("aria-live", "polite");
      region.setAttribute("data-selection-annonce", "");
      document.body.appendChild(region);
    }
    return region;
  }

  function announce(message) {
    liveRegion().textContent = "";
    window.setTimeout(function () { region.textContent = message; }, 50);
  }

  /* /selection?ids=a,b (and the commune the page is ordered from, if any). */
  function pageUrl(ids) {
    var header = document.querySelector("[data-selection-lien-entete]");
    var base = header ? header.getAttribute("data-base") || header.pathname : "/selection";
    var url = base + "?ids=" + ids.join(",");
    var commune = new URLSearchParams(window.location.search).get("commune");
    return commune && page() ? url + "&commune=" + encodeURIComponent(commune) : url;
  }

  function page() {
    return document.querySelector("[data-selection-page]");
  }

  function showCount(ids) {
    document.querySelectorAll("[data-selection-compte]").forEach(function (span) {
      span.textContent = " (" + ids.length + ")";
    });
    var header = document.querySelector("[data-selection-lien-entete]");
    if (header) {
      if (!header.hasAttribute("data-base")) { header.setAttribute("data-base", header.pathname); }
      header.setAttribute("href", ids.length ? pageUrl(ids) : header.getAttribute("data-base"));
    }
  }

  function showButtons(ids) {
    document.querySelectorAll("button[data-selection]").forEach(function (button) {
      var chosen = ids.indexOf(button.getAttribute("data-selection")) >= 0;
      button.hidden = false;
      button.setAttribute("aria-pressed", chosen ? "true" : "false");
      button.querySelector("[data-selection-libelle]").textContent =
        chosen ? "Retirer de ma sélection" : "Ajouter à ma sélection";
    });
  }

  function refresh() {
    var ids = read();
    showCount(ids);
    showButtons(ids);
    return ids;
  }

  /* On /selection: does the page show the stored selection? */
  function showsMine() {
    var el = page();
    return !!el && sameSet(shownIds(el), read());
  }

  function shownIds(el) {
    return (el.getAttribute("data-ids") || "").split(",").filter(Boolean);
  }

  function toggle(button) {
    var id = button.getAttribute("data-selection");
    var name = button.getAttribute("data-nom") || id;
    var wasMine = showsMine();
    var ids = read();
    var message;
    if (ids.indexOf(id) >= 0) {
      ids = ids.filter(function (other) { return other !== id; });
      message = "« " + name + " » retiré de votre sélection (" + plural(ids.length) + ").";
    } else if (ids.length >= MAX) {
      announce("Votre sélection compte déjà " + MAX + " services : retirez-en un avant d'en ajouter un autre.");
      return;
    } else {
      ids.push(id);
      message = "« " + name + " » ajouté à votre sélection (" + plural(ids.length) + ").";
    }
    if (!write(ids)) {
      announce("Impossible d'enregistrer la sélection dans ce navigateur.");
      return;
    }
    refresh();
    if (wasMine) { // the page shows my selection: show it again, changed
      reloadWith(ids, message);
      return;
    }
    announce(message);
    if (page()) { offerSave(page()); }
  }

  function reloadWith(ids, message) {
    try { window.sessionStorage.setItem(NOTICE, message); } catch (e) { /* said anyway below */ }
    announce(message);
    window.location.replace(pageUrl(ids));
  }

  /* A selection received by link: save it, or offer to (never erase silently). */
  function offerSave(el) {
    var banner = el.querySelector("[data-selection-enregistrer]");
    var shown = shownIds(el);
    var stored = read();
    if (!banner) { return; }
    if (!shown.length || sameSet(shown, stored)) {
      banner.hidden = true;
      return;
    }
    banner.querySelector("[data-selection-enregistrer-texte]").textContent =
      "Cette sélection vient d'un lien. Votre propre sélection (" + plural(stored.length) +
      ") est différente : l'enregistrer la remplacera dans ce navigateur.";
    banner.querySelector("[data-selection-mienne]").setAttribute("href", pageUrl(stored));
    banner.hidden = false;
  }

  function selectionPage(el) {
    var stored = read();
    var shown = shownIds(el);
    if (!el.hasAttribute("data-given")) { // /selection alone: open the stored one
      if (stored.length) { window.location.replace(pageUrl(stored)); }
      return;
    }
    if (!stored.length && shown.length && write(shown)) {
      refresh();
      announce("Cette sélection est enregistrée dans ce navigateur.");
    }
    var saveButton = el.querySelector("[data-selection-enregistrer-bouton]");
    if (saveButton) {
      saveButton.addEventListener("click", function () {
        if (write(shown)) {
          refresh();
          offerSave(el);
          announce("Sélection enregistrée dans ce navigateur (" + plural(shown.length) + ").");
          document.getElementById("titre-selection").focus();
        }
      });
    }
    offerSave(el);
    var notice = null;
    try {
      notice = window.sessionStorage.getItem(NOTICE);
      window.sessionStorage.removeItem(NOTICE);
    } catch (e) { /* nothing to say */ }
    if (notice) {
      document.getElementById("titre-selection").focus();
      announce(notice);
    }
  }

  /* « Copier le lien »: the clipboard, else the link selected in its field. */
  function copyButton() {
    var button = document.querySelector("[data-selection-copier]");
    var field = document.querySelector("[data-selection-lien]");
    var status = document.querySelector("[data-selection-copier-statut]");
    if (!button || !field) { return; }
    button.hidden = false;

    function say(message) { if (status) { status.textContent = message; } }

    function fallback() {
      field.focus();
      field.select();
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
      say(copied ? "Lien copié dans le presse-papiers."
        : "Le lien est sélectionné : copiez-le (Ctrl+C, ou appui long sur un téléphone).");
    }

    button.addEventListener("click", function () {
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(field.value).then(
          function () { say("Lien copié dans le presse-papiers."); },
          fallback
        );
      } else {
        fallback();
      }
    });
  }

  function start() {
    store = openStorage();
    copyButton();
    if (!store) { return; } // the buttons stay hidden: the page links still work
    liveRegion();
    refresh();
    document.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("button[data-selection]");
      if (button) { toggle(button); }
    });
    window.addEventListener("storage", function (event) {
      if (event.key === KEY) {
        refresh();
        if (page()) { offerSave(page()); }
      }
    });
    if (page()) { selectionPage(page()); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
