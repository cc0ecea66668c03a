/* The versions page: one page at a time, sorted, filtered and counted by the server, so it
   opens as fast at 100,000 versions as at ten. The address holds the whole view
   (filters, sort, dir, page, size): back and reload show the same page. */
import { api, canWrite, link, versionPage } from "./api.js";
import { available, chosen, picker } from "./columns.js";
import { badge, h, plural, toast } from "./dom.js";
import { Edits } from "./edit.js";
import { filterBar, filtersOf } from "./filters.js";

const SIZES = [25, 50, 100, 200];

export async function versionsPage(main, query) {
  const filters = filtersOf(query);
  const sort = query.get("sort") || "version";
  const desc = (query.get("dir") || "desc") === "desc";
  const size = SIZES.includes(Number(query.get("size"))) ? Number(query.get("size")) : 50;
  const pageNo = Math.max(1, Math.floor(Number(query.get("page")) || 1));
  const filtered = Object.values(filters).some((v) => (Array.isArray(v) ? v.length : v));
  // every metric's name (for the filters and the picker) may take longer to count than the
  // page takes to load: the page draws with its own rows' metrics, then once more if it lacked any
  const hash = location.hash;
  const allMetrics = api("/api/metrics").then((counts) => Object.keys(counts).sort(), () => null);
  const [page, channels, all, record] = await Promise.all([
    versionPage({ ...filters, limit: size, offset: (pageNo - 1) * size, sort, descending: desc }),
    api("/api/channels"),
    filtered ? versionPage({ limit: 0 }) : null,
    api("/api/model").catch(() => null),
  ]);
  const about = aboutModel(record);
  const view = { query, filters, sort, desc, size, pageNo, filtered, page, channels, about, everything: all ? all.total : page.total };
  const seen = [...new Set(page.rows.flatMap((r) => Object.keys(r.metrics || {})))].sort();
  drawPage(main, view, seen);
  const metrics = await allMetrics;
  if (metrics && metrics.some((m) => !seen.includes(m)) && location.hash === hash && main.querySelector("#versions-table, .empty")) {
    drawPage(main, view, metrics);
  }
}

