// Temper's own SVG charts (parallel coordinates with brushing, slice plots, importance bars,
// histograms over time) and a wrapper over dygraphs for line charts. Text from the store goes in
// through textContent or escaped, never as HTML.
"use strict";
const SVGNS = "http://www.w3.org/2000/svg";

function escapeHTML(text) {
  return String(text).replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function svgEl(tag, attrs, parent) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function svgText(parent, x, y, text, attrs) {
  const t = svgEl("text", Object.assign({ x, y }, attrs || {}), parent);
  t.textContent = text;
  return t;
}

// A line chart of several series on shared x: `series` is [{name, points: [[x, y|null]…]}].
// Options: logscale, smoothing (rolling average width), xlabel, strokePattern per series.
function lineChart(container, series, options) {
  options = options || {};
  const xs = Array.from(new Set(series.flatMap(s => s.points.map(p => p[0])))).sort((a, b) => a - b);
  const index = series.map(s => new Map(s.points.map(p => [p[0], p[1]])));
  const rows = xs.map(x => [x].concat(index.map(m => (m.has(x) ? m.get(x) : null))));
  const labels = [options.xlabel || "step"].concat(series.map(s => escapeHTML(s.name)));
  const perSeries = {};
  series.forEach((s, i) => { if (s.dashed) perSeries[labels[i + 1]] = { strokePattern: [4, 3] }; });
  if (rows.length === 0) { container.textContent = "no data yet"; return null; }
  return new Dygraph(container, rows, {
    labels, series: perSeries, logscale: !!options.logscale, rollPeriod: options.smoothing || 1,
    connectSeparatedPoints: true, legend: "follow", labelsSeparateLines: true, xlabel: options.xlabel || "step",
    highlightSeriesOpts: { strokeWidth: 2 }, strokeWidth: 1.2, drawPoints: rows.length < 60,
  });
}

// Parallel coordinates: one axis per dimension ({name, values: [number|string], log}), one line per
// row; dragging on an axis selects a range (a brush), and onFilter gets the rows inside every brush.
function parallelCoordinates(container, dimensions, colorValues, onFilter) {
  container.textContent = "";
  const width = Math.max(600, container.clientWidth || 900), height = 320, top = 30, bottom = 20, left = 40, right = 40;
  const svg = svgEl("svg", { width, height, class: "parcoords" }, container);
  const n = dimensions.length ? dimensions[0].values.length : 0;
  const step = dimensions.length > 1 ? (width - left - right) / (dimensions.length - 1) : 0;
  const scales = dimensions.map(d => scaleFor(d.values, top, height - bottom));
  const [cmin, cmax] = extent(colorValues.filter(v => v != null && isFinite(v)));
  const brushes = dimensions.map(() => null);
  const group = svgEl("g", {}, svg);
  const paths = [];
  for (let r = 0; r < n; r++) {
    const points = dimensions.map((d, i) => `${left + i * step},${scales[i].y(d.values[r])}`);
    const c = colorValues[r];
    const t = c == null || !isFinite(c) || cmax === cmin ? 0.5 : (c - cmin) / (cmax - cmin);
    paths.push(svgEl("polyline", { points: points.join(" "), fill: "none", stroke: `hsl(${240 - 200 * t}, 70%, 45%)`, "stroke-opacity": 0.55, "stroke-width": 1.2 }, group));
  }
  dimensions.forEach((d, i) => {
    const x = left + i * step;
    svgEl("line", { x1: x, x2: x, y1: top, y2: height - bottom, stroke: "#555" }, svg);
    svgText(svg, x, top - 12, d.name, { "text-anchor": "middle" });
    for (const tick of scales[i].ticks) svgText(svg, x + 4, tick.y + 4, tick.label);
    const rect = svgEl("rect", { x: x - 8, y: top, width: 16, height: height - top - bottom, fill: "transparent", class: "brush-area", "data-axis": i }, svg);
    const shown = svgEl("rect", { x: x - 6, width: 12, y: 0, height: 0, fill: "rgba(30,100,200,0.25)", stroke: "#1e64c8", class: "brush" }, svg);
    let start = null;
    const yOf = ev => { const b = svg.getBoundingClientRect(); return Math.max(top, Math.min(height - bottom, ev.clientY - b.top)); };
    rect.addEventListener("mousedown", ev => { start = yOf(ev); ev.preventDefault(); });
    svg.addEventListener("mousemove", ev => {
      if (start == null) return;
      const y = yOf(ev), y0 = Math.min(start, y), y1 = Math.max(start, y);
      shown.setAttribute("y", y0); shown.setAttribute("height", y1 - y0);
      brushes[i] = y1 - y0 > 2 ? [y0, y1] : null;
      apply();
    });
    svg.addEventListener("mouseup", () => { start = null; });
    rect.addEventListener("dblclick", () => { brushes[i] = null; shown.setAttribute("height", 0); apply(); });
  });
  function apply() {
    const keep = [];
    for (let r = 0; r < n; r++) {
      const inside = dimensions.every((d, i) => !brushes[i] || (y => y >= brushes[i][0] && y <= brushes[i][1])(scales[i].y(d.values[r])));
      paths[r].setAttribute("stroke-opacity", inside ? 0.55 : 0.05);
      if (inside) keep.push(r);
    }
    if (onFilter) onFilter(keep);
  }
  svg.brush = (axis, y0, y1) => { brushes[axis] = [y0, y1]; apply(); };  // for scripts and tests
  return svg;
}

function extent(values) {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return lo <= hi ? [lo, hi] : [0, 1];
}

// A vertical scale for numbers (log when all positive and spanning over two decades) or categories.
function scaleFor(values, top, bottom) {
  const numeric = values.every(v => v == null || typeof v === "number");
  if (!numeric) {
    const cats = Array.from(new Set(values.map(v => String(v)))).sort();
    const at = c => cats.length === 1 ? (top + bottom) / 2 : bottom - (cats.indexOf(String(c)) / (cats.length - 1)) * (bottom - top);
    return { y: at, ticks: cats.slice(0, 12).map(c => ({ y: at(c), label: c.length > 14 ? c.slice(0, 13) + "…" : c })) };
  }
  const finite = values.filter(v => v != null && isFinite(v));
  let [lo, hi] = extent(finite);
  const log = lo > 0 && hi / lo > 100;
  const f = log ? Math.log10 : (v => v);
  const a = f(lo), b = f(hi) === f(lo) ? f(lo) + 1 : f(hi);
  const y = v => (v == null || !isFinite(v) ? bottom : bottom - ((f(v) - a) / (b - a)) * (bottom - top));
  const ticks = [0, 0.5, 1].map(t => { const v = log ? Math.pow(10, a + t * (b - a)) : a + t * (b - a); return { y: y(v), label: Number(v.toPrecision(3)).toString() }; });
  return { y, ticks, log };
}

// Score against one parameter: a scatter, x from the parameter (categories spread), y the score.
function slicePlot(container, name, values, scores) {
  const width = 260, height = 180, pad = 30;
  const box = document.createElement("div"); box.className = "chart";
  const title = document.createElement("h3"); title.textContent = name; box.appendChild(title);
  const svg = svgEl("svg", { width, height, class: "slice" }, box);
  const xs = scaleFor(values, pad, width - 10), ys = scaleFor(scores, 10, height - pad);
  svgEl("line", { x1: pad, x2: width - 10, y1: height - pad, y2: height - pad, stroke: "#999" }, svg);
  for (let i = 0; i < values.length; i++) {
    if (scores[i] == null) continue;
    svgEl("circle", { cx: width + pad - 10 - xs.y(values[i]), cy: ys.y(scores[i]), r: 3, fill: "#1e64c8", "fill-opacity": 0.6 }, svg);
  }
  container.appendChild(box);
}

// Importance bars with their 90% intervals.
function importanceBars(container, rows) {
  const width = 720, rowHeight = 22, left = 140, height = rows.length * rowHeight + 20;
  const svg = svgEl("svg", { width, height, class: "importance" }, container);
  const x = v => left + v * (width - left - 170);
  rows.forEach((r, i) => {
    const y = 10 + i * rowHeight;
    svgText(svg, left - 6, y + 14, r.parameter, { "text-anchor": "end" });
    svgEl("rect", { x: left, y: y + 4, width: Math.max(1, x(r.importance) - left), height: 12, fill: "#1e64c8" }, svg);
    svgEl("line", { x1: x(r.importanceLow), x2: x(r.importanceHigh), y1: y + 10, y2: y + 10, stroke: "#000" }, svg);
    svgText(svg, x(r.importanceHigh) + 6, y + 14, r.importance.toFixed(3) + (r.correlation == null ? "" : `  corr ${r.correlation >= 0 ? "+" : ""}${r.correlation.toFixed(2)}`));
  });
  return svg;
}

// A histogram over steps: one column per logged step, bins shaded by count (canvas).
function histogramHeatmap(container, steps) {
  const canvas = document.createElement("canvas");
  canvas.width = 420; canvas.height = 200; canvas.className = "heatmap";
  container.appendChild(canvas);
  const ctx = canvas.getContext("2d");
  const lows = steps.map(s => s.edges[0]).filter(v => v != null), highs = steps.map(s => s.edges[s.edges.length - 1]).filter(v => v != null);
  if (!lows.length) return canvas;
  const lo = Math.min(...lows), hi = Math.max(...highs), span = hi > lo ? hi - lo : 1;
  const colWidth = canvas.width / steps.length;
  steps.forEach((s, c) => {
    const max = Math.max(1, ...s.counts);
    s.counts.forEach((count, b) => {
      const e0 = s.edges[b], e1 = s.edges[b + 1];
      if (e0 == null || e1 == null || count === 0) return;
      const y0 = canvas.height - ((e1 - lo) / span) * canvas.height, y1 = canvas.height - ((e0 - lo) / span) * canvas.height;
      ctx.fillStyle = `rgba(30,100,200,${0.15 + 0.85 * count / max})`;
      ctx.fillRect(c * colWidth, y0, Math.ceil(colWidth), Math.max(1, y1 - y0));
    });
  });
  const caption = document.createElement("div");
  caption.textContent = `values ${lo.toPrecision(3)} … ${hi.toPrecision(3)}, steps ${steps[0].step} … ${steps[steps.length - 1].step}`;
  container.appendChild(caption);
  return canvas;
}
