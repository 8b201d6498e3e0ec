/* Annuaire des solidarités du Cantal: small progressive enhancements.
   Every page works without this file. Text from the server is only ever set
   with textContent (never innerHTML). */
(function () {
  "use strict";

  /* Commune autocomplete over /api/communes (ARIA 1.2 combobox pattern). */
  function autocomplete(input) {
    var list = document.createElement("ul");
    var listId = input.id + "-suggestions";
    var timer = null;
    var active = -1;
    var items = [];
    var lastQuery = "";
    list.id = listId;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Communes suggérées");
    list.hidden = true;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.parentNode.appendChild(list);

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      items.forEach(function (item, i) {
        item.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(item) {
      input.value = item.getAttribute("data-valeur");
      close();
    }

    function show(communes) {
      list.textContent = "";
      items = communes.map(function (commune, i) {
        var item = document.createElement("li");
        item.id = listId + "-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.textContent = commune.libelle;
        // Name + first postcode: unambiguous for the search (homonyms exist).
        item.setAttribute("data-valeur", commune.nom + " " + (commune.codes_postaux[0] || ""));
        item.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(item);
        });
        list.appendChild(item);
        return item;
      });
      active = -1;
      list.hidden = items.length === 0;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
    }

    function fetchCommunes() {
      var query = input.value.trim();
      if (query === lastQuery) { return; }
      lastQuery = query;
      if (query.length < 2) { close(); return; }
      var url = input.getAttribute("data-autocomplete") + "?limite=8&q=" + encodeURIComponent(query);
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (communes) {
          if (input.value.trim() === query) { show(Array.isArray(communes) ? communes : []); }
        })
        .catch(close);
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(fetchCommunes, 200);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight(Math.min(active + 1, items.length - 1));
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        choose(items[active]);
      } else if (event.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  /* "Copier le lien" and "Imprimer" on the fiche. */
  function shareButtons() {
    var status = document.querySelector("[data-copier-statut]");
    document.querySelectorAll("[data-copier]").forEach(function (button) {
      if (!navigator.clipboard) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(button.getAttribute("data-copier")).then(
          function () { if (status) { status.textContent = "Lien copié dans le presse-papiers."; } },
          function () { if (status) { status.textContent = "Impossible de copier le lien : copiez l'adresse ci-dessus."; } }
        );
      });
    });
    document.querySelectorAll("[data-imprimer]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  /* "Autour de moi": the same page, filters kept, around the device's position. */
  function aroundMe() {
    var button = document.querySelector("[data-autour-de-moi]");
    if (!button || !navigator.geolocation) { return; }
    var status = document.querySelector("[data-autour-de-moi-statut]");
    var form = button.form || button.closest("form");
    button.hidden = false;
    button.addEventListener("click", function () {
      if (status) { status.textContent = "Recherche de votre position…"; }
      navigator.geolocation.getCurrentPosition(
        function (position) {
          var params = new URLSearchParams(form ? new FormData(form) : undefined);
          ["commune", "lat", "lon", "page"].forEach(function (name) { params.delete(name); });
          params.set("lat", position.coords.latitude.toFixed(4));
          params.set("lon", position.coords.longitude.toFixed(4));
          if (!params.get("rayon")) { params.set("rayon", "20"); }
          Array.from(params.keys()).forEach(function (name) {
            if (params.get(name) === "") { params.delete(name); }
          });
          window.location.assign((form ? form.getAttribute("action") : "") + "?" + params.toString());
        },
        function () {
          if (status) { status.textContent = "Position indisponible : indiquez plutôt une commune."; }
        },
        { enableHighAccuracy: false, timeout: 10000, maximumAge: 300000 }
      );
    });
  }

  function start() {
    document.querySelectorAll("input[data-autocomplete]").forEach(autocomplete);
    shareButtons();
    aroundMe();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
