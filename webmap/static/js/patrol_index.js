/* Team-leader start page: open a shift's plan, or compute it and follow the job's progress. */
(function () {
  "use strict";
  const { call, pollJob, errorText } = window.geogridStaff;
  const form = document.getElementById("pick-form");
  const team = document.getElementById("team");
  if (!form || !team) return;
  const date = document.getElementById("date");
  const planUrl = () => form.dataset.plansUrl + encodeURIComponent(date.value) + "/" + encodeURIComponent(team.value);
  document.getElementById("open-btn").addEventListener("click", () => { location.href = planUrl(); });
  document.getElementById("compute-btn").addEventListener("click", async (ev) => {
    ev.target.disabled = true;
    const bar = document.getElementById("progress"), status = document.getElementById("job-status");
    const r = await call("POST", form.dataset.startUrl, { date: date.value });
    if (!r.ok) { status.textContent = errorText(r); ev.target.disabled = false; return; }
    bar.hidden = false;
    const job = await pollJob(r.data.status_url, (j) => {
      // a plan of many teams is one job of several parts (team groups): show parts done / parts
      const parts = j.parts && j.parts.total > 1 ? j.parts : null;
      bar.value = parts ? Math.max(j.progress, parts.done / parts.total) : j.progress;
      const what = j.message || j.state;
      status.textContent = parts ? `${parts.done} / ${parts.total} 组完成 (team groups done) · ${what}` : what;
    });
    if (job.state === "done") location.href = planUrl();
    else { status.textContent = "失败 failed: " + job.error; ev.target.disabled = false; }
  });
})();