function drawPage(main, view, metrics) {
  const { query, filters, sort, desc, size, pageNo, filtered, page, channels, about, everything } = view;
  const total = page.total;
  const pages = Math.max(1, Math.ceil(total / size));
  const columns = available(metrics, page.rows);
  const picked = new Set();
  const compareButton = h("button", { class: "button", disabled: true, id: "compare-picked", onclick: () => {
    const [a, b] = [...picked];
    location.hash = link(`/compare?a=${a}&b=${b}`);
  } }, "Compare selected");
  const href = (changes) => {
    const params = new URLSearchParams(query);
    for (const [k, v] of Object.entries(changes)) params.set(k, v);
    return `${link("")}?${params}`;
  };
  const tagged = (tags) => {
    const params = new URLSearchParams(query);
    params.delete("tag");
    params.delete("page");
    tags.forEach((t) => params.append("tag", t));
    return `${link("")}?${params}`;
  };
  const withTag = (k, v) => tagged([...new Set([...filters.tag, `${k}=${v}`])]);
  const withoutTag = (t) => tagged(filters.tag.filter((x) => x !== t));
  const holders = (name) => Object.entries(channels).filter(([, v]) => v === name).map(([c]) => c);
  const header = (label, key, cls) => {
    if (!key) return h("th", { class: cls }, label);
    const active = sort === key;
    return h("th", { class: cls, "aria-sort": active ? (desc ? "descending" : "ascending") : null },
      h("a", { href: href({ sort: key, dir: active && desc ? "asc" : "desc", page: 1 }), class: "sort", "data-sort": key },
        label + (active ? (desc ? " ▼" : " ▲") : "")));
  };
  const cell = (row, col) => col.id === "status" ? h("td", {}, badge(row.deployment_status)) : h("td", { class: col.cls }, col.value(row));
  const tableBox = h("div", { class: "table-wrap" });
  const draw = (ids) => {
    const shown = ids.map((id) => columns.find((c) => c.id === id)).filter(Boolean);
    tableBox.replaceChildren(h("table", { class: "versions", id: "versions-table" },
      h("thead", {}, h("tr", {}, h("th", { class: "pick" }, ""), header("Version", "version", "first"), shown.map((c) => header(c.label, c.sort, c.cls)))),
      h("tbody", {}, page.rows.map((row) => h("tr", { "data-version": row.version },
        h("td", { class: "pick" }, h("input", { type: "checkbox", "aria-label": `select ${row.version}`, checked: picked.has(row.version), onchange: (e) => {
          e.target.checked ? picked.add(row.version) : picked.delete(row.version);
          compareButton.disabled = picked.size !== 2;
        } })),
        h("td", { class: "first" }, h("a", { href: link(`/v/${row.version}`), class: "mono" }, row.version),
          holders(row.version).map((c) => h("a", { class: "chip", href: link(`/v/@${c}`), title: `@${c}: what ${c} holds` }, `@${c}`)),
          Edits.tagChips(row.tags, withTag)),
        shown.map((c) => cell(row, c)))))));
  };
  draw(chosen(columns));
  const first = total ? (pageNo - 1) * size + 1 : 0;
  const last = Math.min(total, pageNo * size);
  const counted = h("p", { class: "muted", id: "count" },
    total ? `${first.toLocaleString("en-US")}–${last.toLocaleString("en-US")} of ${plural(total, "version")}` : "0 versions",
    filtered ? ` matching (${everything.toLocaleString("en-US")} in all)` : "");
  main.replaceChildren(
    h("div", { class: "page-head" }, h("h1", {}, "Versions"), h("div", { class: "actions" }, picker(columns, chosen(columns), draw), compareButton)),
    ...about,
    filterBar(metrics, filters),
    ...Edits.activeFilters(filters.tag, withoutTag),
    counted,
    page.rows.length ? tableBox : h("p", { class: "empty" }, everything ? (pageNo > 1 ? "No versions on this page." : "No version matches these filters.") : "No versions yet: register one with `modelreg register` or ModelRegistry.register()."),
    ...(total > size || pageNo > 1 ? [pager(pageNo, pages, size, href)] : []));
}

/** The model's own description and tags (edit.js), above its versions: shown when it has
    some, editable with a write token; nothing at all for a reader of a bare model. */
function aboutModel(record) {
  if (!record || (!record.description && !Object.keys(record.tags || {}).length && !canWrite())) return [];
  const context = { canWrite: canWrite(), api, saved: toast, endpoint: "/api/model" };
  return [h("div", { class: "grid two", id: "about-model" },
    Edits.descriptionCard(record, { ...context, id: "model-description", title: `About ${record.model}` }),
    Edits.tagsCard(record, { ...context, id: "model-tags", title: "Model tags" }))];
}

function pager(pageNo, pages, size, href) {
  const go = (label, n, id, disabled) => disabled
    ? h("span", { class: "button ghost small disabled", "aria-disabled": "true", id }, label)
    : h("a", { class: "button ghost small", href: href({ page: n }), id }, label);
  return h("nav", { class: "pager", id: "pager", "aria-label": "pages" },
    go("« First", 1, "page-first", pageNo <= 1),
    go("‹ Previous", pageNo - 1, "page-prev", pageNo <= 1),
    h("span", { class: "page-of", id: "page-of" }, `Page ${pageNo.toLocaleString("en-US")} of ${pages.toLocaleString("en-US")}`),
    go("Next ›", pageNo + 1, "page-next", pageNo >= pages),
    go("Last »", pages, "page-last", pageNo >= pages),
    h("label", { class: "page-size" }, "Per page",
      h("select", { id: "page-size", onchange: (e) => (location.hash = href({ size: e.target.value, page: 1 })) },
        SIZES.map((n) => h("option", { value: n, selected: n === size }, n)))));
}
