// The dashboard's pages: runs, compare, run, sweeps, sweep. Hash routes (#/runs, #/run/ID,
// #/compare?runs=a,b, #/sweeps, #/sweep/ID); data from /api/; live through server-sent events.
"use strict";
const main = document.getElementById("main");
const state = { runs: { filters: "", sort: "", columns: "", offset: 0, limit: 100, selected: new Set() }, compare: { metrics: [], smoothing: 1, log: false, x: "step" } };

// Drawing that needs the page in the document (sizes): run once the page is shown.
const pending = [];
function later(draw) { pending.push(draw); }

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c != null) e.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  return e;
}

async function api(path) {
  if (window.TEMPER_OFFLINE) {  // a self-contained report: the answers are baked in
    if (path in window.TEMPER_OFFLINE) return window.TEMPER_OFFLINE[path];
    throw new Error("not in this report: " + path);
  }
  const response = await fetch(path, { cache: "no-store" });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function fmt(v) { return v == null ? "" : typeof v === "number" ? Number(v.toPrecision(5)).toString() : String(v); }
function stateCell(s) { return el("td", { class: "state-" + s }, s); }
function showError(where, error) { where.appendChild(el("p", { class: "error" }, String(error.message || error))); }

// ---- Runs ----
async function runsPage() {
  const s = state.runs;
  const params = new URLSearchParams({ offset: s.offset, limit: s.limit });
  for (const f of s.filters.split(/\s+/).filter(Boolean)) params.append("filter", f);
  if (s.sort) params.set("sort", s.sort);
  if (s.columns) params.set("columns", s.columns);
  const page = el("section", { id: "runs-page" });
  const filter = el("input", { type: "text", id: "filter", placeholder: "filters: state=finished val_accuracy>0.8 tags~bn", value: s.filters });
  const columns = el("input", { type: "text", id: "columns", list: "available-columns", placeholder: "columns: name,state,val_accuracy,config.lr", value: s.columns });
  const apply = () => { s.filters = filter.value; s.columns = columns.value; s.offset = 0; render(); };
  filter.addEventListener("keydown", e => { if (e.key === "Enter") apply(); });
  columns.addEventListener("keydown", e => { if (e.key === "Enter") apply(); });
  page.appendChild(el("h1", {}, "Runs"));
  page.appendChild(el("div", { class: "controls" }, filter, columns, el("button", { onclick: apply }, "Apply"),
    el("button", { id: "compare", onclick: () => { location.hash = "#/compare?runs=" + Array.from(s.selected).map(encodeURIComponent).join(","); } }, "Compare selected")));
  let data;
  try { data = await api("/api/runs?" + params); } catch (e) { showError(page, e); return page; }
  page.appendChild(el("datalist", { id: "available-columns" }, data.available.map(c => el("option", { value: c }))));
  const head = el("tr", {}, el("th", {}, ""), data.columns.map(c => el("th", { "data-column": c, onclick: () => { s.sort = s.sort === c ? "-" + c : c; render(); } },
    c + (s.sort === c ? " ▲" : s.sort === "-" + c ? " ▼" : ""))));
  const body = data.rows.map(r => el("tr", { "data-run": r.id },
    el("td", {}, el("input", { type: "checkbox", checked: s.selected.has(r.id), onchange: e => { e.target.checked ? s.selected.add(r.id) : s.selected.delete(r.id); } })),
    r.cells.map((cell, i) => data.columns[i] === "name" ? el("td", {}, el("a", { href: "#/run/" + encodeURIComponent(r.id) }, cell))
      : data.columns[i] === "state" ? stateCell(cell) : el("td", { title: cell }, cell))));
  page.appendChild(el("table", { id: "runs-table" }, el("thead", {}, head), el("tbody", {}, body)));
  const last = Math.min(data.total, data.offset + data.rows.length);
  page.appendChild(el("div", { class: "controls" },
    el("button", { disabled: s.offset === 0, onclick: () => { s.offset = Math.max(0, s.offset - s.limit); render(); } }, "◀"),
    el("span", { id: "runs-count" }, `${data.total ? data.offset + 1 : 0}–${last} of ${data.total} runs`),
    el("button", { disabled: last >= data.total, onclick: () => { s.offset += s.limit; render(); } }, "▶")));
  return page;
}

// ---- Run ----
async function runPage(id) {
  const page = el("section", { id: "run-page" });
  let run, history, system, histograms;
  try {
    run = await api("/api/runs/" + encodeURIComponent(id));
    [history, system] = await Promise.all([api(`/api/runs/${encodeURIComponent(id)}/history?points=${chartWidth()}`), api(`/api/runs/${encodeURIComponent(id)}/system`)]);
    histograms = run.histograms.length ? await api(`/api/runs/${encodeURIComponent(id)}/histograms`) : {};
  } catch (e) { showError(page, e); return page; }
  page.appendChild(el("h1", {}, run.name + " ", el("span", { class: "state-" + run.state, id: "run-state" }, run.state)));
  page.appendChild(el("p", {}, `${run.project} · ${run.id} · ${run.tags.join(", ")}${run.group ? " · group " + run.group : ""} · ${fmt(run.runtime)} s` +
    (run.sweep ? ` · sweep ${run.sweep} trial ${run.trial}` : "")));
  if (run.notes) page.appendChild(el("p", { class: "notes" }, run.notes));
  if (run.error) page.appendChild(el("p", { class: "error" }, run.error));
  page.appendChild(el("h2", {}, "Metrics"));
  const charts = el("div", { class: "charts", id: "metric-charts" });
  page.appendChild(charts);
  for (const key of Object.keys(history.series).sort()) addChart(charts, key, [{ name: key, points: history.series[key] }], {});
  const config = Object.entries(run.config).sort(([a], [b]) => a.localeCompare(b));
  page.appendChild(el("h2", {}, "Config and summary"));
  page.appendChild(el("div", { class: "controls" },
    el("table", { class: "kv" }, config.map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", {}, typeof v === "object" ? JSON.stringify(v) : String(v))))),
    el("table", { class: "kv" }, Object.entries(run.summary).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) =>
      el("tr", {}, el("td", {}, k), el("td", {}, `${fmt(v.last)} (min ${fmt(v.min)}, max ${fmt(v.max)}, ${v.count} values)`))))));
  if (run.histograms.length) {
    page.appendChild(el("h2", {}, "Weights and gradients"));
    const grid = el("div", { class: "charts", id: "histograms" });
    page.appendChild(grid);
    for (const name of run.histograms) {
      const box = el("div", { class: "chart" }, el("h3", {}, name));
      grid.appendChild(box);
      histogramHeatmap(box, histograms[name] || []);
    }
  }
  if (run.systemMetrics.length) {
    page.appendChild(el("h2", {}, "System"));
    const grid = el("div", { class: "charts", id: "system-charts" });
    page.appendChild(grid);
    for (const key of run.systemMetrics) addChart(grid, key, [{ name: key, points: system[key].map(p => [p[0] - run.createdAt, p[1]]) }], { xlabel: "seconds" });
  }
  return page;
}

