/* Planner staffing page: every grid's 1+3+N posts, gaps and overloads; assign/unassign with If-Match. */
(function () {
  "use strict";
  const { call, pollJob, errorText } = window.geogridStaff;
  const root = document.getElementById("staffing");
  const urls = root.dataset;
  const $ = (id) => document.getElementById(id);
  const ROLES = ["worker", "police", "cadre", "property", "volunteer"];
  const ZH = { worker: "专职网格员", police: "社区民警", cadre: "社区干部", property: "物业", volunteer: "志愿者" };
  let state = null, etag = null;

  // text from the data (names, codes, messages) reaches the page as text, never as HTML
  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function showSaved(text) { const s = $("saved"); s.textContent = text || ""; s.hidden = !text; }
  function showConflict(text) { const c = $("conflict"); c.textContent = text || ""; c.hidden = !text; }
  function result(text, ok) { const r = $("edit-result"); r.textContent = text; r.className = ok ? "ok" : "error"; }

  function overloadedIds() { return new Set(state.overloaded.map((o) => o.person)); }

  function personChip(grid, role, person, over) {
    const chip = el("span", null, "chip" + (over.has(person.id) ? " chip-over" : ""));
    chip.dataset.person = person.id;
    chip.append(el("span", person.name));
    if (person.phone && role !== "volunteer") chip.title = person.phone;
    const off = el("button", "×", "unassign");
    off.type = "button";
    off.title = "撤下 unassign " + person.name;
    off.setAttribute("aria-label", "unassign " + person.name + " from " + grid.code);
    off.addEventListener("click", () => edit({ op: "unassign", person: person.id, grid: grid.code, role }));
    chip.append(off);
    return chip;
  }

  function openChip(grid, role, missing) {
    const chip = el("span", "空缺 open" + (missing > 1 ? " ×" + missing : ""), "chip chip-open");
    chip.dataset.grid = grid.code;
    chip.dataset.role = role;
    chip.addEventListener("click", () => prefill(grid.code, role));
    return chip;
  }

  function renderTable() {
    const body = $("staffing-table").querySelector("tbody");
    clear(body);
    const over = overloadedIds();
    for (const grid of state.grids) {
      const tr = el("tr", null, grid.full ? "row-full" : "row-gap");
      tr.dataset.grid = grid.code;
      const code = el("td");
      code.append(el("strong", grid.code));
      if (grid.name) code.append(el("div", grid.name));
      tr.append(code, el("td", grid.community || ""));
      for (const role of ROLES) {
        const post = grid.posts[role];
        const td = el("td", null, "post post-" + role + (post.missing ? " post-open" : ""));
        for (const person of post.people) td.append(personChip(grid, role, person, over));
        if (post.missing) td.append(openChip(grid, role, post.missing));
        if (role === "volunteer") td.append(el("small", " " + post.people.length + "/" + post.need + "+"));
        tr.append(td);
      }
      body.append(tr);
    }
  }

  function renderLists() {
    const gaps = $("gaps"); clear(gaps);
    for (const gap of state.gaps) {
      const li = el("li", gap.grid + "：" + ZH[gap.role] + " " + gap.role + " ×" + gap.missing);
      li.addEventListener("click", () => prefill(gap.grid, gap.role));
      gaps.append(li);
    }
    $("gap-count").textContent = state.gaps.reduce((n, g) => n + g.missing, 0);
    const over = $("overloaded"); clear(over);
    for (const o of state.overloaded) over.append(el("li", o.name + "：" + o.grids + " 格 grids / " + o.capacity));
    $("over-count").textContent = state.overloaded.length;
    const issues = $("issues"); clear(issues);
    for (const i of state.issues) {
      issues.append(el("li", [i.grid, i.person, i.kind].filter(Boolean).join(" · ") + "：" + i.message));
    }
    $("issue-count").textContent = state.issues.length;
    const versions = $("versions"); clear(versions);
    for (const v of state.versions) {
      versions.append(el("li", "s" + String(v.version).padStart(4, "0") + " · " + v.author + " · " + v.time + " · " + v.message));
    }
  }

  function renderGridOptions() {
    const select = $("edit-grid");
    const chosen = select.value;
    clear(select);
    for (const grid of state.grids) {
      const option = el("option", grid.code + (grid.full ? "" : " (空缺 gap)"));
      option.value = grid.code;
      select.append(option);
    }
    if (chosen && state.grids.some((g) => g.code === chosen)) select.value = chosen;
  }

  function renderPeople() {
    const role = $("edit-role").value;
    const grid = state.grids.find((g) => g.code === $("edit-grid").value);
    const select = $("edit-person");
    const chosen = select.value;
    clear(select);
    const people = state.people.filter((p) => p.role === role)
      .map((p) => ({ p, free: p.capacity - p.grids.length, home: grid && p.community === grid.community }))
      .sort((a, b) => (b.home - a.home) || (b.free - a.free) || a.p.name.localeCompare(b.p.name));
    for (const { p } of people) {
      const option = el("option", p.name + " · " + (p.community || "?") + " · " + p.grids.length + "/" + p.capacity + " 格 grids");
      option.value = p.id;
      select.append(option);
    }
    if (chosen && people.some(({ p }) => p.id === chosen)) select.value = chosen;
  }

  function render() {
    $("version").textContent = state.etag;
    $("saved-by").textContent = state.saved ? "· " + state.saved.author + " · " + state.saved.time + " · " + state.saved.message : "· 尚无配置 no staffing yet";
    $("synthetic-label").hidden = !state.synthetic;
    const problem = $("roster-problem");
    problem.textContent = state.roster_problem || "";
    problem.hidden = !state.roster_problem;
    $("summary").textContent = state.summary;
    renderTable();
    renderLists();
    renderGridOptions();
    renderPeople();
  }

  function prefill(code, role) {
    $("edit-grid").value = code;
    $("edit-role").value = role;
    renderPeople();
    $("edit-person").focus();
  }

  function accept(r) {
    state = r.data;
    etag = r.etag || state.etag;
    render();
  }

  async function load() {
    const r = await call("GET", urls.stateUrl);
    if (!r.ok) { showConflict(errorText(r)); return; }
    accept(r);
  }

  async function edit(body) {
    const message = $("edit-message").value.trim();
    if (message) body.message = message;
    showSaved(""); showConflict("");
    const r = await call("POST", urls.editUrl, body, etag);
    if (r.ok) {
      accept(r);
      showSaved(r.data.result);
      result("已保存 saved " + r.data.etag, true);
      $("edit-message").value = "";
    } else if (r.status === 409) {
      showConflict(errorText(r));
      result("未保存 not saved: 请刷新 reload", false);
    } else {
      const rules = (r.data && r.data.error && r.data.error.rules) || [];
      const lines = [errorText(r)];
      if (rules.length) lines.splice(0, 1, "未保存，违反规则 not saved, it breaks: " + rules.map((x) => x.kind).join(", "));
      for (const rule of rules) lines.push("· " + rule.message);
      result(lines.join("\n"), false);
    }
  }

  $("edit-grid").addEventListener("change", renderPeople);
  $("edit-role").addEventListener("change", renderPeople);
  $("edit-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const person = $("edit-person").value;
    if (!person) { result("请选择人员 choose a person", false); return; }
    edit({ op: "assign", person, grid: $("edit-grid").value, role: $("edit-role").value });
  });

  $("rerun-btn").addEventListener("click", async () => {
    const seed = Number($("assign-seed").value || "0");
    const body = Number.isInteger(seed) && seed >= 0 ? { seed } : {};
    const message = $("edit-message").value.trim();
    if (message) body.message = message;
    showConflict("");
    const r = await call("POST", urls.assignUrl, body, etag);
    if (!r.ok) {
      (r.status === 409 ? showConflict : (t) => { $("rerun-status").textContent = t; })(errorText(r));
      return;
    }
    const bar = $("rerun-progress"); bar.hidden = false;
    const job = await pollJob(r.data.status_url, (j) => { bar.value = j.progress; $("rerun-status").textContent = j.message || j.state; });
    bar.hidden = true;
    $("rerun-status").textContent = job.state === "done" ? job.result.summary.join("; ") : "失败 failed: " + job.error;
    await load();
  });

  function boardsHref() {
    $("boards-link").href = urls.boardsUrl + ($("boards-phones").checked ? "?phones=1" : "?phones=0");
  }
  $("boards-phones").addEventListener("change", boardsHref);
  boardsHref();

  window.geogridStaffing = { load, state: () => state };
  load();
})();
