/* Planner grid editor: units coloured by grid, click or draw to select, save moves with If-Match. */
(function () {
  "use strict";
  const { call, pollJob, errorText } = window.geogridStaff;
  const el = document.getElementById("map");
  const urls = el.dataset;
  const map = L.map(el, { zoomControl: true, preferCanvas: false });
  const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                   "#7f7f7f", "#bcbd22", "#17becf", "#3b5b92", "#b5651d", "#4daf4a", "#984ea3"];
  let state = null, etag = null, fitted = false;
  const selected = new Set();
  // a rebalance preview (nothing saved): its job id, the version it was computed from, moved units
  let preview = null;
  const moving = new Map();
  const unitLayers = {};
  const unitsLayer = L.featureGroup().addTo(map);
  const gridsLayer = L.featureGroup().addTo(map);
  const problemsLayer = L.featureGroup().addTo(map);
  const drawn = new L.FeatureGroup().addTo(map);
  const $ = (id) => document.getElementById(id);
  // text from the data (codes, names, problems) reaches the page as text, never as HTML
  function text(value) {
    const span = document.createElement("span");
    span.textContent = String(value);
    return span;
  }
  function cell(...parts) {
    const td = document.createElement("td");
    td.append(...parts.map((part) => (part instanceof Node ? part : String(part))));
    return td;
  }

  // neighbouring grids (boxes that touch) get different colours; a grid keeps its colour when it can
  const colourOf = {};
  function assignColours(grids) {
    const items = grids.features.map((f) => ({ code: f.properties.code, box: L.geoJSON(f).getBounds().pad(0.01) }));
    const done = [];
    for (const item of items) {
      const used = new Set(done.filter((d) => d.box.intersects(item.box)).map((d) => colourOf[d.code]));
      if (!(item.code in colourOf) || used.has(colourOf[item.code])) {
        colourOf[item.code] = PALETTE.find((c) => !used.has(c)) || PALETTE[done.length % PALETTE.length];
      }
      done.push(item);
    }
  }
  function colour(code) { return colourOf[code] || "#999"; }

  function unitStyle(f) {
    const sel = selected.has(f.properties.unit_id);
    if (moving.has(f.properties.unit_id)) {
      return { color: "#e31a1c", weight: 4, dashArray: null, fillColor: colour(moving.get(f.properties.unit_id)),
               fillOpacity: 0.85, className: "unit unit-moved unit-" + f.properties.unit_id };
    }
    return { color: sel ? "#000" : "#666", weight: sel ? 3 : 0.6, dashArray: sel ? "4 2" : null,
             fillColor: colour(f.properties.grid), fillOpacity: sel ? 0.75 : 0.45,
             className: "unit unit-" + f.properties.unit_id };
  }

  function toggle(id) {
    if (selected.has(id)) selected.delete(id); else selected.add(id);
    refreshSelection();
  }

  // Leaflet sets a path's className only when it is made: the "moved" mark is toggled here
  function restyle() {
    for (const [id, layer] of Object.entries(unitLayers)) {
      layer.setStyle(unitStyle(layer.feature));
      const path = layer.getElement && layer.getElement();
      if (path) path.classList.toggle("unit-moved", moving.has(id));
    }
  }

  function refreshSelection() {
    restyle();
    $("selected-count").textContent = selected.size;
    let hh = 0;
    for (const id of selected) hh += Number(unitLayers[id].feature.properties.households || 0);
    $("selected-hh").textContent = selected.size ? "(" + hh + " 户 households)" : "";
  }

  function draw() {
    unitsLayer.clearLayers(); gridsLayer.clearLayers(); problemsLayer.clearLayers();
    for (const k of Object.keys(unitLayers)) delete unitLayers[k];
    assignColours(state.grids);
    for (const id of [...selected]) {
      if (!state.units.features.some((f) => f.properties.unit_id === id)) selected.delete(id);
    }
    L.geoJSON(state.units, {
      style: unitStyle,
      onEachFeature: (f, layer) => {
        unitLayers[f.properties.unit_id] = layer;
        layer.on("click", () => toggle(f.properties.unit_id));
        layer.bindTooltip(text(f.properties.unit_id + " · " + f.properties.grid + " · " +
                               f.properties.households + " 户"), { sticky: true });
      },
    }).eachLayer((l) => unitsLayer.addLayer(l));
    L.geoJSON(state.grids, {
      style: (f) => ({ color: f.properties.locked ? "#000" : "#222", weight: f.properties.locked ? 4 : 2,
                       fill: false, interactive: false, className: "grid grid-" + f.properties.code }),
      onEachFeature: (f, layer) => {
        layer.bindTooltip(text(String(f.properties.code).slice(-3) + " · " + f.properties.households + "户"),
                          { permanent: true, direction: "center", className: "grid-label" });
      },
    }).eachLayer((l) => gridsLayer.addLayer(l));
    for (const p of state.problems) {
      L.circleMarker([p.lat, p.lon], { radius: 8, color: "#d62728", weight: 3, fillOpacity: 0.3,
                                       className: "problem-marker" })
        .bindPopup(text(p.text)).addTo(problemsLayer);
    }
    if (!fitted && unitsLayer.getLayers().length) { map.fitBounds(unitsLayer.getBounds()); fitted = true; }
    else if (!fitted) {  // no grids yet: show the area outline until "regenerate" makes them
      fitted = true;
      fetch(urls.boundaryUrl).then((r) => r.json()).then((b) => {
        const outline = L.geoJSON(b, { style: { color: "#333", weight: 2, fill: false }, interactive: false }).addTo(map);
        map.fitBounds(outline.getBounds());
      });
    }
    unitsLayer.bringToBack();
    refreshSelection();
    fillSide();
  }

  function fillSide() {
    $("version").textContent = state.etag + (state.head ? " (v" + String(state.head).padStart(4, "0") + ")" : " (no grids yet)");
    $("band").textContent = state.band ? state.band[0] + "–" + state.band[1] : "";
    const target = $("target-grid");
    const old = target.value;
    target.replaceChildren();
    const body = $("grid-table").querySelector("tbody");
    body.replaceChildren();
    // an example new code shaped like the area's own (not a fixed Haidian code)
    const first = state.grids.features[0];
    $("new-grid").placeholder = first ? first.properties.code.slice(0, -3) + "999" : "";
    for (const f of state.grids.features) {
      const p = f.properties;
      const opt = document.createElement("option");
      opt.value = p.code; opt.textContent = p.code + " (" + p.households + " 户)";
      target.appendChild(opt);
      const tr = document.createElement("tr");
      const out = state.band && (p.households < state.band[0] || p.households > state.band[1]);
      const check = document.createElement("input");
      check.type = "checkbox"; check.className = "grid-check"; check.value = p.code;
      const swatch = document.createElement("span");
      swatch.style.color = colour(p.code); swatch.textContent = "■";
      const households = cell(p.households);
      households.className = "num" + (out ? " bad" : "");
      tr.append(cell(check), cell(swatch, " ", p.code), households, cell(p.locked ? "🔒" : ""));
      body.appendChild(tr);
    }
    if (old) target.value = old;
    const list = $("problems");
    list.replaceChildren();
    for (const p of state.problems) {
      const li = document.createElement("li");
      li.textContent = p.text;
      li.className = "problem problem-" + String(p.kind).replace(/[^0-9A-Za-z_-]+/g, "-");
      li.addEventListener("click", () => map.setView([p.lat, p.lon], Math.max(map.getZoom(), 16)));
      list.appendChild(li);
    }
    $("problem-count").textContent = state.problems.length;
  }

  function show(r, okText) {
    $("conflict").hidden = true; $("saved").hidden = true;
    if (r.ok) {
      state = r.data; etag = r.data.etag;
      if (okText || r.data.saved) { $("saved").textContent = "已保存 Saved: " + (r.data.saved || okText); $("saved").hidden = false; }
      draw();
      return true;
    }
    $("conflict").textContent = (r.status === 409 ? "冲突 Conflict (409): " : "未保存 Not saved (" + r.status + "): ") + errorText(r);
    if (r.status === 409) {
      const btn = document.createElement("button");
      btn.textContent = "重新载入 Reload"; btn.id = "reload-btn";
      btn.addEventListener("click", () => { selected.clear(); load(); });
      $("conflict").appendChild(document.createElement("br"));
      $("conflict").appendChild(btn);
    }
    $("conflict").hidden = false;
    return false;
  }

  async function load() { show(await call("GET", urls.stateUrl)); }

  async function edit(body) {
    body.message = $("message").value || undefined;
    const r = await call("POST", urls.editUrl, body, etag);
    if (show(r)) { selected.clear(); $("message").value = ""; refreshSelection(); }
  }

  function checked() { return [...document.querySelectorAll(".grid-check:checked")].map((c) => c.value); }

  $("move-btn").addEventListener("click", () => {
    const to = $("new-grid").value.trim() || $("target-grid").value;
    if (!selected.size) { show({ ok: false, status: 400, data: { error: { message: "select units first" } } }); return; }
    edit({ op: "reassign", units: [...selected], to });
  });
  $("clear-btn").addEventListener("click", () => { selected.clear(); refreshSelection(); });
  $("split-btn").addEventListener("click", () => edit({ op: "split", codes: checked().slice(0, 1) }));
  $("merge-btn").addEventListener("click", () => edit({ op: "merge", codes: checked() }));
  $("lock-btn").addEventListener("click", () => edit({ op: "lock", codes: checked() }));
  $("unlock-btn").addEventListener("click", () => edit({ op: "unlock", codes: checked() }));
  $("undo-btn").addEventListener("click", async () => show(await call("POST", urls.undoUrl, {}, etag)));
  $("regen-btn").addEventListener("click", async () => {
    const r = await call("POST", urls.regenerateUrl, {
      min_households: Number($("gen-min").value), max_households: Number($("gen-max").value),
      seed: Number($("gen-seed").value), keep_locked: $("gen-locked").checked,
      message: $("message").value || undefined,
    }, etag);
    if (!r.ok) { show(r); return; }
    const bar = $("regen-progress"); bar.hidden = false;
    const job = await pollJob(r.data.status_url, (j) => { bar.value = j.progress; $("regen-status").textContent = j.message || j.state; });
    $("regen-status").textContent = job.state === "done" ? job.result.summary.join("; ") : "失败 failed: " + job.error;
    load();
  });

  // rebalance: a background job computes a preview; accept saves it with If-Match, discard forgets it
  function clearPreview() {
    preview = null; moving.clear();
    $("rebalance-preview").hidden = true;
    $("rebalance-table").querySelector("tbody").replaceChildren();
    for (const id of ["rebalance-reasons", "rebalance-workers"]) $(id).replaceChildren();
    restyle();
  }

  function showPreview(jobId, result) {
    clearPreview();
    preview = { job: jobId, etag: result.etag };
    for (const m of result.moves) moving.set(m.unit_id, m.to_code);
    $("rebalance-summary").textContent = result.households_moved + " 户 households in " + result.units_moved +
      " 单元 units would move" + (result.in_band ? "; every grid in its band" : "; some grids stay out of their band");
    $("rebalance-created").textContent = result.created.length ? result.created.join(", ") : "—";
    $("rebalance-retired").textContent = result.retired.length ? result.retired.join(", ") : "—";
    const body = $("rebalance-table").querySelector("tbody");
    for (const row of result.per_grid) {
      if (row.status === "kept") continue;
      const tr = document.createElement("tr");
      tr.className = "rebalance-row status-" + String(row.status).replace(/[^a-z]+/g, "");
      const before = cell(row.households_before), after = cell(row.households_after);
      before.className = "num" + (row.in_band_before || row.status === "created" ? "" : " bad");
      after.className = "num" + (row.in_band_after || row.status === "retired" ? "" : " bad");
      tr.append(cell(row.code), cell(row.status), before, after);
      body.appendChild(tr);
    }
    for (const reason of result.reasons) {
      const li = document.createElement("li"); li.className = "rebalance-reason"; li.textContent = reason;
      $("rebalance-reasons").appendChild(li);
    }
    for (const w of result.per_worker) {
      if (w.kind !== "unit") continue;
      const li = document.createElement("li");
      li.textContent = w.worker + " · " + w.code + " " + (w.direction === "in" ? "+" : "−") + w.count +
        " 单元 units, " + w.households + " 户: " + String(w.ids).split(";").join(", ");
      $("rebalance-workers").appendChild(li);
    }
    $("rebalance-preview").hidden = false;
    $("rebalance-preview").scrollIntoView({ block: "start" });
    restyle();
    const layers = [...moving.keys()].map((id) => unitLayers[id]).filter(Boolean);
    if (layers.length) map.fitBounds(L.featureGroup(layers).getBounds(), { maxZoom: 17, padding: [80, 80] });
  }

  $("rebalance-btn").addEventListener("click", async () => {
    clearPreview();
    const r = await call("POST", urls.rebalanceUrl, { time_limit_s: 20 }, etag);
    if (!r.ok) { show(r); return; }
    const bar = $("rebalance-progress"); bar.hidden = false;
    const job = await pollJob(r.data.status_url, (j) => { bar.value = j.progress; $("rebalance-status").textContent = j.message || j.state; });
    bar.hidden = true;
    if (job.state !== "done") { $("rebalance-status").textContent = "失败 failed: " + job.error; return; }
    $("rebalance-status").textContent = "预览，未保存 Preview, nothing saved";
    showPreview(job.id, job.result);
  });
  $("rebalance-discard-btn").addEventListener("click", () => { clearPreview(); $("rebalance-status").textContent = "已放弃 Discarded"; });
  $("rebalance-accept-btn").addEventListener("click", async () => {
    if (!preview) return;
    const r = await call("POST", urls.acceptUrl, { job: preview.job, message: $("message").value || undefined }, preview.etag);
    if (show(r)) { clearPreview(); $("rebalance-status").textContent = ""; $("message").value = ""; }
  });

  // drawing a rectangle or polygon selects the units whose centre lies inside it
  map.addControl(new L.Control.Draw({
    draw: { polyline: false, circle: false, marker: false, circlemarker: false,
            rectangle: { shapeOptions: { color: "#000" } }, polygon: { shapeOptions: { color: "#000" } } },
    edit: false,
  }));
  function inside(pt, ring) {
    let hit = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const a = ring[i], b = ring[j];
      if ((a.lat > pt.lat) !== (b.lat > pt.lat) &&
          pt.lng < ((b.lng - a.lng) * (pt.lat - a.lat)) / (b.lat - a.lat) + a.lng) hit = !hit;
    }
    return hit;
  }
  map.on(L.Draw.Event.CREATED, (e) => {
    const ring = e.layer.getLatLngs()[0];
    for (const [id, layer] of Object.entries(unitLayers)) {
      if (inside(layer.getBounds().getCenter(), ring)) selected.add(id);
    }
    refreshSelection();
  });

  // for people who script the page (and the browser tests): show one unit up close
  window.geogridEditor = {
    map,
    focusUnit: (id) => { map.fitBounds(unitLayers[id].getBounds(), { maxZoom: 17, padding: [120, 120], animate: false }); },
  };
  load();
})();
