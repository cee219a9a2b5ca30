/* Team-leader plan map: streets for context, the team's route, numbered stops. */
(function () {
  "use strict";
  // stop names come from OSM: they reach the page as text (textContent), never as HTML
  function text(tag, value, className) {
    const node = document.createElement(tag);
    node.textContent = String(value);
    if (className) node.className = className;
    return node;
  }
  const printButton = document.getElementById("print-btn");
  if (printButton) printButton.addEventListener("click", () => window.print());
  const el = document.getElementById("map");
  const still = el.dataset.static === "1";
  const map = L.map(el, { zoomControl: !still, attributionControl: false, zoomSnap: 0.25,
                          dragging: !still, scrollWheelZoom: !still });
  Promise.all([fetch(el.dataset.geojsonUrl).then((r) => r.json()),
               fetch(el.dataset.streetsUrl).then((r) => r.json())]).then(([plan, streets]) => {
    L.geoJSON(streets, { style: { color: "#b9b4a8", weight: 1 }, interactive: false }).addTo(map);
    const route = L.geoJSON(plan, {
      filter: (f) => f.properties.feature === "route" && f.geometry,
      style: { color: "#1f5fbf", weight: 4, opacity: 0.85 },
    }).addTo(map);
    const stops = L.geoJSON(plan, {
      filter: (f) => f.properties.feature === "stop",
      pointToLayer: (f, latlng) => L.marker(latlng, {
        icon: L.divIcon({ className: "", html: text("div", f.properties.seq, "stop-number"),
                          iconSize: [22, 22], iconAnchor: [11, 11] }),
      }).bindTooltip(text("span", f.properties.seq + ". " + f.properties.name + " " +
                                  f.properties.start + "–" + f.properties.leave)),
    }).addTo(map);
    const bounds = route.getBounds().extend(stops.getBounds());
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20] });
    else map.setView([0, 0], 2);
    el.dataset.ready = "1";
    window.geogridPatrol = { map };  // for people who script the page (and the browser tests)
  });
})();
