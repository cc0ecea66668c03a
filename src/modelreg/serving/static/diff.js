/* What differs between two versions besides their metrics: model class, hyperparameters,
   features and config, side by side, changed rows marked. */
import { modelClass } from "./columns.js";
import { h, section, shown } from "./dom.js";

const same = (x, y) => JSON.stringify(x) === JSON.stringify(y);

function sideBySide(id, a, b) {
  const keys = [...new Set([...Object.keys(a || {}), ...Object.keys(b || {})])].sort();
  if (!keys.length) return h("p", { class: "muted" }, "Neither version records any.");
  const changed = keys.filter((k) => !same((a || {})[k], (b || {})[k])).length;
  return [
    h("p", { class: "muted" }, changed ? `${changed} of ${keys.length} differ` : `All ${keys.length} are the same`),
    h("div", { class: "table-wrap" }, h("table", { class: "diff", id },
      h("thead", {}, h("tr", {}, h("th", {}, "Key"), h("th", {}, "A"), h("th", {}, "B"))),
      h("tbody", {}, keys.map((k) => {
        const differs = !same((a || {})[k], (b || {})[k]);
        return h("tr", { class: differs ? "changed" : "", "data-key": k },
          h("th", {}, k), h("td", { class: "mono" }, shown((a || {})[k])), h("td", { class: "mono" }, shown((b || {})[k])));
      })))),
  ];
}

function features(a, b) {
  const [fa, fb] = [new Set(a || []), new Set(b || [])];
  const onlyA = [...fa].filter((f) => !fb.has(f));
  const onlyB = [...fb].filter((f) => !fa.has(f));
  const both = [...fa].filter((f) => fb.has(f));
  const list = (items) => (items.length ? h("ul", { class: "tags" }, items.map((f) => h("li", {}, f))) : h("span", { class: "muted" }, "none"));
  return h("dl", { class: "facts", id: "diff-features" },
    h("dt", {}, "Only in A"), h("dd", { "data-side": "a" }, list(onlyA)),
    h("dt", {}, "Only in B"), h("dd", { "data-side": "b" }, list(onlyB)),
    h("dt", {}, "In both"), h("dd", {}, `${both.length} feature${both.length === 1 ? "" : "s"}`));
}

export function versionDiff(infoA, infoB) {
  const [ca, cb] = [modelClass(infoA), modelClass(infoB)];
  return h("div", { class: "diff-block", id: "version-diff" },
    section("Model", h("dl", { class: "facts", id: "diff-model" },
      h("dt", {}, "A"), h("dd", { class: "mono", title: (infoA.model || {}).class || "" }, ca),
      h("dt", {}, "B"), h("dd", { class: `mono ${ca === cb ? "" : "changed"}`, title: (infoB.model || {}).class || "" }, cb),
      h("dt", {}, ""), h("dd", { class: "muted" }, ca === cb ? "Same model class" : "Different model classes"))),
    h("div", { class: "grid two" },
      section("Hyperparameters", sideBySide("diff-hyperparameters", infoA.hyperparameters, infoB.hyperparameters)),
      section("Features", features(infoA.features, infoB.features))),
    section("Config", sideBySide("diff-config", infoA.config, infoB.config)));
}
