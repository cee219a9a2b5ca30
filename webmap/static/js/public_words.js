/* What the public map's two scripts (public_map.js for the area, public_card.js for one place)
 * share: released figures in words, and the year-over-year sentence. Loaded before them.
 *
 * window.geogridWords (read-only):
 *   format(template, values) -> the template with each {key} replaced by values[key]
 *   numberText(value) -> "12", or "12.3" (one decimal) when not whole
 *   figure(words, {value, atLeast}) -> "12", "at least 12", or "not published" when every
 *     cell inside is hidden (a lower bound of 0)
 *   yoySentence(words, months, firstMonth, total) -> the sentence comparing the last 12 of
 *     months ("YYYY-MM", ascending) with the same months a year before; total(from, to)
 *     gives {value, atLeast} for months from..to (inclusive); firstMonth is the earliest month
 *     the table holds (without the year before, only this year's count is said); "" for none.
 * Plain text only: the callers put it in with textContent.
 */
(function () {
  "use strict";

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, (all, key) => (key in values ? String(values[key]) : all));
  }

  function numberText(value) {
    return Number.isInteger(value) ? String(value) : String(Math.round(value * 10) / 10);
  }

  function figure(words, bound) {
    if (bound.atLeast && bound.value === 0) return words.not_published;
    const text = numberText(bound.value);
    return bound.atLeast ? format(words.at_least, { n: text }) : text;
  }

  function shiftYear(month, years) {
    return String(Number(month.slice(0, 4)) + years).padStart(4, "0") + month.slice(4);
  }

  function yoySentence(words, months, firstMonth, total) {
    const last = months.slice(-12);
    if (!last.length) return "";
    const start = last[0], end = last[last.length - 1];
    const pstart = shiftYear(start, -1), pend = shiftYear(end, -1);
    const now = total(start, end);
    const count = figure(words, now);
    if (!(firstMonth <= pstart)) return format(words.yoy_only, { start, end, count, none: words.yoy_none });
    const before = total(pstart, pend);
    const text = format(words.yoy_text, { start, end, pstart, pend, count, pcount: figure(words, before) });
    let change;
    if (now.atLeast || before.atLeast) change = words.yoy_unknown;
    else if (!before.value) change = words.yoy_none;
    else {
      const pct = Math.round(((now.value - before.value) / before.value) * 1000) / 10;
      change = pct === 0 ? words.yoy_flat
        : format(pct > 0 ? words.yoy_up : words.yoy_down, { pct: numberText(Math.abs(pct)) });
    }
    return words.html_lang.startsWith("zh") ? `${text}；${change}` : `${text}; ${change}.`;
  }

  window.geogridWords = Object.freeze({ format, numberText, figure, yoySentence });
})();