function chartWidth() { return Math.max(200, Math.min(2000, Math.round(window.innerWidth / 2))); }

function addChart(grid, title, series, options) {
  const plot = el("div", { class: "plot" });
  const box = el("div", { class: "chart", "data-series": series.length }, el("h3", {}, title), plot);
  grid.appendChild(box);
  later(() => { const graph = lineChart(plot, series, options); if (graph) window.temperCharts.push({ title, graph }); });
}

// ---- Compare ----
async function comparePage(query) {
  const page = el("section", { id: "compare-page" });
  const ids = (query.get("runs") || "").split(",").filter(Boolean);
  page.appendChild(el("h1", {}, `Compare ${ids.length} runs`));
  if (!ids.length) { page.appendChild(el("p", {}, "Select runs on the runs page first.")); return page; }
  const c = state.compare;
  let runs, histories;
  try {
    runs = await Promise.all(ids.map(id => api("/api/runs/" + encodeURIComponent(id))));
    histories = await Promise.all(ids.map(id => api(`/api/runs/${encodeURIComponent(id)}/history?points=${chartWidth()}&x=${c.x}`)));
  } catch (e) { showError(page, e); return page; }
  // Chosen metrics, one chart each with every run on it; x is the step or the time since each run started.
  const metrics = Array.from(new Set(runs.flatMap(r => Object.keys(r.summary)))).sort();
  c.metrics = c.metrics.filter(m => metrics.includes(m));
  if (!c.metrics.length) c.metrics = [metrics.includes("val_accuracy") ? "val_accuracy" : metrics[0]].filter(Boolean);
  const select = el("select", { id: "metrics", multiple: true, size: Math.min(6, Math.max(2, metrics.length)),
    onchange: e => { c.metrics = Array.from(e.target.selectedOptions).map(o => o.value); render(); } },
    metrics.map(m => el("option", { value: m, selected: c.metrics.includes(m) }, m)));
  const axis = el("select", { id: "x-axis", onchange: e => { c.x = e.target.value; render(); } },
    [["step", "step"], ["time", "time (s since start)"]].map(([v, label]) => el("option", { value: v, selected: v === c.x }, label)));
  const smoothing = el("input", { type: "number", min: 1, max: 100, value: c.smoothing, id: "smoothing", onchange: e => { c.smoothing = Math.max(1, Number(e.target.value) || 1); render(); } });
  const log = el("input", { type: "checkbox", checked: c.log, id: "logscale", onchange: e => { c.log = e.target.checked; render(); } });
  page.appendChild(el("div", { class: "controls" }, "metrics ", select, " x ", axis, " smoothing ", smoothing, el("label", {}, log, " log scale")));
  const grid = el("div", { class: "charts", id: "compare-charts" });
  page.appendChild(grid);
  const xlabel = c.x === "time" ? "seconds since start" : "step";
  for (const metric of c.metrics) {
    addChart(grid, metric, runs.map((r, i) => ({ name: `${r.name} (${r.id})`, points: histories[i].series[metric] || [] })), { logscale: c.log, smoothing: c.smoothing, xlabel });
  }
  return page;
}

