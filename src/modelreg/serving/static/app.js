/* modelreg web UI: a small single-page app over the server's JSON API (/api). No framework.
   Pages: models, versions (filter, sort, pick two to compare), version, compare, history.
   Every value from the registry is inserted as text, never as HTML. */
"use strict";

const state = { who: null, models: [], model: "default" };
const TOKEN_KEY = "modelreg.token";
const POINTER_ACTIONS = new Set(["promote", "rollback", "repair"]);

/* ---------- DOM and API helpers ---------- */

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error;
  }
}

async function api(path, { method = "GET", body, params = {} } = {}) {
  const url = new URL(path, location.origin);
  if (state.model && state.model !== "default") url.searchParams.set("model", state.model);
  for (const [key, value] of Object.entries(params)) {
    for (const v of [].concat(value)) if (v !== undefined && v !== null && v !== "") url.searchParams.append(key, v);
  }
  const headers = {};
  const token = localStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

const fmt = (v) => (typeof v === "number" ? Charts.fmt(v) : v ?? "–");
const day = (iso) => (iso ? String(iso).slice(0, 10) : "–");
const when = (iso) => (iso ? String(iso).replace("T", " ").replace(/\.\d+/, "").replace("Z", " UTC") : "–");
const range = (r) => (r ? `${day(r.start)} → ${day(r.end)}` : "–");
const bytes = (n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`);
const canWrite = () => state.who && state.who.scope === "write";
const link = (path) => `#/m/${encodeURIComponent(state.model)}${path}`;

function badge(status) {
  return h("span", { class: `badge ${status}` }, status);
}

function toast(message, kind = "ok") {
  const box = document.getElementById("toast");
  box.textContent = message;
  box.className = `toast ${kind}`;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (box.hidden = true), 4000);
}

function confirmAction(title, text, okLabel, danger = false) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  const ok = document.getElementById("confirm-ok");
  ok.textContent = okLabel;
  ok.className = `button ${danger ? "danger" : "primary"}`;
  const reason = document.getElementById("confirm-reason");
  reason.value = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok" ? { reason: reason.value.trim() || null } : null), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    reason.focus();
  });
}

function section(title, ...content) {
  return h("section", { class: "card" }, h("h2", {}, title), ...content);
}

function errorBox(err) {
  return h("div", { class: "error-box" }, h("strong", {}, err.status ? `${err.status} ` : ""), err.message);
}

/* ---------- who, nav ---------- */

async function loadWho() {
  try {
    state.who = await api("/api/whoami");
  } catch (err) {
    state.who = null;
    if (!(err instanceof ApiError && err.status === 401)) throw err;
  }
  renderWho();
}

function renderWho() {
  const box = document.getElementById("who");
  box.replaceChildren();
  const signedIn = !!localStorage.getItem(TOKEN_KEY);
  if (state.who) box.append(h("span", { class: `scope ${state.who.scope}`, title: "token scope" }, `${state.who.name} · ${state.who.scope}`));
  box.append(
    signedIn
      ? h("button", { class: "button ghost small", onclick: () => { localStorage.removeItem(TOKEN_KEY); start(); } }, "Sign out")
      : h("button", { class: "button small", onclick: signIn, id: "signin-button" }, "Sign in")
  );
}

function signIn() {
  const dialog = document.getElementById("signin");
  const input = document.getElementById("signin-token");
  input.value = "";
  dialog.addEventListener("close", () => {
    if (dialog.returnValue === "ok" && input.value.trim()) {
      localStorage.setItem(TOKEN_KEY, input.value.trim());
      start();
    }
  }, { once: true });
  dialog.returnValue = "";
  dialog.showModal();
}

function renderNav(active) {
  const nav = document.getElementById("nav");
  const item = (label, href, key) => h("a", { href, class: active === key ? "active" : "" }, label);
  const several = state.models.length > 1;
  nav.replaceChildren(...[
    several && item("Models", "#/", "models"),
    item("Versions", link(""), "versions"),
    item("Compare", link("/compare"), "compare"),
    item("History", link("/history"), "history"),
    several && h("span", { class: "model-chip", title: "model" }, state.model),
  ].filter(Boolean));
}

