/* Compare two versions: metrics (with a word when they were measured on different periods),
   predictions aligned by timestamp with each version's actuals, and a diff of the rest. */
import { api, link, versionPage } from "./api.js";
import { versionDiff } from "./diff.js";
import { badge, day, fmt, h, range, section } from "./dom.js";
import { aligned, chartBlock, tableSeries } from "./series.js";

export async function comparePage(main, query) {
  const [recent, channels] = await Promise.all([versionPage({ limit: 200 }), api("/api/channels")]);
  const versions = recent.rows;
  const a = query.get("a") || (versions[0] && versions[0].version) || "";
  const b = query.get("b") || channels.production || (versions[1] && versions[1].version) || "";
  const choices = h("datalist", { id: "version-choices" },
    channels.production ? h("option", { value: "latest" }, `production: ${channels.production}`) : null,
    versions.map((v) => h("option", { value: v.version }, v.deployment_status)));
  const picker = h("form", { class: "card filters", id: "compare-form", onsubmit: (e) => {
    e.preventDefault();
    location.hash = link(`/compare?a=${encodeURIComponent(picker.elements.a.value.trim())}&b=${encodeURIComponent(picker.elements.b.value.trim())}`);
  } }, h("div", { class: "filter-line" },
    h("label", {}, "Version A", h("input", { name: "a", value: a, list: "version-choices", class: "mono", autocomplete: "off", placeholder: "version, latest or @channel" })),
    h("label", {}, "Version B", h("input", { name: "b", value: b, list: "version-choices", class: "mono", autocomplete: "off", placeholder: "version, latest or @channel" })),
    h("span", { class: "spacer" }),
    h("button", { class: "button primary small" }, "Compare")), choices);
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
  const [valA, valB, testA, testB] = await Promise.all([
    tableSeries(na, "validation_predictions"), tableSeries(nb, "validation_predictions"),
    tableSeries(na, "test_predictions"), tableSeries(nb, "test_predictions"),
  ]);
  const validation = aligned(valA, valB, na, nb);
  const test = aligned(testA, testB, na, nb);
  const wins = { [na]: 0, [nb]: 0 };
  Object.values(rows).forEach((r) => { if (r.winner) wins[r.winner] = (wins[r.winner] || 0) + 1; });
  const head = (info) => h("div", { class: "card side" }, h("a", { href: link(`/v/${info.version}`), class: "mono big" }, info.version), " ", badge(info.deployment_status),
    h("p", { class: "muted" }, `trained ${day(info.training_date)} · data ${range(info.data_range)}`),
    h("p", {}, `wins ${wins[info.version] || 0} of ${Object.keys(rows).length} metrics`));
  const rangesDiffer = JSON.stringify(infoA.data_range || null) !== JSON.stringify(infoB.data_range || null);
  const periodsDiffer = rangesDiffer || [validation, test].some((s) => s.note && !s.samePeriod);
  const caveat = periodsDiffer
    ? h("p", { class: "note", id: "period-note" }, "These versions were trained and evaluated on different periods ",
        `(A: ${range(infoA.data_range)}, B: ${range(infoB.data_range)}`, test.note && !test.samePeriod ? "; their test periods differ too" : "",
        "), so a metric can win or lose because of the data, not the model. Compare on a shared period before promoting.")
    : null;
  const table = h("table", { class: "compare", id: "compare-table" },
    h("thead", {}, h("tr", {}, h("th", {}, "Metric"), h("th", { class: "num" }, "A"), h("th", { class: "num" }, "B"), h("th", { class: "num" }, "A − B"), h("th", {}, "Better"), h("th", {}, "Winner"))),
    h("tbody", {}, Object.entries(rows).map(([metric, r]) => h("tr", { "data-metric": metric },
      h("th", {}, metric),
      h("td", { class: `num ${r.winner === na ? "win" : ""}` }, fmt(r.value1)),
      h("td", { class: `num ${r.winner === nb ? "win" : ""}` }, fmt(r.value2)),
      h("td", { class: "num" }, r.difference === null || r.difference === undefined ? "–" : fmt(r.difference)),
      h("td", { class: "muted" }, r.higher_is_better === false ? "lower" : "higher"),
      h("td", {}, r.winner ? h("span", { class: "winner" }, r.winner === na ? "A" : "B", " ", h("span", { class: "mono small" }, r.winner)) : "tie")))));
  main.append(
    h("div", { class: "grid two" }, head(infoA), head(infoB)),
    section("Metrics", caveat, h("div", { class: "table-wrap" }, table)),
    section("Predictions, aligned by time", h("div", { class: "grid two" },
      chartBlock("Validation", validation), chartBlock("Test", test))),
    versionDiff(infoA, infoB));
}
