// The Gantt chart: fetches every row once as compact JSON, keeps in the document only
// the rows in view (virtual scrolling), so 5,000 tasks scroll like 50.
// Row: [id, name, depth, kind (0 task, 1 summary, 2 milestone), start, finish,
//       critical, done %, baseline start, baseline finish, parent row, [pred rows]]
"use strict";
(() => {
  const ROW = 22, HEAD = 24, NAMES = () => (window.innerWidth <= 640 ? 140 : 260);
  const SCALE = { day: 24, week: 6, month: 1.6, quarter: 0.6 };
  const box = document.getElementById("gantt");
  if (!box) return;
  const status = document.getElementById("gantt-status");
  const explainBox = document.getElementById("explain");
  let data = null, visible = [], collapsed = new Set(), ppd = SCALE.week;
  let layer = null, spacer = null, pending = false;
  const opt = { arrows: true, baseline: true, critical: false };

  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const dateOf = (day) => {
    const d = new Date(data.origin + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + day);
    return d.toISOString().slice(0, 10);
  };

  // Which rows show: not inside a collapsed summary, and critical ones only when asked.
  function rebuild() {
    visible = [];
    const rows = data.rows;
    for (let i = 0; i < rows.length; i++) {
      let p = rows[i][10], hidden = false;
      while (p >= 0) { if (collapsed.has(p)) { hidden = true; break; } p = rows[p][10]; }
      if (hidden) continue;
      if (opt.critical && !rows[i][6] && rows[i][3] !== 1) continue;
      visible.push(i);
    }
    const width = NAMES() + (data.finish + 14) * ppd;
    spacer.style.height = HEAD + visible.length * ROW + "px";
    spacer.style.width = width + "px";
    status.textContent = `${visible.length} of ${rows.length} rows shown · ${data.baseline ? "baseline " + data.baseline : "no baseline"}`;
    draw();
  }

  function ticks(x0, x1, y) {
    // Labels every week, month or quarter depending on the zoom, only where visible.
    const out = [];
    // About 150 px or more between labels at every zoom.
    const step = ppd >= 24 ? 7 : ppd >= 6 ? 28 : ppd >= 1.6 ? 91 : 364;
    const first = Math.max(0, Math.floor((x0 - NAMES()) / ppd / step) * step);
    for (let d = first; d * ppd + NAMES() < x1 && d < data.finish + 14; d += step) {
      const x = NAMES() + d * ppd;
      // A grid line the whole height, and its date in a band kept at the top of the view.
      out.push(`<div class="tick" style="left:${x}px;height:${HEAD + visible.length * ROW}px"></div>`);
      out.push(`<div class="ticklabel" style="left:${x}px;top:${y}px">${dateOf(d)}</div>`);
    }
    return out.join("");
  }

  function draw() {
    pending = false;
    const top = box.scrollTop, h = box.clientHeight, left = box.scrollLeft, w = box.clientWidth;
    const first = Math.max(0, Math.floor((top - HEAD) / ROW) - 2);
    const last = Math.min(visible.length, Math.ceil((top + h) / ROW) + 2);
    const rows = data.rows, names = NAMES();
    const html = [`<div class="tickband" style="top:${top}px;width:${spacer.style.width}"></div>`, ticks(left, left + w, top)];
    if (data.status != null) {
      html.push(`<div class="status-line" style="left:${names + data.status * ppd}px;height:${HEAD + visible.length * ROW}px" title="status date ${dateOf(data.status)}"></div>`);
    }
    const place = new Map();
    for (let v = first; v < last; v++) {
      const i = visible[v], r = rows[i];
      const y = HEAD + v * ROW;
      place.set(i, y);
      const x = names + r[4] * ppd, bw = Math.max(2, (r[5] - r[4]) * ppd);
      const kind = r[3] === 2 ? "ms" : r[3] === 1 ? "sum" : r[6] ? "crit" : "";
      const label = `${r[0]} ${r[1]}: ${dateOf(r[4])} to ${dateOf(Math.max(r[4], r[5] - 1))}${r[6] ? ", critical" : ""}${r[7] ? `, ${r[7]}% done` : ""}`;
      const toggle = r[3] === 1 ? `<button type="button" data-toggle="${i}" aria-expanded="${!collapsed.has(i)}" aria-label="${collapsed.has(i) ? "Expand" : "Collapse"} ${esc(r[0])}">${collapsed.has(i) ? "▸" : "▾"}</button>` : "";
      let ghost = "";
      if (opt.baseline && r[8] != null) ghost = `<div class="ghost" style="left:${names + r[8] * ppd}px;width:${Math.max(2, (r[9] - r[8]) * ppd)}px" title="baseline ${dateOf(r[8])} to ${dateOf(r[9] - 1)}"></div>`;
      html.push(`<div class="row" style="top:${y}px;width:${spacer.style.width}" data-row="${i}">` +
        `<div class="name" style="padding-left:${6 + r[2] * 12}px">${toggle}<button type="button" data-explain="${esc(r[0])}" title="${esc(label)}">${esc(r[1])}</button></div>` +
        ghost +
        `<div class="bar-t ${kind}" style="left:${r[3] === 2 ? x - 6 : x}px;width:${bw}px" data-explain="${esc(r[0])}" title="${esc(label)}">` +
        (r[7] && r[3] !== 2 ? `<div class="done" style="width:${r[7]}%"></div>` : "") + `</div></div>`);
    }
    if (opt.arrows) {
      // Arrows between rows both in view: from the predecessor's end to the task's start.
      const paths = [];
      for (const [i, y] of place) {
        const r = rows[i];
        for (const p of r[11]) {
          const py = place.get(p);
          if (py === undefined) continue;
          const x1 = names + rows[p][5] * ppd, y1 = py + 11;
          const x2 = names + r[4] * ppd, y2 = y + 11;
          const crit = r[6] && rows[p][6];
          paths.push(`<path d="M${x1} ${y1} H${Math.max(x1 + 4, x2 - 6)} V${y2} H${x2}" class="${crit ? "c" : ""}" marker-end="url(#ah)"/>`);
        }
      }
      html.push(`<svg class="arrows" width="${spacer.style.width}" height="${spacer.style.height}" aria-hidden="true"><defs><marker id="ah" viewBox="0 0 6 6" refX="6" refY="3" markerWidth="6" markerHeight="6" orient="auto"><path d="M0 0L6 3L0 6z" fill="#555"/></marker></defs><g fill="none" stroke="#777" stroke-width="1">${paths.join("")}</g></svg>`);
    }
    layer.innerHTML = html.join("");
  }

  function schedule() {
    if (!pending) { pending = true; requestAnimationFrame(draw); }
  }

  async function explain(id) {
    explainBox.textContent = `Asking why ${id} starts when it does…`;
    try {
      const r = await fetch(`${box.dataset.explain}?task=${encodeURIComponent(id)}`, { credentials: "same-origin" });
      explainBox.textContent = r.ok ? await r.text() : `No explanation (${r.status}).`;
    } catch (e) {
      explainBox.textContent = "No explanation: the server could not be reached.";
    }
  }

  box.addEventListener("scroll", schedule, { passive: true });
  window.addEventListener("resize", schedule);
  box.addEventListener("click", (ev) => {
    const t = ev.target.closest("[data-toggle]");
    if (t) {
      const i = Number(t.dataset.toggle);
      if (collapsed.has(i)) collapsed.delete(i); else collapsed.add(i);
      rebuild();
      const again = box.querySelector(`[data-toggle="${i}"]`);
      if (again) again.focus();
      return;
    }
    const e = ev.target.closest("[data-explain]");
    if (e) explain(e.dataset.explain);
  });
  document.getElementById("zoom").addEventListener("change", (ev) => {
    // Keep the date at the left edge in view across zoom levels.
    const day = (box.scrollLeft) / ppd;
    ppd = SCALE[ev.target.value] || SCALE.week;
    rebuild();
    box.scrollLeft = day * ppd;
  });
  document.getElementById("show-arrows").addEventListener("change", (ev) => { opt.arrows = ev.target.checked; draw(); });
  document.getElementById("show-baseline").addEventListener("change", (ev) => { opt.baseline = ev.target.checked; draw(); });
  document.getElementById("only-critical").addEventListener("change", (ev) => { opt.critical = ev.target.checked; rebuild(); });
  document.getElementById("collapse-all").addEventListener("click", () => {
    // Workstreams: the top-level summaries, or the children of the program's one
    // root summary when the plan has a single root.
    const roots = data.rows.filter((r) => r[2] === 0 && r[3] === 1).length;
    const level = roots === 1 ? 1 : 0;
    data.rows.forEach((r, i) => { if (r[3] === 1 && r[2] === level) collapsed.add(i); });
    rebuild();
  });
  document.getElementById("expand-all").addEventListener("click", () => { collapsed.clear(); rebuild(); });

  fetch(box.dataset.src, { credentials: "same-origin" })
    .then((r) => { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
    .then((d) => {
      data = d;
      box.innerHTML = "";
      spacer = document.createElement("div");
      spacer.className = "spacer-v";
      layer = document.createElement("div");
      spacer.appendChild(layer);
      box.appendChild(spacer);
      rebuild();
      // Start at the status date, where the news is.
      if (data.status != null) box.scrollLeft = Math.max(0, data.status * ppd - 120);
      draw();
      // First paint: rows are in the document; the benchmark reads this figure.
      requestAnimationFrame(() => {
        window.ganttFirstPaint = performance.now();
        box.dataset.paintMs = String(Math.round(window.ganttFirstPaint));
        box.dataset.ready = "1";
      });
    })
    .catch((e) => {
      box.innerHTML = `<p class="notice error" role="alert">The schedule could not be loaded (${esc(e.message)}).</p>`;
    });
})();
