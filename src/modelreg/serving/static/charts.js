/* Small SVG charts for the modelreg UI: horizontal bars and time-series lines. No library. */
"use strict";

const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const PALETTE = ["#2456d6", "#e0702b", "#1f9d6b", "#9b4dca", "#c23b5a", "#4a5568"];

  function el(name, attrs = {}, text) {
    const node = document.createElementNS(NS, name);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function fmt(value) {
    if (typeof value !== "number" || !isFinite(value)) return String(value);
    const abs = Math.abs(value);
    if (abs !== 0 && (abs < 0.001 || abs >= 1e6)) return value.toExponential(2);
    return Number(value.toPrecision(4)).toString();
  }

  /** Rendered width of `text` in the page's font, so labels are never clipped. */
  function textWidth(text, size) {
    const ctx = (textWidth.canvas ||= document.createElement("canvas")).getContext("2d");
    ctx.font = `${size} ${getComputedStyle(document.body).fontFamily}`;
    return ctx.measureText(text).width;
  }

  function niceTicks(min, max, count = 5) {
    if (min === max) { min -= 1; max += 1; }
    const span = max - min;
    const step0 = Math.pow(10, Math.floor(Math.log10(span / count)));
    const step = [1, 2, 5, 10].map((m) => m * step0).find((s) => span / s <= count) || step0 * 10;
    const ticks = [];
    for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(+t.toFixed(12));
    return ticks;
  }

  /** Horizontal bars, largest first: feature importance. items: [{label, value}] */
  function bars(items, { title = "", color = PALETTE[0], width = 640 } = {}) {
    const sorted = [...items].sort((a, b) => Math.abs(b.value) - Math.abs(a.value)).slice(0, 30);
    const longest = Math.max(30, ...sorted.map((d) => textWidth(String(d.label), "13px")));
    const labelWidth = Math.min(width * 0.42, 16 + longest);
    const rowHeight = 26, pad = 8;
    const height = sorted.length * rowHeight + 2 * pad;
    const maxValue = Math.max(...sorted.map((d) => Math.abs(d.value)), 1e-12);
    const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": title });
    svg.appendChild(el("title", {}, title));
    const barSpace = width - labelWidth - 64;
    sorted.forEach((d, i) => {
      const y = pad + i * rowHeight;
      const w = Math.max(1, (Math.abs(d.value) / maxValue) * barSpace);
      svg.appendChild(el("text", { x: labelWidth - 8, y: y + 17, "text-anchor": "end", class: "chart-label" }, d.label));
      const bar = el("rect", { x: labelWidth, y: y + 4, width: w, height: rowHeight - 9, rx: 3, fill: color });
      bar.appendChild(el("title", {}, `${d.label}: ${d.value}`));
      svg.appendChild(bar);
      svg.appendChild(el("text", { x: labelWidth + w + 6, y: y + 17, class: "chart-value" }, fmt(d.value)));
    });
    return svg;
  }

  /** Lines over time (or row number): predictions vs actuals. series: [{name, points: [[x, y]], dashed}] */
  function lines(series, { title = "", timeAxis = true, width = 720 } = {}) {
    const height = Math.round(Math.min(300, Math.max(200, width * 0.5)));
    const left = 50, right = 14, top = 12, bottom = 30;
    const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": title });
    svg.appendChild(el("title", {}, title));
    const all = series.flatMap((s) => s.points).filter((p) => isFinite(p[0]) && isFinite(p[1]));
    if (!all.length) {
      svg.appendChild(el("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "chart-label" }, "no data"));
      return svg;
    }
    const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
    let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
    if (x0 === x1) { x0 -= 1; x1 += 1; }
    const yt = niceTicks(Math.min(...ys), Math.max(...ys));
    const [y0, y1] = [Math.min(yt[0], ...ys), Math.max(yt[yt.length - 1], ...ys)];
    const sx = (x) => left + ((x - x0) / (x1 - x0)) * (width - left - right);
    const sy = (y) => top + (1 - (y - y0) / (y1 - y0 || 1)) * (height - top - bottom);
    const grid = el("g", { class: "chart-grid" });
    for (const t of yt) {
      grid.appendChild(el("line", { x1: left, x2: width - right, y1: sy(t), y2: sy(t) }));
      grid.appendChild(el("text", { x: left - 6, y: sy(t) + 4, "text-anchor": "end", class: "chart-axis" }, fmt(t)));
    }
    const xticks = Math.max(2, Math.floor((width - left - right) / 120));
    for (let i = 0; i <= xticks; i++) {
      const x = x0 + ((x1 - x0) * i) / xticks;
      const label = timeAxis ? new Date(x).toISOString().slice(0, 10) : fmt(Math.round(x));
      grid.appendChild(el("text", { x: sx(x), y: height - 10, "text-anchor": i === 0 ? "start" : i === xticks ? "end" : "middle", class: "chart-axis" }, label));
    }
    svg.appendChild(grid);
    series.forEach((s, i) => {
      const pts = s.points.filter((p) => isFinite(p[0]) && isFinite(p[1])).sort((a, b) => a[0] - b[0]);
      const d = pts.map((p, j) => `${j ? "L" : "M"}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join("");
      const color = s.color || PALETTE[i % PALETTE.length];
      const path = el("path", { d, fill: "none", stroke: color, "stroke-width": s.width || 2, "stroke-dasharray": s.dashed ? "6 4" : "none", "stroke-linejoin": "round", class: "chart-line" });
      path.appendChild(el("title", {}, s.name));
      svg.appendChild(path);
    });
    return svg;
  }

  /** A legend as HTML (wraps nicely on a phone). */
  function legend(series) {
    const box = document.createElement("div");
    box.className = "legend";
    series.forEach((s, i) => {
      const item = document.createElement("span");
      item.className = "legend-item";
      const swatch = document.createElement("span");
      swatch.className = "swatch" + (s.dashed ? " dashed" : "");
      swatch.style.setProperty("--c", s.color || PALETTE[i % PALETTE.length]);
      item.append(swatch, document.createTextNode(s.name));
      box.appendChild(item);
    });
    return box;
  }

  return { bars, lines, legend, fmt, PALETTE };
})();