/* ---------- pages ---------- */

async function modelsPage(main) {
  renderNav("models");
  const cards = await Promise.all(state.models.map(async (name) => {
    const previous = state.model;
    state.model = name;
    try {
      const [versions, channels] = await Promise.all([api("/api/versions"), api("/api/channels")]);
      return { name, versions, channels };
    } finally {
      state.model = previous;
    }
  }));
  main.replaceChildren(
    h("h1", {}, "Models"),
    h("div", { class: "grid" }, cards.map((m) => h("a", { class: "card model-card", href: `#/m/${encodeURIComponent(m.name)}` },
      h("h2", {}, m.name),
      h("p", {}, `${m.versions.length} version${m.versions.length === 1 ? "" : "s"}`),
      h("p", { class: "muted" }, "production: ", m.channels.production || "none"),
      m.versions[0] ? h("p", { class: "muted" }, "newest: ", m.versions[0].version) : null
    )))
  );
}

function metricNames(rows) {
  return [...new Set(rows.flatMap((r) => Object.keys(r.metrics || {})))].sort();
}

async function versionsPage(main, query) {
  renderNav("versions");
  const filters = {
    min: query.getAll("min"), max: query.getAll("max"),
    trained_after: query.get("trained_after") || "", trained_before: query.get("trained_before") || "",
    status: query.get("status") || "", tag: query.getAll("tag"),
  };
  const withTag = (k, v) => { const p = new URLSearchParams(query); if (!p.getAll("tag").includes(`${k}=${v}`)) p.append("tag", `${k}=${v}`); return `${link("")}?${p}`; };
  const withoutTag = (t) => { const p = new URLSearchParams(query); p.delete("tag"); filters.tag.filter((x) => x !== t).forEach((x) => p.append("tag", x)); return `${link("")}?${p}`; };
  const [all, rows, channels] = await Promise.all([
    api("/api/versions"),
    api("/api/versions", { params: filters }),
    api("/api/channels"),
  ]);
  const metrics = metricNames(all);
  const sortKey = query.get("sort") || "version";
  const desc = (query.get("dir") || "desc") === "desc";
  const value = (row, key) => key === "version" ? row.version : key === "status" ? row.deployment_status : key === "trained" ? row.training_date : key === "range" ? (row.data_range || {}).end || "" : (row.metrics || {})[key];
  rows.sort((a, b) => {
    const [x, y] = [value(a, sortKey), value(b, sortKey)];
    if (x === undefined || x === null) return 1;
    if (y === undefined || y === null) return -1;
    return (x < y ? -1 : x > y ? 1 : 0) * (desc ? -1 : 1);
  });
  const picked = new Set();
  const compareButton = h("button", { class: "button", disabled: true, id: "compare-picked", onclick: () => {
    const [a, b] = [...picked];
    location.hash = link(`/compare?a=${a}&b=${b}`);
  } }, "Compare selected");
  const sortLink = (label, key) => {
    const params = new URLSearchParams(query);
    params.set("sort", key);
    params.set("dir", sortKey === key && desc ? "asc" : "desc");
    const arrow = sortKey === key ? (desc ? " ▼" : " ▲") : "";
    return h("th", { "aria-sort": sortKey === key ? (desc ? "descending" : "ascending") : null },
      h("a", { href: `${link("")}?${params}`, class: "sort", "data-sort": key }, label + arrow));
  };
  const holders = (name) => Object.entries(channels).filter(([, v]) => v === name).map(([c]) => c);
  const table = h("table", { class: "versions", id: "versions-table" },
    h("thead", {}, h("tr", {}, h("th", { class: "pick" }, ""), sortLink("Version", "version"), sortLink("Status", "status"),
      sortLink("Trained", "trained"), sortLink("Data range", "range"), metrics.map((m) => sortLink(m, m)))),
    h("tbody", {}, rows.map((row) => h("tr", { "data-version": row.version },
      h("td", { class: "pick" }, h("input", { type: "checkbox", "aria-label": `select ${row.version}`, onchange: (e) => {
        e.target.checked ? picked.add(row.version) : picked.delete(row.version);
        compareButton.disabled = picked.size !== 2;
      } })),
      h("td", {}, h("a", { href: link(`/v/${row.version}`), class: "mono" }, row.version),
        holders(row.version).map((c) => h("a", { class: "chip", href: link(`/v/@${c}`), title: `@${c}: what ${c} holds` }, `@${c}`)),
        Edits.tagChips(row.tags, withTag)),
      h("td", {}, badge(row.deployment_status)),
      h("td", { class: "nowrap" }, day(row.training_date)),
      h("td", { class: "nowrap" }, range(row.data_range)),
      metrics.map((m) => h("td", { class: "num" }, fmt((row.metrics || {})[m])))
    )))
  );
  main.replaceChildren(
    h("div", { class: "page-head" }, h("h1", {}, "Versions"), h("div", { class: "actions" }, compareButton)),
    filterBar(metrics, filters),
    Edits.activeFilters(filters.tag, withoutTag),
    h("p", { class: "muted", id: "count" }, `${rows.length} of ${all.length} version${all.length === 1 ? "" : "s"}`),
    rows.length ? h("div", { class: "table-wrap" }, table) : h("p", { class: "empty" }, all.length ? "No version matches these filters." : "No versions yet: register one with `modelreg register` or ModelRegistry.register().")
  );
}

