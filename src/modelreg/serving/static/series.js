/* Prediction tables as chart series, and how two versions' tables line up in time. */
import { api } from "./api.js";
import { day, h } from "./dom.js";

/** A version's CSV table (feature importance, predictions) as {columns, rows}. */
export const tableSeries = (version, name) => api(`/api/versions/${version}/tables/${name}`);

/** {time, rows: [{x, actual, predicted}]} from a predictions table; x is a timestamp when every
    row has one, else the row number. */
export function predictions(table) {
  if (!table.columns.length) return { time: true, rows: [] };
  const col = (names) => table.columns.findIndex((c) => names.includes(String(c).toLowerCase()));
  const t = col(["timestamp", "date", "time", "datetime"]);
  const a = col(["actual", "y_true", "y", "target"]);
  const p = col(["predicted", "prediction", "y_pred", "forecast"]);
  const time = t >= 0 && table.rows.every((r) => !isNaN(Date.parse(r[t])));
  return {
    time,
    rows: table.rows.map((r, i) => ({ x: time ? Date.parse(r[t]) : i, actual: a >= 0 ? r[a] : undefined, predicted: p >= 0 ? r[p] : undefined })),
  };
}

const line = (rows, key) => rows.filter((r) => typeof r[key] === "number").map((r) => [r.x, r[key]]);

export function predictionSeries(table, label = "", { color, dashed } = {}) {
  const { time, rows } = predictions(table);
  const series = [];
  if (rows.some((r) => typeof r.actual === "number")) series.push({ name: "actual", color: "#1a202c", width: 1.5, points: line(rows, "actual") });
  if (rows.some((r) => typeof r.predicted === "number")) series.push({ name: `predicted ${label}`.trim(), color, dashed, points: line(rows, "predicted") });
  return { series, timeAxis: time };
}

const span = (rows) => (rows.length ? [Math.min(...rows.map((r) => r.x)), Math.max(...rows.map((r) => r.x))] : null);
const sameActuals = (ra, rb) => {
  const byTime = new Map(ra.map((r) => [r.x, r.actual]));
  return rb.every((r) => !byTime.has(r.x) || byTime.get(r.x) === r.actual);
};

/** Two versions' predictions on one time axis: each version's predictions and its own
    actuals (one line when they agree), and a note when the periods differ. */
export function aligned(tableA, tableB, na, nb) {
  const [a, b] = [predictions(tableA), predictions(tableB)];
  const series = [];
  const [sa, sb] = [span(a.rows), span(b.rows)];
  const samePeriod = sa && sb && sa[0] === sb[0] && sa[1] === sb[1];
  const oneActual = samePeriod && sameActuals(a.rows, b.rows);
  if (line(a.rows, "actual").length) series.push({ name: oneActual ? "actual" : `actual (A)`, color: "#1a202c", width: 1.5, points: line(a.rows, "actual") });
  if (!oneActual && line(b.rows, "actual").length) series.push({ name: "actual (B)", color: "#7c8796", width: 1.5, dashed: true, points: line(b.rows, "actual") });
  if (line(a.rows, "predicted").length) series.push({ name: `predicted A (${na})`, color: "#2456d6", points: line(a.rows, "predicted") });
  if (line(b.rows, "predicted").length) series.push({ name: `predicted B (${nb})`, color: "#e0702b", dashed: true, points: line(b.rows, "predicted") });
  let note = null;
  if (a.rows.length && b.rows.length) {
    if (!(a.time && b.time)) note = "These predictions have no timestamps, so they are lined up by row number and may not cover the same period.";
    else if (!samePeriod) note = `The periods differ: A covers ${period(sa)}, B covers ${period(sb)}${overlap(sa, sb)}. Their metrics are measured on different data.`;
  } else if (a.rows.length || b.rows.length) {
    note = `Only ${a.rows.length ? "A" : "B"} recorded these predictions.`;
  }
  return { series, timeAxis: a.rows.length ? a.time : b.time, note, samePeriod: !!samePeriod };
}

const period = ([x0, x1]) => `${day(new Date(x0).toISOString())} → ${day(new Date(x1).toISOString())}`;
function overlap(sa, sb) {
  const [lo, hi] = [Math.max(sa[0], sb[0]), Math.min(sa[1], sb[1])];
  return lo > hi ? " (no overlap)" : `; they overlap ${period([lo, hi])}`;
}

/** The pixel width a chart gets in a grid of `columns`, so its text draws at its own size. */
export function chartWidth(columns = 1) {
  const main = document.getElementById("main").clientWidth;
  const wide = window.innerWidth > 760;
  const card = wide ? (main - 48 - 16 * (columns - 1)) / columns : main - 24;
  return Math.round(Math.max(260, card - 40));
}

export function chartBlock(title, { series, timeAxis, note }) {
  const notice = note ? h("p", { class: "note period-note" }, note) : null;
  if (!series.length) return h("div", { class: "chart-box" }, h("h3", {}, title), h("p", { class: "muted" }, "Not recorded for this version."));
  const box = h("div", { class: "chart-box" }, h("h3", {}, title), notice, Charts.legend(series));
  box.append(Charts.lines(series, { title, timeAxis, width: chartWidth(2) }));
  return box;
}
