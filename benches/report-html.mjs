// The benchmark report's HTML page and its SVG charts (benches/report.mjs writes them, and embeds
// the charts in docs/PERFORMANCE.md).
import { median } from "./browser/common.mjs";

function esc(x) {
  return String(x).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

export const sizeName = (v) => (v >= 1 << 20 ? `${v / (1 << 20)} MiB` : v >= 1024 ? `${v / 1024} KiB` : `${v} B`);

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];

/** A line chart on log-log axes: series = [{name, points: [[size, value]]}]. */
export function lineChart(title, series, yLabel) {
  const W = 640, H = 340, L = 70, R = 160, T = 30, B = 45;
  const xs = series.flatMap((s) => s.points.map((p) => p[0])), ys = series.flatMap((s) => s.points.map((p) => p[1]));
  if (!xs.length) return "";
  const lx = (v) => Math.log10(v), [x0, x1] = [lx(Math.min(...xs)), lx(Math.max(...xs))];
  const [y0, y1] = [Math.floor(lx(Math.min(...ys))), Math.ceil(lx(Math.max(...ys)))];
  const X = (v) => L + ((lx(v) - x0) / (x1 - x0 || 1)) * (W - L - R), Y = (v) => T + (1 - (lx(v) - y0) / (y1 - y0 || 1)) * (H - T - B);
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11"><rect width="${W}" height="${H}" fill="#fff"/>`;
  svg += `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text>`;
  for (let e = y0; e <= y1; e++) {
    svg += `<line x1="${L}" x2="${W - R}" y1="${Y(10 ** e)}" y2="${Y(10 ** e)}" stroke="#ddd"/><text x="${L - 6}" y="${Y(10 ** e) + 4}" text-anchor="end">1e${e}</text>`;
  }
  for (const v of [...new Set(xs)].sort((a, b) => a - b)) {
    svg += `<text x="${X(v)}" y="${H - B + 16}" text-anchor="middle">${sizeName(v)}</text>`;
  }
  svg += `<text x="14" y="${(H - B + T) / 2}" transform="rotate(-90 14 ${(H - B + T) / 2})" text-anchor="middle">${esc(yLabel)}</text>`;
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    svg += `<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map((p) => `${X(p[0])},${Y(p[1])}`).join(" ")}"/>`;
    for (const p of pts) svg += `<circle cx="${X(p[0])}" cy="${Y(p[1])}" r="3" fill="${c}"/>`;
    svg += `<rect x="${W - R + 10}" y="${T + i * 18}" width="12" height="12" fill="${c}"/><text x="${W - R + 27}" y="${T + i * 18 + 10}">${esc(s.name)}</text>`;
  });
  return svg + "</svg>";
}

/** Horizontal bars of p50 and p99 (log scale): rows = [{name, p50, p99}] in microseconds. */
export function latencyChart(title, rows) {
  const W = 640, rowH = 26, L = 230, R = 30, T = 44, H = T + rows.length * rowH + 30;
  const vals = rows.flatMap((r) => [r.p50, r.p99]).filter((v) => v > 0);
  if (!vals.length) return "";
  const lo = Math.floor(Math.log10(Math.min(...vals))), hi = Math.ceil(Math.log10(Math.max(...vals)));
  const X = (v) => L + ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo || 1)) * (W - L - R);
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11"><rect width="${W}" height="${H}" fill="#fff"/>`;
  svg += `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text>`;
  for (let e = lo; e <= hi; e++) {
    svg += `<line x1="${X(10 ** e)}" x2="${X(10 ** e)}" y1="${T - 4}" y2="${H - 26}" stroke="#ddd"/><text x="${X(10 ** e)}" y="${H - 12}" text-anchor="middle">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)} us</text>`;
  }
  rows.forEach((r, i) => {
    const y = T + i * rowH;
    svg += `<text x="${L - 6}" y="${y + 14}" text-anchor="end">${esc(r.name)}</text>`;
    svg += `<rect x="${L}" y="${y + 2}" width="${X(r.p99) - L}" height="16" fill="#f4b6b6"/>`;
    svg += `<rect x="${L}" y="${y + 2}" width="${X(r.p50) - L}" height="16" fill="#1f77b4"/>`;
  });
  return svg + `<text x="${L}" y="${T - 8}">p50 (dark) and p99 (light), log scale</text></svg>`;
}

