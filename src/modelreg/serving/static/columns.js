/* Which columns the versions table shows: fixed ones, each metric, the model class, the
   hyperparameters and tags the page's versions have. A person's choice is remembered per model
   in localStorage; without one a phone starts with status and one metric, a laptop with all. */
import { state } from "./api.js";
import { day, fmt, h, range, shortClass, shown } from "./dom.js";

const KEY = "modelreg.columns";
const PHONE = 760;

/** Every column the table can show, given the metric names and a page of rows. */
export function available(metrics, rows) {
  const keys = (field) => [...new Set(rows.flatMap((r) => Object.keys(r[field] || {})))].sort();
  return [
    { id: "status", label: "Status", sort: "status", group: "Version" },
    { id: "trained", label: "Trained", sort: "trained", group: "Version", cls: "nowrap", value: (r) => day(r.training_date) },
    { id: "range", label: "Data range", group: "Version", cls: "nowrap", value: (r) => range(r.data_range) },
    { id: "class", label: "Model class", group: "Version", value: (r) => modelClass(r) },
    ...metrics.map((m) => ({ id: `m:${m}`, label: m, sort: m, group: "Metrics", cls: "num", value: (r) => fmt((r.metrics || {})[m]) })),
    ...keys("hyperparameters").map((p) => ({ id: `p:${p}`, label: p, group: "Hyperparameters", cls: "num", value: (r) => shown((r.hyperparameters || {})[p]) })),
    ...keys("tags").map((t) => ({ id: `t:${t}`, label: `#${t}`, group: "Tags", value: (r) => shown((r.tags || {})[t]) })),
  ];
}

/** What a version's model is: its class, or the file a CLI upload kept as it is. */
export function modelClass(row) {
  const model = row.model || { class: row.model_class, flavor: row.model_flavor };
  if (model.flavor === "files") return model.single_file ? `file: ${model.single_file}` : "files as uploaded";
  return shortClass(model.class) || model.flavor || "–";
}

function stored() {
  try {
    const all = JSON.parse(localStorage.getItem(KEY) || "{}");
    return Array.isArray(all[state.model]) ? all[state.model] : null;
  } catch {
    return null;
  }
}

export function remember(ids) {
  let all = {};
  try { all = JSON.parse(localStorage.getItem(KEY) || "{}") || {}; } catch { all = {}; }
  all[state.model] = ids;
  localStorage.setItem(KEY, JSON.stringify(all));
}

/** The ids shown: the remembered choice, else a default for the screen's width. */
export function chosen(columns) {
  const known = new Set(columns.map((c) => c.id));
  const saved = stored();
  if (saved) return saved.filter((id) => known.has(id));
  const metrics = columns.filter((c) => c.group === "Metrics").map((c) => c.id);
  if (window.innerWidth <= PHONE) return ["status", ...metrics.slice(0, 1)];
  return ["status", "trained", "range", "class", ...metrics];
}

/** The picker: a checkbox per column, grouped; `onchange(ids)` after each change. */
export function picker(columns, shownIds, onchange) {
  const ids = new Set(shownIds);
  const groups = [...new Set(columns.map((c) => c.group))];
  const box = h("details", { class: "column-picker", id: "column-picker" },
    h("summary", { class: "button ghost small" }, "Columns"),
    h("div", { class: "picker-body" }, groups.map((g) => h("fieldset", {}, h("legend", {}, g),
      columns.filter((c) => c.group === g).map((c) => h("label", { class: "check" },
        h("input", { type: "checkbox", value: c.id, checked: ids.has(c.id), onchange: (e) => {
          if (e.target.checked) ids.add(c.id); else ids.delete(c.id);
          const order = columns.map((col) => col.id).filter((id) => ids.has(id));
          remember(order);
          onchange(order);
        } }), c.label)))),
      h("div", { class: "picker-done" }, h("button", { type: "button", class: "button primary small", id: "columns-done", onclick: () => box.removeAttribute("open") }, "Done"))));
  return box;
}
