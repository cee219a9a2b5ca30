/* The public map on a phone and the grid card.
 *
 * - A tool bar over the map: place-name search (/api/search: the area's own key places,
 *   streets and grids), "locate me" (browser geolocation; the grid containing the point is
 *   found here in the browser, the position is never sent), and on phones the buttons that
 *   open the layer list and the legend (collapsed by default, see static/css/page.css).
 * - Tapping a grid, a search result or locating opens that place's card (a bottom sheet on
 *   phones, a side panel on wider screens) instead of a popup: its monthly trend as a
 *   small SVG chart (a month with nothing published is a grey hatched stub, never an
 *   empty slot that reads as 0), its year-over-year sentence and the grid's public notice
 *   (/api/notices.json: code, name, and the worker's name and phone only where the
 *   planner published them).
 * - Popups that still open (key places) are moved clear of the tool bar, the legend, the
 *   layer list and the card, which Leaflet draws above its popups.
 *
 * Every figure comes from the released table through window.GeogridReleased (set by
 * static/js/public_map.js): placeTotal(place, categories|null, from, to) -> {value, atLeast}
 * and placeSeries(place, categories|null) -> [{month, value, atLeast}]; "at least N" where
 * a hidden cell is inside, "not published" where every cell inside is hidden (a lower
 * bound of 0). Text goes in with textContent and DOM nodes only.
 */