// ---- Sweeps ----
async function sweepsPage() {
  const page = el("section", { id: "sweeps-page" }, el("h1", {}, "Sweeps"));
  let sweeps;
  try { sweeps = await api("/api/sweeps"); } catch (e) { showError(page, e); return page; }
  page.appendChild(el("table", { id: "sweeps-table" }, el("tr", {}, ["name", "id", "project", "method", "state", "trials", "scored", "best"].map(h => el("th", {}, h))),
    sweeps.map(s => el("tr", {}, el("td", {}, el("a", { href: "#/sweep/" + encodeURIComponent(s.id) }, s.name)), el("td", {}, s.id), el("td", {}, s.project),
      el("td", {}, s.method), stateCell(s.state), el("td", {}, s.trials), el("td", {}, s.scored), el("td", {}, fmt(s.best))))));
  return page;
}

async function sweepPage(id) {
  const page = el("section", { id: "sweep-page" });
  let sweep;
  try { sweep = await api("/api/sweeps/" + encodeURIComponent(id)); } catch (e) { showError(page, e); return page; }
  const better = sweep.goal === "minimize" ? (a, b) => a < b : (a, b) => a > b;
  page.appendChild(el("h1", {}, `${sweep.name} `, el("span", { class: "state-" + sweep.state }, sweep.state)));
  page.appendChild(el("p", {}, `${sweep.project} · ${sweep.method} · seed ${sweep.seed} · ${sweep.goal || ""} ${sweep.objective || "score"} · ${sweep.trials.length} trials`));
  const trials = sweep.trials;
  // Optimization history: score per trial and best so far.
  let best = null;
  const perTrial = [], bestSoFar = [];
  for (const t of trials) {
    if (t.score != null) { perTrial.push([t.number, t.score]); if (best == null || better(t.score, best)) best = t.score; }
    if (best != null) bestSoFar.push([t.number, best]);
  }
  const grid = el("div", { class: "charts", id: "sweep-charts" });
  page.append(el("h2", {}, "Optimization history"), grid);
  addChart(grid, "score per trial, best so far", [{ name: "score", points: perTrial }, { name: "best so far", points: bestSoFar }], { xlabel: "trial" });
  // Parallel coordinates over the parameters and the score; brushing filters the table below.
  const table = trialsTable(sweep);
  const dims = sweep.parameters.map(p => ({ name: p, values: trials.map(t => t.config[p] ?? null) })).concat([{ name: sweep.objective || "score", values: trials.map(t => t.score) }]);
  const coords = el("div", { id: "parallel-coordinates" });
  page.append(el("h2", {}, "Parallel coordinates (drag on an axis to filter the trials; double-click to clear)"), coords);
  later(() => parallelCoordinates(coords, dims, trials.map(t => t.score), keep => {
    const kept = new Set(keep.map(i => String(trials[i].number)));
    for (const row of table.querySelectorAll("tbody tr")) row.classList.toggle("hidden", !kept.has(row.dataset.trial));
    document.getElementById("trials-shown").textContent = `${kept.size} of ${trials.length} trials shown`;
  }));
  page.appendChild(el("h2", {}, "Parameter importance (90% intervals)"));
  const imp = el("div", { id: "importance" });
  page.appendChild(imp);
  // Importance fits forests (seconds on a thousand trials): the rest of the page does not wait.
  imp.textContent = "computing…";
  later(() => api(`/api/sweeps/${encodeURIComponent(id)}/importance`).then(rows => {
    imp.textContent = "";
    if (rows.length) importanceBars(imp, rows); else imp.textContent = "after 5 scored trials";
  }, e => { imp.textContent = ""; showError(imp, e); }));
  page.appendChild(el("h2", {}, "Score against each parameter"));
  const slices = el("div", { class: "charts", id: "slices" });
  page.appendChild(slices);
  for (const p of sweep.parameters) slicePlot(slices, p, trials.map(t => t.config[p] ?? null), trials.map(t => t.score));
  page.appendChild(el("h2", {}, "Learning curves (stopped trials dashed)"));
  const curves = el("div", { class: "charts", id: "learning-curves" });
  page.appendChild(curves);
  const metric = sweep.objective;
  if (metric) {
    const withRuns = trials.filter(t => t.runs.length).slice(-40);
    const histories = await Promise.all(withRuns.map(t => api(`/api/runs/${encodeURIComponent(t.runs[t.runs.length - 1])}/history?keys=${encodeURIComponent(metric)}&points=400`).catch(() => ({ series: {} }))));
    addChart(curves, metric, withRuns.map((t, i) => ({ name: `trial ${t.number}${t.state === "stopped" ? " (stopped)" : ""}`, dashed: t.state === "stopped", points: histories[i].series[metric] || [] })), {});
  }
  page.append(el("h2", {}, "Trials ", el("span", { id: "trials-shown" }, `${trials.length} of ${trials.length} trials shown`)), table);
  return page;
}