function filterBar(metrics, filters) {
  const rowsBox = h("div", { class: "threshold-rows" });
  const addRow = (metric = metrics[0] || "", op = "min", value = "") => {
    const row = h("div", { class: "threshold" },
      h("select", { "aria-label": "metric", class: "f-metric" }, metrics.map((m) => h("option", { value: m, selected: m === metric }, m))),
      h("select", { "aria-label": "direction", class: "f-op" }, h("option", { value: "min", selected: op === "min" }, "≥"), h("option", { value: "max", selected: op === "max" }, "≤")),
      h("input", { type: "number", step: "any", value, placeholder: "value", "aria-label": "threshold", class: "f-value" }),
      h("button", { type: "button", class: "button ghost small", "aria-label": "remove filter", onclick: () => row.remove() }, "✕"));
    rowsBox.append(row);
  };
  for (const item of filters.min) { const [m, v] = splitBound(item); addRow(m, "min", v); }
  for (const item of filters.max) { const [m, v] = splitBound(item); addRow(m, "max", v); }
  const form = h("form", { class: "filters card", id: "filters", onsubmit: (e) => {
    e.preventDefault();
    const params = new URLSearchParams();
    for (const row of rowsBox.children) {
      const value = row.querySelector(".f-value").value;
      if (value !== "") params.append(row.querySelector(".f-op").value, `${row.querySelector(".f-metric").value}:${value}`);
    }
    for (const t of filters.tag) params.append("tag", t);
    for (const key of ["trained_after", "trained_before", "status"]) {
      const v = form.elements[key].value;
      if (v) params.set(key, v);
    }
    location.hash = `${link("")}?${params}`;
  } },
    h("div", { class: "filter-line" },
      h("label", {}, "Trained after", h("input", { type: "date", name: "trained_after", value: filters.trained_after.slice(0, 10) })),
      h("label", {}, "Trained before", h("input", { type: "date", name: "trained_before", value: filters.trained_before.slice(0, 10) })),
      h("label", {}, "Status", h("select", { name: "status" }, ["", "registered", "production", "archived"].map((s) => h("option", { value: s, selected: s === filters.status }, s || "any"))))),
    rowsBox,
    h("div", { class: "filter-line" },
      metrics.length ? h("button", { type: "button", class: "button ghost small", id: "add-threshold", onclick: () => addRow() }, "+ Metric threshold") : null,
      h("span", { class: "spacer" }),
      h("a", { href: link(""), class: "button ghost small" }, "Reset"),
      h("button", { type: "submit", class: "button primary small", id: "apply-filters" }, "Apply")));
  return form;
}

