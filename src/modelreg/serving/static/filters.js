/* The versions page's filter bar: metric thresholds, training dates, status (tags: chips). The filters live
   in the address; the server applies them (GET /api/versions). */
import { link } from "./api.js";
import { h } from "./dom.js";

export function filtersOf(query) {
  return {
    min: query.getAll("min"), max: query.getAll("max"),
    trained_after: query.get("trained_after") || "", trained_before: query.get("trained_before") || "",
    status: query.get("status") || "", tag: query.getAll("tag"),
  };
}

function splitBound(item) {
  const at = item.lastIndexOf(":");
  return [item.slice(0, at), item.slice(at + 1)];
}

export function filterBar(metrics, filters) {
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
    const current = new URLSearchParams(location.hash.split("?")[1] || "");
    for (const key of ["sort", "dir", "size"]) if (current.get(key)) params.set(key, current.get(key));
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
