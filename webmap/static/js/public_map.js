/* The public map's filters, applied in the browser from the area's released table.
 *
 * /api/released.json holds the released place x category x month cells and the released
 * cells of its margin tables (place x month, place x category, category x month, per
 * place, per category, per month, the area total), null where hidden. Every figure drawn
 * here is a sum of released cells of ONE of these tables, the one that answers it most
 * tightly (all categories -> the place x month margin, ...), exactly as the server's
 * ReleasedTable.total (geogrid/release.py); a sum with a hidden cell inside reads
 * "at least N" and is coloured by N ("not published", grey, when every part is hidden:
 * a lower bound of 0), like the server's first drawing (webmap/maps.py) and the API.
 * Text goes in with textContent and DOM nodes only, never innerHTML. The map and its
 * density layer come from window.geogridDensity, set by the map's own script. On the
 * public page the grid card (static/js/public_card.js) shows a clicked place, so the
 * density layer has no popup there.
 *
 * Once the table is loaded, window.GeogridReleased (read-only) offers the same sums to
 * other scripts (static/js/public_card.js):
 *   placeTotal(placeId, categories|null, fromMonth, toMonth) -> {value, atLeast}
 *   placeSeries(placeId, categories|null) -> [{month, value, atLeast}]
 *   place(placeId) -> {place, name, households}
 * (placeId null = the whole area; categories null = all; months "YYYY-MM", inclusive,
 * empty = open; an unknown place gives null), plus months, categories and kind.
 */
