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

  /* A disc with a count, in the colour of need `need` (markercluster's look). */
  function discIcon(payload, total, need, extraClass) {
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
      className: "marker-cluster marker-cluster-" + size + " groupe-besoin" +
        (extraClass ? " " + extraClass : ""),
      iconSize: new L.Point(40, 40)
    });
  }

  function clusterIcon(payload) {
    return function (cluster) {
      return discIcon(payload, cluster.getChildCount(), dominant(needCounts(cluster)));
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

  /* Clusters computed by the server (/carte): the first view comes inline in
     the payload, the next ones from payload.source (bbox and zoom added) after
     each move. A server cluster is a disc that zooms in on its services when
     clicked; lone services are markers, grouped here only when drawn on top of
     one another (spiderfied at the largest zoom). */
  function serverClusters(map, payload, settings) {
    var container = map.getContainer();
    var make = markerFactory(payload, map);
    settings.maxClusterRadius = 24;
    var points = L.markerClusterGroup(settings).addTo(map);
    var cells = L.layerGroup().addTo(map);
    var sequence = 0;
    var controller = null;
    var timer = null;

    function zoomInto(cell) {
      var bounds = L.latLngBounds([cell[4], cell[5]], [cell[6], cell[7]]);
      var zoom = Math.min(map.getBoundsZoom(bounds.pad(0.2)), map.getMaxZoom());
      if (zoom <= map.getZoom()) { zoom = Math.min(map.getZoom() + 2, map.getMaxZoom()); }
      map.setView(bounds.getCenter(), zoom);
    }

    /* Lone services already drawn stay (an open popup with them); only the
       ones that left the view or joined a cluster go. */
    var shown = {};
    function drawPoints(rows) {
      var next = {};
      var added = [];
      rows.forEach(function (row) {
        var key = String(row[2]);
        next[key] = shown[key] || make(row);
        if (!shown[key]) { added.push(next[key]); }
      });
      var gone = Object.keys(shown).filter(function (key) { return !next[key]; })
        .map(function (key) { return shown[key]; });
      points.removeLayers(gone);
      points.addLayers(added);
      shown = next;
    }

    function draw(data, zoom) {
      cells.clearLayers();
      drawPoints(data.services);
      var total = data.services.length;
      data.grappes.forEach(function (cell) {
        total += cell[2];
        var marker = L.marker([cell[0], cell[1]], {
          icon: discIcon(payload, cell[2], cell[3], "grappe-serveur"),
          title: cell[2] + " services ici : zoomer pour les voir",
          alt: cell[2] + " services",
          riseOnHover: true
        });
        marker.on("click", function () { zoomInto(cell); });
        // Focusable (Leaflet's keyboard option): Enter zooms in, as a click.
        marker.on("keypress", function (event) {
          if (event.originalEvent.keyCode === 13) { zoomInto(cell); }
        });
        marker.on("add", function () {
          var element = marker.getElement();
          if (element) { element.setAttribute("data-etendue", cell.slice(4, 8).join(",")); }
        });
        cells.addLayer(marker);
      });
      container.setAttribute("data-marqueurs", String(total));
      container.setAttribute("data-grappes", String(data.grappes.length));
      container.setAttribute("data-points", String(data.services.length));
      container.setAttribute("data-zoom-grappes", String(zoom));
    }

    function load() {
      var view = map.getBounds();
      var west = Math.max(-180, view.getWest());
      var east = Math.min(180, view.getEast());
      var south = Math.max(-90, view.getSouth());
      var north = Math.min(90, view.getNorth());
      if (!(west <= east && south <= north) || !window.fetch) { return; }
      var zoom = Math.round(map.getZoom());
      var url = new URL(payload.source, window.location.href);
      url.searchParams.set("bbox", [west, south, east, north].map(function (v) {
        return v.toFixed(6);
      }).join(","));
      url.searchParams.set("zoom", String(zoom));
      var mine = ++sequence;
      if (controller) { controller.abort(); }
      controller = window.AbortController ? new AbortController() : null;
      container.setAttribute("data-chargement", "en-cours");
      window.fetch(url.toString(), {
        credentials: "same-origin", signal: controller ? controller.signal : undefined
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (mine !== sequence) { return; }
          if (data) { draw(data, zoom); }
          container.setAttribute("data-chargement", "fini");
        })
        .catch(function () { /* aborted by a newer view, or offline */ });
    }

    draw(payload, payload.zoomVue);
    container.setAttribute("data-chargement", "fini");
    if (payload.vue) {
      var hidden = hiddenPart(map);
      map.fitBounds([[payload.vue[1], payload.vue[0]], [payload.vue[3], payload.vue[2]]], {
        maxZoom: payload.zoom,
        animate: false,
        paddingTopLeft: [32, 32 + hidden[0]],
        paddingBottomRight: [32, 32 + hidden[1]]
      });
      // The inline clusters were cut for a zoom guessed by the server.
      if (map.getZoom() !== payload.zoomVue) { load(); }
    }
    map.on("moveend", function () {
      container.setAttribute("data-chargement", "en-attente");
      window.clearTimeout(timer);
      timer = window.setTimeout(load, 120);
    });
    return points;
  }

  /* Everything a map shows besides the tiles; returns the cluster group. */
  function show(map, payload, options) {
    basemap(map, payload.fond);
    L.control.scale({ imperial: false, metric: true, position: "bottomleft" }).addTo(map);
    var settings = {};
    Object.keys(options || {}).forEach(function (key) { settings[key] = options[key]; });
    settings.iconCreateFunction = clusterIcon(payload);
    if (payload.source) { return serverClusters(map, payload, settings); }
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