function splitBound(item) {
  const at = item.lastIndexOf(":");
  return [item.slice(0, at), item.slice(at + 1)];
}

/** A version's CSV table (feature importance, predictions) as {columns, rows}. */
const tableSeries = (version, name) => api(`/api/versions/${version}/tables/${name}`);

function predictionSeries(table, label, { actual = true, color, dashed } = {}) {
  if (!table.columns.length) return { series: [], timeAxis: true };
  const col = (names) => table.columns.findIndex((c) => names.includes(String(c).toLowerCase()));
  const t = col(["timestamp", "date", "time", "datetime"]);
  const a = col(["actual", "y_true", "y", "target"]);
  const p = col(["predicted", "prediction", "y_pred", "forecast"]);
  const timeAxis = t >= 0 && table.rows.every((r) => !isNaN(Date.parse(r[t])));
  const x = (r, i) => (timeAxis ? Date.parse(r[t]) : i);
  const series = [];
  if (actual && a >= 0) series.push({ name: "actual", color: "#1a202c", width: 1.5, points: table.rows.map((r, i) => [x(r, i), r[a]]) });
  if (p >= 0) series.push({ name: `predicted ${label}`.trim(), color, dashed, points: table.rows.map((r, i) => [x(r, i), r[p]]) });
  return { series, timeAxis };
}

/** The pixel width a chart gets in a grid of `columns`, so its text draws at its own size. */
function chartWidth(columns = 1) {
  const main = document.getElementById("main").clientWidth;
  const wide = window.innerWidth > 760;
  const card = wide ? (main - 48 - 16 * (columns - 1)) / columns : main - 24;
  return Math.round(Math.max(260, card - 40));
}

function chartBlock(title, { series, timeAxis }) {
  if (!series.length) return h("div", { class: "chart-box" }, h("h3", {}, title), h("p", { class: "muted" }, "Not recorded for this version."));
  const box = h("div", { class: "chart-box" }, h("h3", {}, title), Charts.legend(series));
  box.append(Charts.lines(series, { title, timeAxis, width: chartWidth(2) }));
  return box;
}

