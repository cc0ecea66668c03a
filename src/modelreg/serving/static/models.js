/* The models at this location, each with its count, production and newest version (one small
   request each: a page of one version and the total). */
import { api, state, versionPage } from "./api.js";
import { h, plural } from "./dom.js";

export async function modelsPage(main) {
  const cards = await Promise.all(state.models.map(async (name) => {
    const previous = state.model;
    state.model = name;
    try {
      const [page, channels] = await Promise.all([versionPage({ limit: 1 }), api("/api/channels")]);
      return { name, page, channels };
    } finally {
      state.model = previous;
    }
  }));
  main.replaceChildren(
    h("h1", {}, "Models"),
    h("div", { class: "grid" }, cards.map((m) => h("a", { class: "card model-card", href: `#/m/${encodeURIComponent(m.name)}` },
      h("h2", {}, m.name),
      h("p", {}, plural(m.page.total, "version")),
      h("p", { class: "muted" }, "production: ", m.channels.production || "none"),
      m.page.rows[0] ? h("p", { class: "muted" }, "newest: ", m.page.rows[0].version) : null))));
}