(function () {
  "use strict";
  const root = document.getElementById("public-map");
  if (!root) return;
  const hook = window.geogridDensity || {};
  const config = JSON.parse(root.dataset.config);
  const words = config.words;
  const palette = config.palette;
  const SVG = "http://www.w3.org/2000/svg";
  const SUPPRESSED = "#d9d9d9";  // as SUPPRESSED_COLOUR in webmap/maps.py
  // the grid card (static/js/public_card.js) shows a clicked place; no popup beside it
  const cardPage = Boolean(document.getElementById("grid-card"));
  const form = document.getElementById("filters");
  const fields = {
    from: document.getElementById("filter-from"),
    to: document.getElementById("filter-to"),
    category: document.getElementById("filter-category"),
  };
  let data = null;
  let memo = new Map();

  // figures in words and the year-over-year sentence: static/js/public_words.js
  const { format, numberText } = window.geogridWords;
  const figure = (value, atLeast) => window.geogridWords.figure(words, { value, atLeast });

  /* ------------------------------------------------------------ sums of released cells */

  function selection() {
    return {
      from: fields.from ? fields.from.value : "",
      to: fields.to ? fields.to.value : "",
      category: fields.category ? fields.category.value : "",
    };
  }

  function monthIndexes(from, to) {
    const out = [];
    data.months.forEach((m, i) => {
      if ((!from || m >= from) && (!to || m <= to)) out.push(i);
    });
    return out;
  }

  function categoryIndexes(category) {
    const out = [];
    data.categories.forEach((c, i) => {
      if (!category || c.category === category) out.push(i);
    });
    return out;
  }

  /* The linked table: an index of ALL on an axis is that axis's margin ("all of it").
   * released(place|null, c, m) -> a released count, null where hidden, undefined when
   * the file has no such margin. */
  const ALL = -1;

  function released(place, c, m) {
    const margins = data.margins || {};
    let cell;
    if (place !== null) {
      if (c !== ALL && m !== ALL) cell = data.counts[place][c][m];
      else if (c === ALL && m !== ALL) cell = margins.place_month && margins.place_month[place][m];
      else if (c !== ALL) cell = margins.place_category && margins.place_category[place][c];
      else cell = margins.place && margins.place[place];
    } else if (c !== ALL && m !== ALL) cell = margins.category_month && margins.category_month[c][m];
    else if (c === ALL && m !== ALL) cell = margins.month && margins.month[m];
    else if (c !== ALL) cell = margins.category && margins.category[c];
    else cell = margins.total;
    return cell;
  }

  function sum(parts) {
    return parts.reduce((acc, p) => ({ value: acc.value + p.value, atLeast: acc.atLeast || p.atLeast }),
      { value: 0, atLeast: false });
  }

  /* The figure shown for one cell of the linked table: its released count, or for a
   * hidden cell "at least" the largest sum of the cells one level finer along one of its
   * ALL axes (as _best_bounds in geogrid/release.py; the largest category, not the sum,
   * along the categories when data.categories_overlap). */
  function best(place, c, m) {
    const key = `${place === null ? "" : place}\u0000${c}\u0000${m}`;
    if (memo.has(key)) return memo.get(key);
    const cell = released(place, c, m);
    let out;
    if (typeof cell === "number") out = { value: cell, atLeast: false };
    else {
      const parts = [];
      if (place === null) parts.push(sum(data.places.map((p) => best(p.place, c, m))));
      if (c === ALL) {
        const each = data.categories.map((_, i) => best(place, i, m));
        // cases with several offences: "all categories" counts distinct cases, so the
        // categories bound it from below by the largest of them, not by their sum
        parts.push(data.categories_overlap
          ? each.reduce((acc, p) => (p.value > acc.value ? { value: p.value, atLeast: true } : acc),
            { value: 0, atLeast: true })
          : sum(each));
      }
      if (m === ALL) parts.push(sum(data.months.map((_, i) => best(place, c, i))));
      out = { value: 0, atLeast: true };
      if (cell === null) {  // hidden: at least the largest finer sum
        parts.forEach((part) => { if (part.value > out.value) out = { value: part.value, atLeast: true }; });
      } else {  // not in the file: an exact finer sum, else the largest
        const exact = parts.find((part) => !part.atLeast);
        if (exact) out = exact;
        else parts.forEach((part) => { if (part.value > out.value) out = part; });
      }
    }
    memo.set(key, out);
    return out;
  }

  /* The indexes to sum over on an axis: [ALL] (its margin) when every label is chosen. */
  function axis(indexes, length) {
    return indexes === null || (indexes.length === length && new Set(indexes).size === length)
      ? [ALL] : indexes;
  }

  /* {value, atLeast}: the sum of released cells of one place (null = the area) over the
   * given category and month indexes (null = all), from the tightest table. */
  function bound(place, cats, months) {
    const cs = axis(cats, data.categories.length);
    const ms = axis(months, data.months.length);
    const parts = [];
    cs.forEach((c) => ms.forEach((m) => parts.push(best(place, c, m))));
    return sum(parts);
  }

  /* {month, value, atLeast} per month of one place (null = the area) */
  function placeMonths(place, cats, months) {
    const cs = axis(cats, data.categories.length);
    return months.map((m) => {
      const total = sum(cs.map((c) => best(place, c, m)));
      return { month: data.months[m], value: total.value, atLeast: total.atLeast };
    });
  }

  function areaTotal(cats, months) {
    return bound(null, cats, months);
  }

  function categoryList(categories) {
    if (categories === null || categories === undefined || categories === "") return null;
    const wanted = new Set(Array.isArray(categories) ? categories : [categories]);
    return categoryIndexes("").filter((i) => wanted.has(data.categories[i].category));
  }

  function knownPlace(place) {
    return place === null || Object.prototype.hasOwnProperty.call(data.counts, place);
  }

  const api = Object.freeze({
    placeTotal(place, categories, fromMonth, toMonth) {
      if (!data || !knownPlace(place)) return null;
      return bound(place, categoryList(categories), monthIndexes(fromMonth || "", toMonth || ""));
    },
    placeSeries(place, categories) {
      if (!data || !knownPlace(place)) return null;
      return placeMonths(place, categoryList(categories), data.months.map((_, i) => i));
    },
    place(place) {
      const found = data && data.places.find((p) => p.place === place);
      return found ? { place: found.place, name: found.name, households: found.households } : null;
    },
    get months() { return data ? data.months.slice() : []; },
    get categories() { return data ? data.categories.map((c) => ({ ...c })) : []; },
    get kind() { return data ? data.kind : null; },
  });

  /* ------------------------------------------------------------ colours (as webmap/maps.py) */

  function classBreaks(values, classes) {
    const finite = values.filter((v) => v !== null && Number.isFinite(v) && v >= 0);
    if (!finite.length) return [];
    const top = Math.max(...finite);
    if (top === 0) return [0];
    const raw = top / classes;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((k) => k * power).find((s) => s >= raw - 1e-12);
    const count = Math.max(1, Math.ceil(top / step - 1e-9));
    return Array.from({ length: count }, (_, k) => Math.round(step * (k + 1) * 1e6) / 1e6);
  }

  function spread(classes) {
    if (classes <= 0) return [];
    if (classes === 1) return [palette[0]];
    return Array.from({ length: classes },
      (_, k) => palette[Math.round((k * (palette.length - 1)) / (classes - 1))]);
  }

  function colourFor(value, breaks) {
    if (!breaks.length) return palette[0];
    const colours = spread(breaks.length);
    for (let k = 0; k < breaks.length; k += 1) if (value <= breaks[k]) return colours[k];
    return colours[colours.length - 1];
  }

  function redrawLegend(breaks) {
    const legend = document.querySelector(".geogrid-legend");
    if (!legend) return;
    legend.querySelectorAll(".class-row").forEach((row) => row.remove());
    const title = legend.querySelector(".title");
    let lower = data.kind === "grid" ? 0 : data.k;
    let after = title;
    spread(breaks.length).forEach((colour, k) => {
      const upper = breaks[k];
      const row = document.createElement("div");
      row.className = "class-row";
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = colour;
      row.appendChild(swatch);
      row.appendChild(document.createTextNode(
        upper === lower ? numberText(upper) : numberText(lower) + " – " + numberText(upper)));
      if (after) after.after(row); else legend.prepend(row);
      after = row;
      lower = upper;
    });
  }

  /* ------------------------------------------------------------ popups */

  function trendSvg(months) {
    const width = 240, height = 64, pad = 14;
    const step = width / Math.max(months.length, 1);
    const top = Math.max(data.k, ...months.map((m) => m.value));
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "geogrid-trend");
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", words.trend);
    const title = document.createElementNS(SVG, "title");
    title.textContent = words.trend;
    svg.appendChild(title);
    const axis = document.createElementNS(SVG, "line");
    [["x1", 0], ["y1", height - pad], ["x2", width], ["y2", height - pad],
      ["stroke", "#999"], ["stroke-width", 0.5]].forEach(([k, v]) => axis.setAttribute(k, v));
    svg.appendChild(axis);
    months.forEach((m, k) => {
      const hidden = m.atLeast && m.value === 0;  // nothing published: a grey stub, not a 0
      const h = hidden ? 8 : Math.max(((height - pad - 11) * m.value) / top, m.atLeast ? 2 : 0);
      const rect = document.createElementNS(SVG, "rect");
      rect.setAttribute("x", Math.round((k * step + step * 0.1) * 10) / 10);
      rect.setAttribute("y", Math.round((height - pad - h) * 10) / 10);
      rect.setAttribute("width", Math.round(Math.max(step * 0.8, 1) * 10) / 10);
      rect.setAttribute("height", Math.round(h * 10) / 10);
      rect.setAttribute("fill", hidden ? SUPPRESSED : (m.atLeast ? palette[2] : palette[3]));
      if (hidden) {
        [["stroke", "#888"], ["stroke-width", 0.8], ["stroke-dasharray", "2 1.5"]]
          .forEach(([key, v]) => rect.setAttribute(key, v));
      }
      const label = document.createElementNS(SVG, "title");
      label.textContent = m.month + ": " + figure(m.value, m.atLeast);
      rect.appendChild(label);
      svg.appendChild(rect);
    });
    const text = (x, y, size, value, anchor) => {
      const t = document.createElementNS(SVG, "text");
      t.setAttribute("x", x);
      t.setAttribute("y", y);
      t.setAttribute("font-size", size);
      if (anchor) t.setAttribute("text-anchor", anchor);
      t.textContent = value;
      svg.appendChild(t);
    };
    text(0, 9, 9, "max " + top);
    if (months.length) {
      text(0, height - 2, 10, months[0].month);
      text(width, height - 2, 10, months[months.length - 1].month, "end");
    }
    return svg;
  }

  function popup(place, figures) {
    const table = document.createElement("table");
    const row = (label, content) => {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.textContent = label;
      const td = document.createElement("td");
      if (typeof content === "string") td.textContent = content; else td.appendChild(content);
      tr.append(th, td);
      table.appendChild(tr);
    };
    if (data.kind === "grid") row(words.field_name, place.name);
    row(words.field_incidents, figure(figures.total.value, figures.total.atLeast));
    if (data.kind === "grid") {
      row(words.field_households, String(place.households));
      row(words.field_rate, figures.rate === null ? "–" : figure(figures.rate, figures.total.atLeast));
    }
    row(words.trend, trendSvg(figures.months));
    const box = document.createElement("div");
    box.className = "geogrid-popup-body";
    box.appendChild(table);
    return box;
  }

  /* ------------------------------------------------------------ year over year */

  function yoySentence(sel, cats) {
    const months = monthIndexes(sel.from, sel.to).map((i) => data.months[i]);
    return window.geogridWords.yoySentence(
      words, months, data.months[0], (from, to) => areaTotal(cats, monthIndexes(from, to)));
  }

  /* ------------------------------------------------------------ apply a selection */

  function apply() {
    const sel = selection();
    const cats = categoryIndexes(sel.category);
    const months = monthIndexes(sel.from, sel.to);
    const figures = {};
    data.places.forEach((p) => {
      const perMonth = placeMonths(p.place, cats, months);
      const total = bound(p.place, cats, months);
      const rate = p.households > 0 ? Math.round((1000 * total.value / p.households) * 10) / 10 : null;
      figures[p.place] = { months: perMonth, total, rate };
    });
    const value = (f) => (data.kind === "grid" ? f.rate : f.total.value);
    const shown = Object.values(figures).filter((f) => data.kind === "grid" || f.total.value > 0);
    const breaks = classBreaks(shown.map(value), palette.length);
    const byPlace = {};
    data.places.forEach((p) => { byPlace[p.place] = p; });
    if (hook.layer) {
      hook.layer.eachLayer((layer) => {
        const place = layer.feature && layer.feature.properties.place;
        const f = figures[place];
        if (!f) return;
        const v = value(f);
        const hide = data.kind === "cell" && f.total.value === 0;
        const none = f.total.atLeast && f.total.value === 0;  // nothing published
        layer.setStyle({
          fillColor: none ? SUPPRESSED : (v === null ? config.no_households : colourFor(v, breaks)),
          dashArray: f.total.atLeast ? "4 3" : "",
          fillOpacity: hide ? 0 : (data.kind === "grid" ? 0.55 : 0.65),
          opacity: hide ? 0 : 1,
        });
      });
      if (cardPage) hook.layer.unbindPopup();
      else {
        hook.layer.bindPopup((layer) => {
          const place = layer.feature.properties.place;
          return popup(byPlace[place], figures[place]);
        });
      }
    }
    redrawLegend(breaks);
    const yoy = document.getElementById("yoy-text");
    if (yoy) {
      const sentence = yoySentence(sel, cats);
      yoy.textContent = sentence;
      document.getElementById("yoy").hidden = !sentence;
    }
    root.dataset.applied = JSON.stringify(sel);
  }

  function remember() {
    const url = new URL(window.location.href);
    Object.entries(selection()).forEach(([key, value]) => {
      if (value) url.searchParams.set(key, value); else url.searchParams.delete(key);
    });
    window.history.replaceState(null, "", url);
  }

  fetch(config.released, { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then((res) => (res.ok ? res.json() : Promise.reject(new Error("released table: " + res.status))))
    .then((body) => {
      data = body;
      memo = new Map();
      window.GeogridReleased = api;
      if (!hook.map) return;
      apply();
      Object.values(fields).forEach((field) => {
        if (field) field.addEventListener("change", () => { remember(); apply(); });
      });
      if (form) form.dataset.live = "true";
    })
    .catch(() => { /* the server's drawing of the page stays */ });
})();