async function versionPage(main, version) {
  renderNav("versions");
  const [info, importance, validation, test] = await Promise.all([
    api(`/api/versions/${version}`),
    tableSeries(version, "feature_importance"),
    tableSeries(version, "validation_predictions"),
    tableSeries(version, "test_predictions"),
  ]);
  const name = info.version;
  const actions = h("div", { class: "actions" });
  if (canWrite()) {
    if (info.deployment_status !== "production") {
      actions.append(h("button", { class: "button primary", id: "promote", onclick: () => promote(name) }, "Promote to production"));
    }
    if (info.deployment_status === "archived") {
      actions.append(h("button", { class: "button", id: "rollback", onclick: () => rollback(name) }, "Roll back to this"));
    }
    if (!info.channels.length) {
      actions.append(h("button", { class: "button danger", id: "delete", onclick: () => remove(name) }, "Delete"));
    }
  }
  actions.append(h("a", { class: "button ghost", href: link(`/compare?a=${name}&b=latest`) }, "Compare with production"));
  const fiCols = importance.columns.map((c) => String(c).toLowerCase());
  const [fi, vi] = [fiCols.indexOf("feature"), fiCols.indexOf("importance")];
  const facts = [
    ["Status", badge(info.deployment_status)],
    ["Channels", info.channels.length ? info.channels.join(", ") : "–"],
    ["Trained", when(info.training_date)],
    ["Registered", when(info.registered_at)],
    ["Promoted", when(info.promoted_at)],
    ["Data range", range(info.data_range)],
    ["Model format", (info.model && (info.model.flavor || info.model.format)) || "–"],
  ];
  main.replaceChildren(
    h("div", { class: "page-head" }, h("div", {}, h("p", { class: "crumb" }, h("a", { href: link("") }, "Versions"), " / "), h("h1", { class: "mono" }, name)), actions),
    h("div", { class: "grid two" },
      section("Summary", h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]))),
      section("Metrics", h("div", { class: "metric-grid" }, Object.entries(info.metrics || {}).map(([k, v]) => h("div", { class: "metric" }, h("span", { class: "metric-name" }, k), h("span", { class: "metric-value" }, fmt(v))))))),
    editCards(info),
    section("Feature importance", fi >= 0 && vi >= 0
      ? h("div", { class: "chart-box" }, Charts.bars(importance.rows.map((r) => ({ label: r[fi], value: r[vi] })), { title: "feature importance", width: Math.min(900, chartWidth(1)) }))
      : h("p", { class: "muted" }, "Not recorded for this version.")),
    section("Predictions vs actuals", h("div", { class: "grid two" },
      chartBlock("Validation", predictionSeries(validation, "", { color: "#2456d6" })),
      chartBlock("Test", predictionSeries(test, "", { color: "#e0702b" })))),
    h("div", { class: "grid two" },
      section("Hyperparameters", kvTable(info.hyperparameters)),
      section("Features", (info.features || []).length ? h("ul", { class: "tags" }, info.features.map((f) => h("li", {}, f))) : h("p", { class: "muted" }, "–"))),
    section("Files", h("div", { class: "table-wrap" }, h("table", { class: "files" },
      h("thead", {}, h("tr", {}, h("th", {}, "File"), h("th", { class: "num" }, "Size"), h("th", {}, "sha256"), h("th", {}, ""))),
      h("tbody", {}, Object.entries(info.files || {}).map(([file, rec]) => h("tr", {},
        h("td", { class: "mono" }, file), h("td", { class: "num nowrap" }, bytes(rec.bytes)),
        h("td", { class: "mono hash", title: rec.sha256 }, rec.sha256),
        h("td", {}, h("button", { class: "button ghost small", onclick: () => download(name, file) }, "Download")))))))),
    h("details", { class: "card" }, h("summary", {}, "All metadata (JSON)"), h("pre", { class: "json" }, JSON.stringify(info, null, 2)))
  );
}

/** The description and tags of a version (static/edit.js), editable with a write token. */
function editCards(info) {
  const filterLink = (k, v) => `${link("")}?${new URLSearchParams({ tag: `${k}=${v}` })}`;
  const context = { canWrite: canWrite(), api, saved: toast, filterLink };
  return h("div", { class: "grid two" }, Edits.descriptionCard(info, context), Edits.tagsCard(info, context));
}

