/* Shared helpers of the staff pages: JSON calls with the CSRF token, job polling. */
(function () {
  "use strict";
  const token = document.querySelector('meta[name="csrf-token"]').content;

  async function call(method, url, body, etag) {
    const headers = { "X-CSRF-Token": token, "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (etag) headers["If-Match"] = '"' + etag + '"';
    const res = await fetch(url, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    return { status: res.status, ok: res.ok, data, etag: (res.headers.get("ETag") || "").replace(/"/g, "") };
  }

  function pollJob(url, onProgress) {
    return new Promise((resolve) => {
      async function tick() {
        const r = await call("GET", url);
        const job = r.data || { state: "failed", error: "lost the job" };
        onProgress(job);
        if (job.state === "done" || job.state === "failed" || !r.ok) resolve(job);
        else setTimeout(tick, 400);
      }
      tick();
    });
  }

  function errorText(r) {
    return (r.data && r.data.error && r.data.error.message) || ("HTTP " + r.status);
  }

  window.geogridStaff = { call, pollJob, errorText };
})();
