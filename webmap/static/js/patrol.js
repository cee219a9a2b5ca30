/* Team-leader plan map: streets for context, the team's route, numbered stops; after the
   patrol, the actual track over the plan with visited and missed stops, and the upload form. */
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
  let actual = null;  // the track layer, replaced after an upload

  function stopIcon(f, state) {
    const cls = "stop-number" + (state === true ? " stop-visited" : state === false ? " stop-missed" : "");
    return L.divIcon({ className: "", html: text("div", f.properties.seq, cls), iconSize: [22, 22], iconAnchor: [11, 11] });
  }

  function drawPlan(plan, visited) {
    const route = L.geoJSON(plan, {
      filter: (f) => f.properties.feature === "route" && f.geometry,
      style: { color: "#1f5fbf", weight: 4, opacity: 0.85 },
    }).addTo(map);
    const stops = L.geoJSON(plan, {
      filter: (f) => f.properties.feature === "stop",
      pointToLayer: (f, latlng) => {
        const state = visited ? visited.get(f.properties.stop_id) : undefined;
        const note = state === true ? " ✓" : state === false ? " ✗" : "";
        return L.marker(latlng, { icon: stopIcon(f, state) })
          .bindTooltip(text("span", f.properties.seq + ". " + f.properties.name + " " +
                                    f.properties.start + "–" + f.properties.leave + note));
      },
    }).addTo(map);
    return { route, stops };
  }

  function drawTrack(track) {
    if (actual) map.removeLayer(actual);
    actual = L.geoJSON(track, {
      filter: (f) => f.properties.feature === "track",
      style: { color: "#e67e22", weight: 3, opacity: 0.9, dashArray: "6 4" },
    }).addTo(map);
    const visited = new Map();
    track.features.filter((f) => f.properties.feature === "stop")
      .forEach((f) => visited.set(f.properties.stop_id, Boolean(f.properties.visited)));
    return visited;
  }

  function fetchTrack() {
    const url = el.dataset.trackUrl;
    if (!url) return Promise.resolve(null);
    return fetch(url, { credentials: "same-origin" }).then((r) => (r.ok ? r.json() : null));
  }

  let planLayers = null;
  let planData = null;
  function render(track) {
    const visited = track ? drawTrack(track) : null;
    if (planLayers) { map.removeLayer(planLayers.route); map.removeLayer(planLayers.stops); }
    planLayers = drawPlan(planData, visited);
    if (actual) actual.bringToFront();
    el.dataset.track = track ? "1" : "0";
    return planLayers;
  }

  Promise.all([fetch(el.dataset.geojsonUrl).then((r) => r.json()),
               fetch(el.dataset.streetsUrl).then((r) => r.json()),
               fetchTrack()]).then(([plan, streets, track]) => {
    L.geoJSON(streets, { style: { color: "#b9b4a8", weight: 1 }, interactive: false }).addTo(map);
    planData = plan;
    const layers = render(track);
    const bounds = layers.route.getBounds().extend(layers.stops.getBounds());
    if (actual && actual.getBounds().isValid()) bounds.extend(actual.getBounds());
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20] });
    else map.setView([0, 0], 2);
    el.dataset.ready = "1";
    window.geogridPatrol = { map };  // for people who script the page (and the browser tests)
  });

  const form = document.getElementById("track-form");
  if (form) {
    const result = document.getElementById("track-result");
    const token = document.querySelector('meta[name="csrf-token"]');
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      result.className = "";
      result.textContent = "上传中… uploading";
      fetch(form.dataset.url, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "X-CSRF-Token": token ? token.content : "", Accept: "application/json" },
      }).then((r) => r.json().then((body) => ({ ok: r.ok, body }))).then(({ ok, body }) => {
        if (!ok) {
          result.className = "error";
          result.textContent = (body.error && body.error.message) || "上传失败 upload failed";
          return;
        }
        result.className = "ok";
        result.textContent = "已记录 logged: " + body.done + "/" + body.planned + " 站点 stops · " +
          body.km.toFixed(2) + " km · " + body.hours.toFixed(2) + " h · " + body.volunteer_hours +
          " 志愿服务时长 volunteer-hours";
        return fetchTrack().then((track) => { render(track); el.dataset.uploaded = "1"; });
      }).catch(() => { result.className = "error"; result.textContent = "上传失败 upload failed"; });
    });
  }
})();
