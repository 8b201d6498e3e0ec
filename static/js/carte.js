/* Annuaire des solidarités du Cantal: what the maps draw, for folium's map.
   The page gives one JSON payload (parsed, never evaluated); text from it only
   ever goes through textContent or `title`, never innerHTML. */
(function () {
  "use strict";

  var BASEMAP_ATTRIBUTION = "Limites : IGN, Licence Ouverte";
  var BASEMAP_STYLES = {
    communes: { color: "#6b7280", weight: 0.8, fill: false },
    contour: { color: "#1f2937", weight: 2.5, fill: false }
  };

  /* WCAG relative luminance of "#rrggbb". */
  function luminance(hex) {
    var channels = [1, 3, 5].map(function (i) {
      var c = parseInt(hex.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
  }

  /* White or near-black text, whichever contrasts more with the colour. */
  function textColour(hex) {
    var l = luminance(hex);
    return (1.05 / (l + 0.05)) >= ((l + 0.05) / 0.0615) ? "#ffffff" : "#111827";
  }

  /* How many markers of a cluster have each need first: {need index: n}.
     Memoised per cluster (markercluster 1.5.3 keeps a cluster's own markers in
     _markers and its sub-clusters in _childClusters): one pass over the tree
     instead of walking every child marker for every icon at every zoom. The
     markers never change once the map is drawn; the child count guards it. */
  function needCounts(cluster) {
    var memo = cluster._besoinsMemo;
    if (memo && memo.total === cluster.getChildCount()) { return memo.counts; }
    var counts = {};
    cluster._markers.forEach(function (marker) {
      var need = marker.options.besoin;
      counts[need] = (counts[need] || 0) + 1;
    });
    cluster._childClusters.forEach(function (child) {
      var sub = needCounts(child);
      Object.keys(sub).forEach(function (need) {
        counts[need] = (counts[need] || 0) + sub[need];
      });
    });
    cluster._besoinsMemo = { total: cluster.getChildCount(), counts: counts };
    return counts;
  }

  /* The dominant need: the index carried by most markers; a tie goes to the
     need listed first; -1 when none has a need. */
  function dominant(counts) {
    var best = -1;
    Object.keys(counts).forEach(function (key) {
      var need = Number(key);
      if (!(need >= 0)) { return; }
      if (best < 0 || counts[key] > counts[best] ||
          (counts[key] === counts[best] && need < best)) {
        best = need;
      }
    });
    return best;
  }

  function clusterIcon(payload) {
    return function (cluster) {
      var total = cluster.getChildCount();
      var need = dominant(needCounts(cluster));
      var colour = payload.couleurs[need] || payload.defaut;
      var size = total < 10 ? "small" : total < 100 ? "medium" : "large";
      var disc = document.createElement("div");
      disc.style.backgroundColor = colour;
      disc.style.color = textColour(colour);
      disc.setAttribute("data-besoin", need >= 0 ? payload.slugs[need] : "");
      var count = document.createElement("span");
      count.textContent = String(total);
      disc.appendChild(count);
      return L.divIcon({
        html: disc,
        className: "marker-cluster marker-cluster-" + size + " groupe-besoin",
        iconSize: new L.Point(40, 40)
      });
    };
  }

  /* Room the popup may take: the map's width less both pan paddings and the
     popup's own margins, so its right edge and its × stay in sight. */
  function popupWidth(map) {
    return Math.max(120, Math.min(280, map.getSize().x - 70));
  }

  function markerFactory(payload, map) {
    var popupOptions = { maxWidth: popupWidth(map), minWidth: 0, autoPanPadding: [12, 12] };
    // The map may have been resized (phone turned) since: width on opening.
    map.on("popupopen", function (event) {
      var width = popupWidth(map);
      if (event.popup.options.maxWidth !== width) {
        event.popup.options.maxWidth = width;
        event.popup.update();
      }
    });
    return function (row) {
      var colour = payload.couleurs[row[5]] || payload.defaut;
      var dot = document.createElement("span");
      dot.className = "marqueur-point";
      dot.style.backgroundColor = colour;
      var icon = L.divIcon({
        className: "marqueur", html: dot, iconSize: [22, 22], iconAnchor: [11, 11],
        popupAnchor: [0, -10]
      });
      var marker = L.marker([row[0], row[1]], {
        icon: icon, title: row[3], besoin: row[5], service: row[2]
      });
      marker.on("add", function () {
        var element = marker.getElement();
        if (element) { element.setAttribute("data-id", row[2]); }
      });
      marker.bindPopup(function () {
        var box = document.createElement("div");
        box.className = "popup-service";
        var name = document.createElement("p");
        name.className = "popup-nom";
        name.textContent = row[3];
        var place = document.createElement("p");
        place.textContent = row[4];
        var link = document.createElement("a");
        link.href = payload.fiche + encodeURIComponent(row[2]);
        link.textContent = "Voir la fiche";
        box.appendChild(name);
        box.appendChild(place);
        box.appendChild(link);
        return box;
      }, popupOptions);
      return marker;
    };
  }

  /* The commune boundaries under the tiles: a pane below the tile pane, so
     tiles cover it when they load and it shows wherever they do not. */
  function basemap(map, url) {
    if (!url || !window.fetch) { return; }
    var pane = map.createPane("fond");
    pane.style.zIndex = 150;
    pane.style.pointerEvents = "none";
    // Asked for once the markers are drawn: they come first on a slow phone.
    var request = new Promise(function (resolve) {
      window.requestAnimationFrame(function () { window.setTimeout(resolve, 0); });
    }).then(function () { return window.fetch(url, { credentials: "same-origin" }); });
    request
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        L.geoJSON(data, {
          pane: "fond",
          renderer: L.svg({ pane: "fond" }),
          interactive: false,
          attribution: BASEMAP_ATTRIBUTION,
          style: function (feature) {
            return BASEMAP_STYLES[feature.properties.role] || BASEMAP_STYLES.communes;
          }
        }).addTo(map);
        map.getContainer().setAttribute("data-fond", "communes");
      })
      .catch(function () { /* no base layer: the tiles (if any) remain */ });
  }

  /* Pixels of the map hidden above and below the window when the page opens:
     on a phone the full-screen map starts mid-screen, and markers centred in
     the whole map would sit on the bottom edge of what the person sees. When
     little of the map is visible (it comes after the list), frame it whole. */
  function hiddenPart(map) {
    var rect = map.getContainer().getBoundingClientRect();
    var viewport = window.innerHeight || document.documentElement.clientHeight;
    var above = Math.max(0, -rect.top);
    var below = Math.max(0, rect.bottom - viewport);
    return rect.height - above - below < 120 ? [0, 0] : [above, below];
  }

  /* Everything a map shows besides the tiles; returns the cluster group. */
  function show(map, payload, options) {
    basemap(map, payload.fond);
    L.control.scale({ imperial: false, metric: true, position: "bottomleft" }).addTo(map);
    var settings = {};
    Object.keys(options || {}).forEach(function (key) { settings[key] = options[key]; });
    settings.iconCreateFunction = clusterIcon(payload);
    var cluster = L.markerClusterGroup(settings);
    var make = markerFactory(payload, map);
    payload.services.forEach(function (row) { make(row).addTo(cluster); });
    cluster.addTo(map);
    // What the map really holds, for tests and assistive checks.
    map.getContainer().setAttribute("data-marqueurs", String(cluster.getLayers().length));
    if (payload.services.length) {
      var hidden = hiddenPart(map);
      map.fitBounds(cluster.getBounds(), {
        maxZoom: payload.zoom,
        paddingTopLeft: [32, 32 + hidden[0]],
        paddingBottomRight: [32, 32 + hidden[1]]
      });
    }
    return cluster;
  }

  window.annuaireCarte = { show: show, dominant: dominant, textColour: textColour };
})();
