/* The audit log: promotions and rollbacks (or every event), newest first, under the
   promotions waiting for approval. A version deleted
   since is marked, and its link says when and by whom (the version page does). */
import { rollback } from "./actions.js";
import { api, canWrite, link } from "./api.js";
import { h, when } from "./dom.js";
import { requestsCard } from "./promotion.js";

const POINTER_ACTIONS = new Set(["promote", "rollback", "repair", "request", "approve", "reject"]);

/** Versions whose last register/import/delete event is a delete. */
function deletedVersions(events) {
  const last = new Map();
  for (const e of events) if (e.version && ["register", "import", "delete"].includes(e.action)) last.set(e.version, e);
  return new Map([...last].filter(([, e]) => e.action === "delete"));
}

export async function historyPage(main, query) {
  const showAll = query.get("all") === "1";
  const [events, channels, requests] = await Promise.all([api("/api/events"), api("/api/channels"), api("/api/requests")]);
  const deleted = deletedVersions(events);
  const shown = events.filter((e) => showAll || POINTER_ACTIONS.has(e.action)).reverse();
  const head = h("div", { class: "page-head" }, h("h1", {}, "History"), h("div", { class: "actions" },
    h("a", { class: "button ghost small", href: link(`/history${showAll ? "" : "?all=1"}`), id: "toggle-all" }, showAll ? "Promotions and rollbacks only" : "Show all events"),
    canWrite() && channels.production ? h("button", { class: "button small", id: "rollback-previous", onclick: () => rollback(null) }, "Roll back production") : null));
  const versionLink = (name) => {
    const gone = deleted.get(name);
    return [h("a", { href: link(`/v/${name}`), class: `mono ${gone ? "gone" : ""}`, title: gone ? `deleted at ${when(gone.timestamp)} by ${gone.user || "unknown"}` : null }, name),
      gone ? h("span", { class: "chip deleted-chip" }, `deleted ${when(gone.timestamp)} by ${gone.user || "unknown"}`) : null];
  };
  const item = (e) => h("li", { class: `event ${e.action}` },
    h("div", { class: "event-dot", "aria-hidden": "true" }),
    h("div", { class: "event-body" },
      h("div", { class: "event-line" },
        h("span", { class: `badge ${e.action}` }, e.action),
        e.version ? versionLink(e.version) : null,
        e.channel ? h("span", { class: "chip" }, e.channel) : null,
        e.previous ? h("span", { class: "muted" }, `was ${e.previous}`) : null),
      h("div", { class: "event-meta" }, h("time", { datetime: e.timestamp }, when(e.timestamp)), " · ", h("span", { class: "event-user" }, e.user || "unknown")),
      e.reason ? h("p", { class: "reason" }, `“${e.reason}”`) : null));
  main.replaceChildren(head, ...requestsCard(requests),
    h("p", { class: "muted" }, "Production: ", channels.production || "none", Object.keys(channels).length > 1 ? ` · other channels: ${Object.entries(channels).filter(([c]) => c !== "production").map(([c, v]) => `${c} → ${v}`).join(", ")}` : ""),
    shown.length ? h("ol", { class: "timeline", id: "timeline" }, shown.map(item)) : h("p", { class: "empty" }, "No promotions yet."));
}
