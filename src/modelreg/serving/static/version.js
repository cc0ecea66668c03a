/* One version: summary, metrics, charts, hyperparameters, features, lineage, the caller's own
   metadata (`--extra`, `metadata_extra`) as fields, files. A version that was deleted says
   when, by whom and why, from the audit log, instead of a bare "not found". */
import { remove, rollback } from "./actions.js";
import { ApiError, api, canWrite, download, link } from "./api.js";
import { modelClass } from "./columns.js";
import { Edits } from "./edit.js";
import { promote } from "./promotion.js";
import { badge, bytes, fmt, h, kvTable, range, section, shown, toast, when } from "./dom.js";
import { chartBlock, chartWidth, predictionSeries, tableSeries } from "./series.js";

/** The keys the registry owns (metadata.RESERVED_KEYS and the tags key; a test keeps this in
    step): every other key of a version's metadata is the caller's own. */
export const REGISTRY_KEYS = new Set(["channels", "config", "data_range", "deployment_status", "features", "files", "format_version", "hyperparameters", "lineage", "metrics", "model", "promoted_at", "registered_at", "signature", "tables", "tags", "training_date", "version"]);

export async function versionPage(main, version) {
  let info;
  try {
    info = await api(`/api/versions/${version}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404 && /^\d{8}_\d{6}(_\d+)?$/.test(version)) return deletedPage(main, version, err);
    throw err;
  }
  const [importance, validation, test] = await Promise.all([
    tableSeries(info.version, "feature_importance"),
    tableSeries(info.version, "validation_predictions"),
    tableSeries(info.version, "test_predictions"),
  ]);
  const name = info.version;
  const actions = h("div", { class: "actions" });
  if (canWrite()) {
    if (info.deployment_status !== "production") actions.append(h("button", { class: "button primary", id: "promote", onclick: () => promote(name) }, "Promote to production"));
    if (info.deployment_status === "archived") actions.append(h("button", { class: "button", id: "rollback", onclick: () => rollback(name) }, "Roll back to this"));
    if (!info.channels.length) actions.append(h("button", { class: "button danger", id: "delete", onclick: () => remove(name) }, "Delete"));
  }
  actions.append(h("a", { class: "button ghost", href: link(`/compare?a=${name}&b=latest`) }, "Compare with production"));
  const fiCols = importance.columns.map((c) => String(c).toLowerCase());
  const [fi, vi] = [fiCols.indexOf("feature"), fiCols.indexOf("importance")];
  const model = info.model || {};
  const facts = [
    ["Status", badge(info.deployment_status)],
    ["Channels", info.channels.length ? info.channels.join(", ") : "–"],
    ["Trained", when(info.training_date)],
    ["Registered", when(info.registered_at)],
    ["Promoted", when(info.promoted_at)],
    ["Data range", range(info.data_range)],
    ["Model format", h("span", { id: "model-format" }, modelFormat(model))],
    ["Model class", h("span", { class: "mono", title: model.class || "" }, modelClass(info))],
  ];
  const extra = Object.fromEntries(Object.entries(info).filter(([k]) => !REGISTRY_KEYS.has(k)));
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
    h("div", { class: "grid two" },
      section("Lineage", lineage(info.lineage)),
      section("Extra metadata", Object.keys(extra).length ? kvTable(extra, { id: "extra-metadata" }) : h("p", { class: "muted" }, "None: add some with `--extra KEY=VALUE` or `metadata_extra=`."))),
    ...(Object.keys(info.config || {}).length ? [section("Config", kvTable(info.config))] : []),
    section("Files", h("div", { class: "table-wrap" }, h("table", { class: "files" },
      h("thead", {}, h("tr", {}, h("th", {}, "File"), h("th", { class: "num" }, "Size"), h("th", {}, "sha256"), h("th", {}, ""))),
      h("tbody", {}, Object.entries(info.files || {}).map(([file, rec]) => h("tr", {},
        h("td", { class: "mono" }, file), h("td", { class: "num nowrap" }, bytes(rec.bytes)),
        h("td", { class: "mono hash", title: rec.sha256 }, rec.sha256),
        h("td", {}, h("button", { class: "button ghost small", onclick: () => download(name, file).catch((e) => toast(`Download failed (${e.status})`, "error")) }, "Download")))))))),
    h("details", { class: "card" }, h("summary", {}, "All metadata (JSON)"), h("pre", { class: "json" }, JSON.stringify(info, null, 2))));
}

/** The description and tags of a version (edit.js), editable with a write token. */
function editCards(info) {
  const filterLink = (k, v) => `${link("")}?${new URLSearchParams({ tag: `${k}=${v}` })}`;
  const context = { canWrite: canWrite(), api, saved: toast, filterLink };
  return h("div", { class: "grid two" }, Edits.descriptionCard(info, context), Edits.tagsCard(info, context));
}

/** How the model is stored: its flavor, and for a file kept as it is, which file. */
function modelFormat(model) {
  const flavor = model.flavor || model.format;
  if (!flavor) return "–";
  if (flavor === "files") return model.single_file ? `file kept as uploaded (${model.single_file})` : "files kept as uploaded";
  return flavor;
}

function lineage(record) {
  if (!record || !Object.keys(record).length) return h("p", { class: "muted" }, "Not recorded.");
  const { libraries, ...rest } = record;
  const rows = Object.entries(rest).map(([k, v]) => [k.replace(/_/g, " "), shown(v)]);
  return h("dl", { class: "facts", id: "lineage" },
    rows.map(([k, v]) => [h("dt", {}, k), h("dd", { class: "mono" }, v)]),
    libraries && Object.keys(libraries).length ? [h("dt", {}, "libraries"), h("dd", {}, h("ul", { class: "tags" }, Object.entries(libraries).map(([lib, ver]) => h("li", {}, `${lib} ${ver}`))))] : null);
}

/** A version that is gone: when, by whom and why, from the audit log. */
async function deletedPage(main, version, notFound) {
  const events = await api("/api/events");
  const gone = events.filter((e) => e.version === version && e.action === "delete").pop();
  const crumb = h("p", { class: "crumb" }, h("a", { href: link("") }, "Versions"), " / ");
  if (!gone) {
    main.replaceChildren(crumb, h("h1", { class: "mono" }, version), h("div", { class: "error-box" }, notFound.message, ". The audit log has no record of it."));
    return;
  }
  main.replaceChildren(crumb, h("h1", { class: "mono" }, version),
    h("div", { class: "card deleted-card", id: "deleted" },
      h("p", {}, badge("delete"), " This version was deleted ", h("time", { datetime: gone.timestamp }, `at ${when(gone.timestamp)}`), " by ", h("strong", {}, gone.user || "unknown"), "."),
      gone.reason ? h("p", { class: "reason" }, `“${gone.reason}”`) : h("p", { class: "muted" }, "No reason was given (a cleanup, or a delete without --reason)."),
      h("p", {}, h("a", { href: link("/history?all=1") }, "See the full history"))));
}