/** p50/p99 round trips of every transport in the run, in microseconds. */
export function latencyRows(s) {
  const r = s.ring?.rows ?? [];
  const lat = [];
  for (const t of ["ring", "atomics", "postMessage"]) {
    const row = r.find((x) => x.scenario === "round trip" && x.transport === t);
    if (row) lat.push({ name: `worker<->worker ${t}`, p50: row.median, p99: median(row.p99) });
  }
  for (const mode of ["shared", "post"]) {
    for (const impl of ["JsWorker", "postMessage", "comlink"]) {
      const row = s.jsworker?.[mode]?.rows.find((x) => x.scenario === "round trip" && x.impl === impl);
      if (row) lat.push({ name: `main<->worker ${impl} (${mode === "shared" ? "isolated" : "ordinary"} page)`, p50: row.median, p99: median(row.p99) });
    }
  }
  for (const [page, rep] of Object.entries(s.calls ?? {})) {
    for (const impl of ["call()", "callAsync()", "coincident", "comlink"]) {
      const row = rep.rows.find((x) => x.impl === impl && x.scenario === "worker -> page" && x.payload === "number");
      if (row) lat.push({ name: `worker->page ${impl} (${page === "isolated" ? "isolated" : "ordinary"} page)`, p50: row.median, p99: median(row.p99) });
    }
  }
  for (const [page, rep] of Object.entries(s.python ?? {})) {
    for (const impl of ["pywebworker", "handwritten"]) {
      const runs = rep[impl]?.rt?.["16 B str"];
      if (runs) lat.push({ name: `Python ${impl === "pywebworker" ? "PyWorker" : "hand-written"} (${page})`, p50: median(runs.map((x) => x[0])), p99: median(runs.map((x) => x[1])) });
    }
  }
  return lat;
}

function charts(s) {
  const out = [];
  const r = s.ring?.rows ?? [];
  const series = (rows, key, label, filter) => {
    const names = [...new Set(rows.filter(filter).map((x) => x[key]))];
    return names.map((n) => ({ name: label(n), points: rows.filter((x) => filter(x) && x[key] === n).map((x) => [x.size, x.median]) }));
  };
  out.push(lineChart("worker -> worker throughput (msg/s)", series(r, "transport", (n) => n, (x) => x.scenario === "throughput"), "messages / s"));
  for (const mode of ["shared", "post"]) {
    for (const sc of ["main -> worker", "worker -> main"]) {
      const rows = s.jsworker?.[mode]?.rows ?? [];
      out.push(lineChart(`${sc} throughput, page ${mode === "shared" ? "isolated" : "not isolated"} (JsWorker ${mode})`,
        series(rows, "impl", (n) => n, (x) => x.scenario === sc), "messages / s"));
    }
  }
  out.push(latencyChart("round trip, 16 B", latencyRows(s)));
  return out.filter(Boolean);
}

export function html(rep) {
  const rows = rep.summary.map((x) => `<tr><td>${esc(x.what)}</td><td>${esc(x.value)}</td><td>${esc(x.target)}</td><td class="${x.met ? "met" : "missed"}">${x.met ? "met" : "not met"}</td><td>${esc(x.why ?? "")}</td></tr>`).join("");
  const m = rep.machine;
  const paired = rep.suites.ring?.paired;
  const turns = paired
    ? `<p>Browser against native at ${paired.size} B, in turns (M msg/s, native / Rust loops / from JavaScript): ` +
      esc(paired.runs.map((x) => [x.native, x.rust, x.js].map((v) => (v / 1e6).toFixed(1)).join(" / ")).join("; ")) + ".</p>"
    : "";
  return `<!doctype html><meta charset="utf-8"><title>pywebworker benchmark report</title>
<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}.met{color:#080}.missed{color:#b00}</style>
<h1>pywebworker benchmark report</h1>
<p>${esc(m.date)} &middot; ${esc(m.browser)} headless &middot; ${esc(m.cpu)}, ${m.cores} cores, ${m.memoryGiB} GiB &middot; ${esc(m.os)} &middot; Node ${esc(m.node)} &middot; commit ${esc(m.commit)} &middot; each figure the median of ${m.repeats} runs.</p>
<p>A 2-core machine shared by the page and the workers: figures move by 2x between runs. Compare ratios within one run, not absolutes.</p>
<h2>Targets</h2><table><tr><th>figure</th><th>this run</th><th>target</th><th></th><th>why, when missed</th></tr>${rows}</table>${turns}
<h2>Charts</h2>${charts(rep.suites).join("\n")}
<h2>Raw figures</h2><p>All figures with their runs: <code>report.json</code> beside this file.</p>`;
}