function kvTable(obj) {
  const entries = Object.entries(obj || {});
  if (!entries.length) return h("p", { class: "muted" }, "–");
  return h("table", { class: "kv" }, h("tbody", {}, entries.map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", { class: "mono" }, typeof v === "object" ? JSON.stringify(v) : String(v))))));
}

async function download(version, file) {
  const headers = {};
  const token = localStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  const url = new URL(`/api/versions/${version}/files/${file}`, location.origin);
  if (state.model !== "default") url.searchParams.set("model", state.model);
  const response = await fetch(url, { headers });
  if (!response.ok) return toast(`Download failed (${response.status})`, "error");
  const a = h("a", { href: URL.createObjectURL(await response.blob()), download: file.split("/").pop() });
  document.body.append(a);
  a.click();
  a.remove();
}

async function act(work, done) {
  try {
    await work();
    toast(done);
    route();
  } catch (err) {
    toast(err.message, "error");
  }
}

async function promote(version) {
  const channels = await api("/api/channels");
  const current = channels.production || null;
  const answer = await confirmAction("Promote to production?", `Production moves from ${current || "nothing"} to ${version}. Serving processes pick it up on their next check.`, "Promote");
  if (answer) act(() => api("/api/promote", { method: "POST", body: { version, expected_current: current, reason: answer.reason } }), `${version} is now production`);
}

async function rollback(version) {
  const answer = await confirmAction("Roll production back?", version ? `Production goes back to ${version}.` : "Production goes back to the version before the current one.", "Roll back");
  if (answer) act(() => api("/api/rollback", { method: "POST", body: { version: version || null, reason: answer.reason } }), "Rolled back");
}

async function remove(version) {
  const answer = await confirmAction("Delete this version?", `${version} and its files are removed for good. This cannot be undone.`, "Delete", true);
  if (answer) {
    try {
      await api(`/api/versions/${version}`, { method: "DELETE", params: { reason: answer.reason } });
      toast(`Deleted ${version}`);
      location.hash = link("");
    } catch (err) {
      toast(err.message, "error");
    }
  }
}

async function comparePage(main, query) {
  renderNav("compare");
  const versions = await api("/api/versions");
  const channels = await api("/api/channels");
  const a = query.get("a") || (versions[0] && versions[0].version) || "";
  const b = query.get("b") || channels.production || (versions[1] && versions[1].version) || "";
  const options = (selected) => [
    channels.production ? h("option", { value: "latest", selected: selected === "latest" }, `latest (production: ${channels.production})`) : null,
    versions.map((v) => h("option", { value: v.version, selected: v.version === selected }, `${v.version} · ${v.deployment_status}`)),
  ];
  const picker = h("form", { class: "card filters", id: "compare-form", onsubmit: (e) => {
    e.preventDefault();
    location.hash = link(`/compare?a=${picker.elements.a.value}&b=${picker.elements.b.value}`);
  } }, h("div", { class: "filter-line" },
    h("label", {}, "Version A", h("select", { name: "a" }, options(a))),
    h("label", {}, "Version B", h("select", { name: "b" }, options(b))),
    h("span", { class: "spacer" }),
    h("button", { class: "button primary small" }, "Compare")));
  main.replaceChildren(h("h1", {}, "Compare"), picker);
  if (!a || !b) {
    main.append(h("p", { class: "empty" }, "Register at least two versions to compare them."));
    return;
  }
  const [rows, infoA, infoB] = await Promise.all([
    api("/api/compare", { params: { version1: a, version2: b } }),
    api(`/api/versions/${a}`), api(`/api/versions/${b}`),
  ]);
  const [na, nb] = [infoA.version, infoB.version];
  const wins = { [na]: 0, [nb]: 0 };
  Object.values(rows).forEach((r) => { if (r.winner) wins[r.winner] = (wins[r.winner] || 0) + 1; });
  const head = (info) => h("div", { class: "card side" }, h("a", { href: link(`/v/${info.version}`), class: "mono big" }, info.version), " ", badge(info.deployment_status),
    h("p", { class: "muted" }, `trained ${day(info.training_date)} · data ${range(info.data_range)}`),
    h("p", {}, `wins ${wins[info.version] || 0} of ${Object.keys(rows).length} metrics`));
  const table = h("table", { class: "compare", id: "compare-table" },
    h("thead", {}, h("tr", {}, h("th", {}, "Metric"), h("th", { class: "num" }, "A"), h("th", { class: "num" }, "B"), h("th", { class: "num" }, "A − B"), h("th", {}, "Better"), h("th", {}, "Winner"))),
    h("tbody", {}, Object.entries(rows).map(([metric, r]) => h("tr", { "data-metric": metric },
      h("th", {}, metric),
      h("td", { class: `num ${r.winner === na ? "win" : ""}` }, fmt(r.value1)),
      h("td", { class: `num ${r.winner === nb ? "win" : ""}` }, fmt(r.value2)),
      h("td", { class: "num" }, r.difference === null || r.difference === undefined ? "–" : fmt(r.difference)),
      h("td", { class: "muted" }, r.higher_is_better === false ? "lower" : "higher"),
      h("td", {}, r.winner ? h("span", { class: "winner" }, r.winner === na ? "A" : "B", " ", h("span", { class: "mono small" }, r.winner)) : "tie")))));
  const [valA, valB, testA, testB] = await Promise.all([
    tableSeries(na, "validation_predictions"), tableSeries(nb, "validation_predictions"),
    tableSeries(na, "test_predictions"), tableSeries(nb, "test_predictions"),
  ]);
  const overlay = (ta, tb) => {
    const one = predictionSeries(ta, `A (${na})`, { color: "#2456d6" });
    const two = predictionSeries(tb, `B (${nb})`, { actual: !one.series.some((s) => s.name === "actual"), color: "#e0702b", dashed: true });
    return { series: [...one.series, ...two.series], timeAxis: one.series.length ? one.timeAxis : two.timeAxis };
  };
  main.append(
    h("div", { class: "grid two" }, head(infoA), head(infoB)),
    section("Metrics", h("div", { class: "table-wrap" }, table)),
    section("Predictions, overlaid", h("div", { class: "grid two" },
      chartBlock("Validation", overlay(valA, valB)), chartBlock("Test", overlay(testA, testB)))));
}

async function historyPage(main, query) {
  renderNav("history");
  const showAll = query.get("all") === "1";
  const [events, channels] = await Promise.all([api("/api/events"), api("/api/channels")]);
  const shown = events.filter((e) => showAll || POINTER_ACTIONS.has(e.action)).reverse();
  const head = h("div", { class: "page-head" }, h("h1", {}, "History"), h("div", { class: "actions" },
    h("a", { class: "button ghost small", href: link(`/history${showAll ? "" : "?all=1"}`), id: "toggle-all" }, showAll ? "Promotions and rollbacks only" : "Show all events"),
    canWrite() && channels.production ? h("button", { class: "button small", id: "rollback-previous", onclick: () => rollback(null) }, "Roll back production") : null));
  const item = (e) => h("li", { class: `event ${e.action}` },
    h("div", { class: "event-dot", "aria-hidden": "true" }),
    h("div", { class: "event-body" },
      h("div", { class: "event-line" },
        h("span", { class: `badge ${e.action}` }, e.action),
        e.version ? h("a", { href: link(`/v/${e.version}`), class: "mono" }, e.version) : null,
        e.channel ? h("span", { class: "chip" }, e.channel) : null,
        e.previous ? h("span", { class: "muted" }, `was ${e.previous}`) : null),
      h("div", { class: "event-meta" }, h("time", { datetime: e.timestamp }, when(e.timestamp)), " · ", h("span", { class: "event-user" }, e.user || "unknown")),
      e.reason ? h("p", { class: "reason" }, `“${e.reason}”`) : null));
  main.replaceChildren(head,
    h("p", { class: "muted" }, "Production: ", channels.production || "none", Object.keys(channels).length > 1 ? ` · other channels: ${Object.entries(channels).filter(([c]) => c !== "production").map(([c, v]) => `${c} → ${v}`).join(", ")}` : ""),
    shown.length ? h("ol", { class: "timeline", id: "timeline" }, shown.map(item)) : h("p", { class: "empty" }, "No promotions yet."));
}

/* ---------- router ---------- */

async function route() {
  const main = document.getElementById("main");
  const [path, search = ""] = location.hash.replace(/^#/, "").split("?");
  const query = new URLSearchParams(search);
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[0] !== "m") {
      if (state.models.length > 1) return await modelsPage(main);
      location.replace(`#/m/${encodeURIComponent(state.models[0] || "default")}`);
      return;
    }
    state.model = parts[1] || "default";
    const page = parts[2] || "";
    if (page === "v" && parts[3]) await versionPage(main, parts[3]);
    else if (page === "compare") await comparePage(main, query);
    else if (page === "history") await historyPage(main, query);
    else await versionsPage(main, query);
    document.title = `modelreg · ${page === "v" ? parts[3] : page || "versions"}`;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      main.replaceChildren(h("div", { class: "card signin-card" }, h("h1", {}, "Sign in to browse this registry"),
        h("p", {}, "This server needs a token to read. Ask its operator for one."),
        h("button", { class: "button primary", onclick: signIn }, "Sign in with a token")));
    } else {
      main.replaceChildren(errorBox(err));
    }
  }
}

async function start() {
  try {
    await loadWho();
    state.models = state.who ? (await api("/api/models")).models : [];
  } catch (err) {
    state.models = [];
  }
  route();
}

window.addEventListener("hashchange", route);
start();