(function () {
  "use strict";
  const root = document.getElementById("public-map");
  const card = document.getElementById("grid-card");
  if (!root || !card) return;
  const hook = window.geogridDensity || {};
  const map = hook.map || null;
  const words = JSON.parse(card.dataset.words);
  const links = JSON.parse(card.dataset.links);
  const SVG = "http://www.w3.org/2000/svg";
  const phone = window.matchMedia("(max-width: 700px)");
  const $ = (id) => document.getElementById(id);

  // figures in words and the year-over-year sentence: static/js/public_words.js
  const { format, numberText } = window.geogridWords;
  const figure = (bound) => window.geogridWords.figure(words, bound);

  function getJson(url, signal) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", signal })
      .then((res) => (res.ok ? res.json() : Promise.reject(new Error(url + ": " + res.status))));
  }

  /* ------------------------------------------------------------ header and tool bar */

  const more = $("header-more");
  if (more && !phone.matches) more.open = true;

  const tools = $("map-tools");
  if (tools) {
    tools.hidden = false;
    root.classList.add("tools-on");
  }

  function setPanel(name, open) {
    const button = $("toggle-" + name);
    root.classList.toggle("show-" + name, open);
    if (button) button.setAttribute("aria-expanded", String(open));
  }

  ["layers", "legend"].forEach((name) => {
    const button = $("toggle-" + name);
    if (button) {
      button.addEventListener("click", () => setPanel(name, !root.classList.contains("show-" + name)));
    }
  });

  let statusTimer = null;
  function status(text) {
    const box = $("map-status");
    if (!box) return;
    box.textContent = text;
    box.hidden = !text;
    clearTimeout(statusTimer);
    if (text) statusTimer = setTimeout(() => { box.hidden = true; }, 5000);
  }

  /* ------------------------------------------------------------ what the card shows */

  function released() {
    const api = window.GeogridReleased;
    return api && typeof api.placeTotal === "function" && typeof api.placeSeries === "function"
      ? api : null;
  }

  function selection() {
    const value = (id) => ($(id) ? $(id).value : "");
    const category = value("filter-category");
    return { from: value("filter-from"), to: value("filter-to"), categories: category ? [category] : null };
  }

  let noticesPromise = null;
  function notices() {
    if (!noticesPromise) {
      noticesPromise = getJson(links.notices)
        .then((body) => {
          const byPlace = {};
          body.grids.forEach((n) => { byPlace[n.place] = n; });
          return { kind: body.kind, byPlace };
        })
        .catch(() => ({ kind: null, byPlace: {} }));
    }
    return noticesPromise;
  }

  const HATCH = "card-chart-hatch";

  /* grey with dark diagonal lines: the fill of a month with nothing published (paths only,
   * so the chart's rects are its bars) */
  function hatchPattern(set) {
    const defs = document.createElementNS(SVG, "defs");
    const pattern = document.createElementNS(SVG, "pattern");
    set(pattern, { id: HATCH, width: 4, height: 4, patternUnits: "userSpaceOnUse",
      patternTransform: "rotate(45)" });
    const ground = document.createElementNS(SVG, "path");
    set(ground, { d: "M0 0H4V4H0Z", fill: "#e3e3e3" });
    const line = document.createElementNS(SVG, "path");
    set(line, { d: "M0 0V4", stroke: "#888", "stroke-width": 1.4 });
    pattern.append(ground, line);
    defs.appendChild(pattern);
    return defs;
  }

  const isHidden = (m) => m.atLeast && m.value === 0;

  function chart(series) {
    const width = 300, height = 92, base = 74, stub = 12;
    const top = Math.max(1, ...series.map((m) => m.value));
    const step = width / Math.max(series.length, 1);
    const svg = document.createElementNS(SVG, "svg");
    const set = (el, attrs) => Object.entries(attrs).forEach(([k, v]) => el.setAttribute(k, v));
    set(svg, { class: "card-chart", viewBox: `0 0 ${width} ${height}`, role: "img",
      "aria-label": words.trend, preserveAspectRatio: "xMidYMid meet" });
    const title = document.createElementNS(SVG, "title");
    title.textContent = words.trend;
    svg.appendChild(title);
    if (series.some(isHidden)) svg.appendChild(hatchPattern(set));
    const text = (x, y, value, anchor) => {
      const t = document.createElementNS(SVG, "text");
      set(t, { x, y, "font-size": 10, fill: "#555" });
      if (anchor) t.setAttribute("text-anchor", anchor);
      t.textContent = value;
      svg.appendChild(t);
    };
    series.forEach((m, k) => {
      const hidden = isHidden(m);
      const h = hidden ? stub : Math.max(((base - 14) * m.value) / top, m.atLeast ? 2 : 0);
      const rect = document.createElementNS(SVG, "rect");
      set(rect, {
        class: hidden ? "bar bar-hidden" : (m.atLeast ? "bar bar-at-least" : "bar"),
        x: Math.round((k * step + step * 0.12) * 10) / 10,
        y: Math.round((base - h) * 10) / 10,
        width: Math.round(Math.max(step * 0.76, 1) * 10) / 10,
        height: Math.round(h * 10) / 10,
        fill: hidden ? `url(#${HATCH})` : (m.atLeast ? "#fd8d3c" : "#f03b20"),
      });
      if (hidden) set(rect, { stroke: "#888", "stroke-width": 0.6 });
      const label = document.createElementNS(SVG, "title");
      label.textContent = m.month + ": " + figure(m);
      rect.appendChild(label);
      svg.appendChild(rect);
    });
    const axis = document.createElementNS(SVG, "line");
    set(axis, { x1: 0, y1: base, x2: width, y2: base, stroke: "#999", "stroke-width": 0.6 });
    svg.appendChild(axis);
    text(0, 10, "max " + numberText(top));
    if (series.length) {
      text(0, height - 4, series[0].month);
      text(width, height - 4, series[series.length - 1].month, "end");
    }
    return svg;
  }

  /* the chart's key, written out (no tooltip needed): only the kinds of bar it has */
  function chartKey(series) {
    const key = $("card-chart-key");
    if (!key) return;
    key.replaceChildren();
    [[series.some(isHidden), "swatch-hidden", words.chart_hidden],
      [series.some((m) => m.atLeast && m.value > 0), "swatch-at-least", words.chart_at_least]]
      .filter(([present]) => present)
      .forEach(([, kind, label]) => {
        const item = document.createElement("span");
        item.className = "chart-key-item";
        const swatch = document.createElement("span");
        swatch.className = "chart-swatch " + kind;
        item.append(swatch, label);
        key.appendChild(item);
      });
    key.hidden = !key.childElementCount;
  }

  /* the year-over-year sentence of one place, as public_map.js writes it for the area */
  function yoySentence(api, place, cats, allMonths, chosen) {
    return window.geogridWords.yoySentence(
      words, chosen, allMonths[0], (from, to) => api.placeTotal(place, cats, from, to));
  }

  function noticeBlock(kind, notice) {
    const box = $("card-notice");
    box.replaceChildren();
    box.hidden = kind !== "grid";
    if (kind !== "grid") return;
    if (notice && (notice.worker || notice.worker_phone)) {
      const dl = document.createElement("dl");
      const row = (label, content) => {
        const dt = document.createElement("dt");
        dt.textContent = label;
        const dd = document.createElement("dd");
        dd.appendChild(content);
        dl.append(dt, dd);
      };
      if (notice.worker) row(words.card_worker, document.createTextNode(notice.worker));
      if (notice.worker_phone) {
        const link = document.createElement("a");
        link.href = "tel:" + notice.worker_phone.replace(/[^0-9+]/g, "");
        link.textContent = notice.worker_phone;
        row(words.card_phone, link);
      }
      box.appendChild(dl);
    } else {
      const p = document.createElement("p");
      p.className = "card-contact-hidden";
      p.textContent = words.card_contact_hidden;
      box.appendChild(p);
    }
  }

  /* ------------------------------------------------------------ open and close */

  let current = null;
  let outline = null;
  let marker = null;
  let retries = 0;

  function densityLayer(place) {
    let found = null;
    if (hook.layer) {
      hook.layer.eachLayer((layer) => {
        if (!found && layer.feature && layer.feature.properties.place === place) found = layer;
      });
    }
    return found;
  }

  function clearMarks() {
    if (outline) { outline.remove(); outline = null; }
  }

  function render(info) {
    const place = current;
    const notice = info.byPlace[place];
    const kind = info.kind || (notice ? "grid" : null);
    $("card-title").textContent = notice ? notice.name
      : (kind === "cell" ? `${words.card_cell} ${place}` : place);
    const code = $("card-code");
    code.textContent = notice ? `${words.card_code} ${notice.code}` : "";
    code.hidden = !notice;
    noticeBlock(kind, notice);
    const trend = $("card-trend");
    trend.querySelectorAll("svg").forEach((svg) => svg.remove());
    const total = $("card-total");
    const api = released();
    if (!api) {
      total.textContent = words.card_loading;
      $("card-yoy-line").hidden = true;
      if (retries < 100) { retries += 1; setTimeout(() => { if (current === place) render(info); }, 150); }
      return;
    }
    retries = 0;
    const sel = selection();
    const series = api.placeSeries(place, sel.categories) || [];
    const allMonths = series.map((m) => m.month);
    const shown = series.filter((m) => (!sel.from || m.month >= sel.from) && (!sel.to || m.month <= sel.to));
    total.replaceChildren();
    const rate = $("card-rate");
    rate.replaceChildren();
    rate.hidden = true;
    if (shown.length) {
      const start = shown[0].month, end = shown[shown.length - 1].month;
      const bound = api.placeTotal(place, sel.categories, start, end);
      total.append(`${words.field_incidents} (${format(words.card_total, { start, end })}): `);
      const strong = document.createElement("strong");
      strong.textContent = figure(bound);
      total.appendChild(strong);
      // a grid's households and its rate per 1,000 households (what its popup used to say)
      const info = typeof api.place === "function" ? api.place(place) : null;
      if (kind === "grid" && info && info.households !== null && info.households !== undefined) {
        const perThousand = info.households > 0
          ? figure({ value: Math.round((1000 * bound.value / info.households) * 10) / 10,
            atLeast: bound.atLeast })
          : "–";
        rate.textContent = `${words.field_households}: ${info.households} · ${words.field_rate}: ${perThousand}`;
        rate.hidden = false;
      }
    }
    trend.insertBefore(chart(shown), $("card-chart-key"));
    chartKey(shown);
    const sentence = yoySentence(api, place, sel.categories, allMonths, shown.map((m) => m.month));
    $("card-yoy").textContent = sentence;
    $("card-yoy-line").hidden = !sentence;
    card.dataset.place = place;
  }

  function openCard(place, zoom) {
    current = place;
    retries = 0;
    card.hidden = false;
    root.classList.add("card-open");
    if (phone.matches) { setPanel("layers", false); setPanel("legend", false); }
    clearMarks();
    const layer = densityLayer(place);
    if (map && layer && window.L) {
      outline = window.L.geoJSON(layer.feature, {
        interactive: false, style: { color: "#0b3d91", weight: 4, fill: false, dashArray: "" },
      }).addTo(map);
    }
    return notices().then((info) => {
      if (current !== place) return;
      render(info);
      if (!map || !layer) return;
      // keep the place in sight beside the side panel / above the bottom sheet, and above
      // the legend where it shows (bottom right, pushed aside by the side panel)
      const sheet = phone.matches ? card.offsetHeight : 0;
      const side = phone.matches ? 0 : card.offsetWidth + 20;
      const legend = root.querySelector(".geogrid-legend");
      const under = legend && legend.getClientRects().length
        ? map.getContainer().getBoundingClientRect().bottom - legend.getBoundingClientRect().top : 0;
      const padding = { paddingTopLeft: [20, 60],
        paddingBottomRight: [20 + side, 20 + Math.max(sheet, under)] };
      if (zoom) map.fitBounds(layer.getBounds(), { ...padding, maxZoom: 17 });
      else {
        // the whole place, not only its middle, where it fits: half its size more padding
        const bounds = layer.getBounds();
        const ne = map.latLngToContainerPoint(bounds.getNorthEast());
        const sw = map.latLngToContainerPoint(bounds.getSouthWest());
        const half = [Math.min(Math.abs(ne.x - sw.x) / 2, 120), Math.min(Math.abs(sw.y - ne.y) / 2, 120)];
        map.panInside(bounds.getCenter(), {
          paddingTopLeft: padding.paddingTopLeft.map((v, i) => v + half[i]),
          paddingBottomRight: padding.paddingBottomRight.map((v, i) => v + half[i]),
        });
      }
    });
  }

  function closeCard() {
    current = null;
    card.hidden = true;
    delete card.dataset.place;
    root.classList.remove("card-open");
    clearMarks();
  }

  $("card-close").addEventListener("click", closeCard);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && current) closeCard(); });
  ["filter-from", "filter-to", "filter-category"].forEach((id) => {
    const field = $(id);
    if (field) field.addEventListener("change", () => { if (current) notices().then(render); });
  });

  function showPoint(lon, lat) {
    if (marker) { marker.remove(); marker = null; }
    if (!map || !window.L || hook.datum !== "wgs84") return;  // Amap tiles are drawn shifted
    marker = window.L.circleMarker([lat, lon], {
      radius: 7, color: "#fff", weight: 2, fillColor: "#1a73e8", fillOpacity: 1, interactive: false,
    }).addTo(map);
  }

  /* ------------------------------------------------------------ popups clear of the controls */

  /* Leaflet draws its controls (legend, layer list) above its popups, and the tool bar and
   * the card sit above the map too: once Leaflet's own auto-pan has kept a popup inside the
   * map, the map moves by the least that takes the popup (with its tip) clear of all of
   * them while keeping it inside the map. */
  function obstacles() {
    const boxes = [tools, card, ...root.querySelectorAll(".leaflet-control")]
      .filter((el) => el && !el.hidden && el.getClientRects().length)
      .map((el) => el.getBoundingClientRect())
      .filter((b) => b.width > 0 && b.height > 0);
    return boxes;
  }

  function clearOfControls(popup) {
    const box = popup.getElement && popup.getElement();
    if (!map || !box || !popup.isOpen()) return;
    const wrap = box.querySelector(".leaflet-popup-content-wrapper") || box;
    const tip = box.querySelector(".leaflet-popup-tip-container");
    const w = wrap.getBoundingClientRect();
    const t = tip ? tip.getBoundingClientRect() : w;
    const r = { left: Math.min(w.left, t.left), right: Math.max(w.right, t.right),
      top: Math.min(w.top, t.top), bottom: Math.max(w.bottom, t.bottom) };
    const area = map.getContainer().getBoundingClientRect();
    const blocks = obstacles();
    const m = 8;
    const hit = (dx, dy) => blocks.some((b) => r.left + dx < b.right + m && r.right + dx > b.left - m
      && r.top + dy < b.bottom + m && r.bottom + dy > b.top - m);
    if (!hit(0, 0)) return;
    const xs = new Set([0]), ys = new Set([0]);
    blocks.forEach((b) => {
      xs.add(b.right + m - r.left); xs.add(b.left - m - r.right);
      ys.add(b.bottom + m - r.top); ys.add(b.top - m - r.bottom);
    });
    let best = null;
    xs.forEach((dx) => ys.forEach((dy) => {
      if (r.left + dx < area.left || r.right + dx > area.right
        || r.top + dy < area.top || r.bottom + dy > area.bottom || hit(dx, dy)) return;
      const cost = Math.abs(dx) + Math.abs(dy);
      if (!best || cost < best.cost) best = { dx, dy, cost };
    }));
    if (best) map.panBy([-Math.round(best.dx), -Math.round(best.dy)]);
  }

  if (map) {
    let autopanning = false;
    map.on("autopanstart", () => { autopanning = true; });
    map.on("popupopen", (e) => {
      const run = () => window.requestAnimationFrame(() => clearOfControls(e.popup));
      if (autopanning) { autopanning = false; map.once("moveend", run); } else run();
    });
  }

  /* ------------------------------------------------------------ tapping a grid */

  if (hook.layer) {
    // the card shows a clicked grid: no popup beside it (public_map.js binds none either)
    hook.layer.unbindPopup();
    const target = (e) => e.propagatedFrom || e.layer || e.sourceTarget;
    hook.layer.on("click", (e) => {
      const layer = target(e);
      const place = layer && layer.feature && layer.feature.properties.place;
      if (!place) return;
      if (map) map.closePopup();
      if (phone.matches) {
        [hook.layer, layer].forEach((l) => { if (l.closeTooltip) l.closeTooltip(); });  // no hover left by a tap
      }
      openCard(String(place), false);
    });
  }

  /* ------------------------------------------------------------ search */

  const searchForm = $("place-search");
  const searchBox = $("search-q");
  const results = $("search-results");
  let searchAbort = null;
  let searchTimer = null;

  function resultsShown(shown) {
    results.hidden = !shown;
    if (tools) tools.classList.toggle("searching", shown);
  }

  function kindLabel(hit) {
    if (hit.kind === "grid") return words.kind_grid;
    if (hit.kind === "street") return words.kind_street;
    return (words.layers && words.layers[hit.layer]) || hit.layer || "";
  }

  function showResults(query, hits) {
    results.replaceChildren();
    if (!hits.length) {
      const li = document.createElement("li");
      li.className = "search-note";
      li.textContent = format(words.search_none, { q: query });
      results.appendChild(li);
    }
    hits.forEach((hit) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "search-hit";
      button.dataset.place = hit.place || "";
      button.append(hit.name);
      const kind = document.createElement("span");
      kind.className = "search-kind";
      kind.textContent = hit.place ? kindLabel(hit) : `${kindLabel(hit)} · ${words.search_outside}`;
      button.appendChild(kind);
      if (!hit.place) button.disabled = true;
      button.addEventListener("click", () => {
        resultsShown(false);
        searchBox.blur();
        if (hit.kind !== "grid") showPoint(hit.lon, hit.lat);
        openCard(hit.place, true);
      });
      li.appendChild(button);
      results.appendChild(li);
    });
    resultsShown(true);
  }

  function runSearch() {
    const query = searchBox.value.trim();
    if (searchAbort) searchAbort.abort();
    if (!query) { resultsShown(false); return; }
    searchAbort = new AbortController();
    const url = `${links.search}?q=${encodeURIComponent(query.slice(0, 50))}&limit=8`;
    getJson(url, searchAbort.signal)
      .then((body) => showResults(query, body.results))
      .catch((err) => {
        if (err.name === "AbortError") return;
        results.replaceChildren();
        const li = document.createElement("li");
        li.className = "search-note";
        li.textContent = words.search_failed;
        results.appendChild(li);
        resultsShown(true);
      });
  }

  if (searchForm && searchBox && results) {
    searchForm.addEventListener("submit", (e) => { e.preventDefault(); clearTimeout(searchTimer); runSearch(); });
    searchBox.addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(runSearch, 300); });
    searchBox.addEventListener("keydown", (e) => { if (e.key === "Escape") resultsShown(false); });
    document.addEventListener("click", (e) => { if (!searchForm.contains(e.target)) resultsShown(false); });
  }

  /* ------------------------------------------------------------ locate me */

  function inRing(x, y, ring) {
    let inside = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
      const [xi, yi] = ring[i], [xj, yj] = ring[j];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }

  function inPolygon(x, y, rings) {
    return inRing(x, y, rings[0]) && !rings.slice(1).some((ring) => inRing(x, y, ring));
  }

  function containsPoint(geometry, x, y) {
    if (!geometry) return false;
    if (geometry.type === "Polygon") return inPolygon(x, y, geometry.coordinates);
    if (geometry.type === "MultiPolygon") return geometry.coordinates.some((p) => inPolygon(x, y, p));
    return false;
  }

  let placesPromise = null;
  function placeShapes() {
    // the places in WGS-84 as the API serves them (the map's own shapes may be shifted)
    if (!placesPromise) {
      placesPromise = getJson(links.places).catch((err) => { placesPromise = null; throw err; });
    }
    return placesPromise;
  }

  const locate = $("locate-me");
  if (locate) {
    if (!("geolocation" in navigator)) locate.hidden = true;
    locate.addEventListener("click", () => {
      status(words.locate_busy);
      locate.disabled = true;
      const done = () => { locate.disabled = false; };
      navigator.geolocation.getCurrentPosition((position) => {
        const lon = position.coords.longitude, lat = position.coords.latitude;
        placeShapes().then((shapes) => {
          done();
          const hit = shapes.features.find((f) => containsPoint(f.geometry, lon, lat));
          showPoint(lon, lat);
          if (!hit) { status(words.locate_outside); return; }
          status("");
          openCard(String(hit.properties.place), true);
        }).catch(() => { done(); status(words.locate_failed); });
      }, () => { done(); status(words.locate_failed); },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  root.dataset.cardReady = "true";
})();
