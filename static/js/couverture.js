/* Annuaire des solidarités du Cantal: the map of « Où l'aide manque ».
   The page gives one JSON payload (parsed, never evaluated): the URL of the
   commune polygons, each commune's distance class and texts, the need's
   services. Text from it only goes through textContent or `title`. */
(function () {
  "use strict";

  var ATTRIBUTION = "Limites : IGN, Licence Ouverte";
  var EDGE = { color: "#1f2937", weight: 0.6, opacity: 1, fillOpacity: 1 };
  var OUTLINE = { color: "#111827", weight: 2.5, fill: false };
  var UNKNOWN = "inconnue";

  function line(tag, text, className) {
    var element = document.createElement(tag);
    element.textContent = text;
    if (className) { element.className = className; }
    return element;
  }

  /* What a commune's tooltip says: its name, the distance, the service. */
  function communeBox(texts) {
    var box = document.createElement("div");
    box.className = "infobulle-commune";
    box.appendChild(line("p", texts[1], "infobulle-nom"));
    box.appendChild(line("p", texts[2]));
    if (texts[3]) { box.appendChild(line("p", texts[3])); }
    return box;
  }

  function servicePopup(payload, row) {
    var box = document.createElement("div");
    box.className = "popup-service";
    box.appendChild(line("p", row[3], "popup-nom"));
    box.appendChild(line("p", row[4]));
    var link = line("a", "Voir la fiche");
    link.href = payload.fiche + encodeURIComponent(row[2]);
    box.appendChild(link);
    return box;
  }

  function points(map, payload) {
    var group = L.featureGroup();
    payload.services.forEach(function (row) {
      var dot = document.createElement("span");
      dot.className = "marqueur-point";
      dot.style.backgroundColor = payload.couleurPoint;
      var marker = L.marker([row[0], row[1]], {
        icon: L.divIcon({
          className: "marqueur marqueur-couverture", html: dot,
          iconSize: [16, 16], iconAnchor: [8, 8], popupAnchor: [0, -8]
        }),
        title: row[3],
        alt: row[3]
      });
      marker.bindPopup(function () { return servicePopup(payload, row); });
      marker.on("add", function () {
        var element = marker.getElement();
        if (element) { element.setAttribute("data-id", row[2]); }
      });
      group.addLayer(marker);
    });
    group.addTo(map);
    map.getContainer().setAttribute("data-points", String(payload.services.length));
    return group;
  }

  function fetchJson(url) {
    if (!url || !window.fetch) { return Promise.resolve(null); }
    return window.fetch(url, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .catch(function () { return null; });
  }

  /* The territory's outline over the communes (the base layer's "contour"). */
  function outline(map, url) {
    return fetchJson(url).then(function (data) {
      if (!data) { return; }
      L.geoJSON(data, {
        interactive: false,
        filter: function (feature) { return feature.properties.role === "contour"; },
        style: function () { return OUTLINE; }
      }).addTo(map);
    });
  }

  function communes(map, payload, data) {
    var container = map.getContainer();
    var layer = L.geoJSON(data, {
      attribution: ATTRIBUTION,
      style: function (feature) {
        var texts = payload.classes[feature.properties.code];
        var key = texts ? texts[0] : UNKNOWN;
        var style = { fillColor: payload.couleurs[key] || "#ffffff" };
        Object.keys(EDGE).forEach(function (name) { style[name] = EDGE[name]; });
        return style;
      },
      onEachFeature: function (feature, polygon) {
        var texts = payload.classes[feature.properties.code];
        if (texts) {
          polygon.bindTooltip(function () { return communeBox(texts); }, { sticky: true });
        }
      }
    }).addTo(map);
    var count = 0;
    layer.eachLayer(function (polygon) {
      var element = polygon.getElement();
      var code = polygon.feature.properties.code;
      var texts = payload.classes[code];
      if (!element) { return; }
      count += 1;
      element.setAttribute("data-insee", code);
      element.setAttribute("data-classe", texts ? texts[0] : UNKNOWN);
    });
    map.fitBounds(layer.getBounds(), { padding: [8, 8], animate: false });
    container.setAttribute("data-polygones", String(count));
    return layer;
  }

  /* Everything the map shows; the polygons come from their versioned URL. */
  function show(map, payload) {
    var container = map.getContainer();
    L.control.scale({ imperial: false, metric: true, position: "bottomleft" }).addTo(map);
    var services = points(map, payload);
    if (payload.services.length) {
      map.fitBounds(services.getBounds(), { padding: [24, 24], animate: false });
    }
    container.setAttribute("data-chargement", "en-cours");
    fetchJson(payload.communes)
      .then(function (data) {
        if (data) { communes(map, payload, data); }
        return outline(map, payload.fond);
      })
      .then(function () { container.setAttribute("data-chargement", "fini"); });
    return services;
  }

  window.annuaireCouverture = { show: show };
})();