function trialsTable(sweep) {
  const order = sweep.trials.slice().sort((a, b) => (a.score == null) - (b.score == null) || (sweep.goal === "minimize" ? a.score - b.score : b.score - a.score) || a.number - b.number);
  return el("table", { id: "trials-table" }, el("thead", {}, el("tr", {}, ["trial", "state", sweep.objective || "score"].concat(sweep.parameters, ["why"]).map(h => el("th", {}, h)))),
    el("tbody", {}, order.map(t => el("tr", { "data-trial": String(t.number) }, el("td", {}, t.runs.length && !window.TEMPER_OFFLINE ? el("a", { href: "#/run/" + encodeURIComponent(t.runs[t.runs.length - 1]) }, String(t.number)) : String(t.number)),
      stateCell(t.state), el("td", {}, fmt(t.score)), sweep.parameters.map(p => el("td", {}, fmt(t.config[p]))), el("td", { title: t.error || "" }, t.error || "")))));
}

// ---- Routing and live updates ----
let rendering = false, again = false;
async function render() {
  if (rendering) { again = true; return; }
  rendering = true;
  pending.length = 0;
  window.temperCharts = [];  // the page's line charts, for scripts and tests
  try {
    const [path, queryText] = (location.hash.slice(1) || "/runs").split("?");
    const query = new URLSearchParams(queryText || "");
    const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    let page;
    if (parts[0] === "run" && parts[1]) page = await runPage(parts[1]);
    else if (parts[0] === "compare") page = await comparePage(query);
    else if (parts[0] === "sweeps") page = await sweepsPage();
    else if (parts[0] === "sweep" && parts[1]) page = await sweepPage(parts[1]);
    else page = await runsPage();
    const scroll = window.scrollY;
    main.replaceChildren(page);
    for (const draw of pending.splice(0)) draw();
    window.scrollTo(0, scroll);
    document.body.dataset.rendered = String(Number(document.body.dataset.rendered || 0) + 1);
  } finally {
    rendering = false;
    if (again) { again = false; render(); }
  }
}

window.addEventListener("hashchange", () => { window.scrollTo(0, 0); render(); });
if (!window.TEMPER_OFFLINE) {
  const live = document.getElementById("live");
  const events = new EventSource("/api/events");
  events.addEventListener("hello", () => { live.textContent = "live"; });
  events.addEventListener("change", () => { live.textContent = "live · updated " + new Date().toLocaleTimeString(); render(); });
  events.onerror = () => { live.textContent = "reconnecting…"; };
}
render();
