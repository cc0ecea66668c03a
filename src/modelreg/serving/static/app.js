/* modelreg web UI: a small single-page app over the server's JSON API (/api), as ES modules,
   one per concept (api, auth, dialogs, columns, filters, series, diff, and one per page).
   No framework; every value from the registry is inserted as text, never as HTML. */
import { ApiError, api, state } from "./api.js";
import { loadWho, signInCard } from "./auth.js";
import { comparePage } from "./compare.js";
import { wireDialogs } from "./dialogs.js";
import { errorBox, h } from "./dom.js";
import { historyPage } from "./history.js";
import { modelsPage } from "./models.js";
import { versionPage } from "./version.js";
import { versionsPage } from "./versions.js";

const link = (path) => `#/m/${encodeURIComponent(state.model)}${path}`;

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

/* Each route renders into a fresh #main that takes over the old one's nodes. A slower, older
   render (the refresh after an action, then a click elsewhere) keeps writing into the element
   it started with, now detached, and can never overwrite the newer page. */
function freshMain() {
  const old = document.getElementById("main");
  const fresh = old.cloneNode(false);
  fresh.replaceChildren(...old.childNodes);
  old.replaceWith(fresh);
  return fresh;
}

async function route() {
  const main = freshMain();
  const [path, search = ""] = location.hash.replace(/^#/, "").split("?");
  const query = new URLSearchParams(search);
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[0] !== "m") {
      if (state.models.length > 1) {
        renderNav("models");
        return await modelsPage(main);
      }
      location.replace(`#/m/${encodeURIComponent(state.models[0] || "default")}`);
      return;
    }
    state.model = parts[1] || "default";
    const page = parts[2] || "";
    if (page === "v" && parts[3]) { renderNav("versions"); await versionPage(main, parts[3]); }
    else if (page === "compare") { renderNav("compare"); await comparePage(main, query); }
    else if (page === "history") { renderNav("history"); await historyPage(main, query); }
    else { renderNav("versions"); await versionsPage(main, query); }
    document.title = `modelreg · ${page === "v" ? parts[3] : page || "versions"}`;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) main.replaceChildren(signInCard());
    else main.replaceChildren(errorBox(err));
  }
}

async function start() {
  // who and which models, side by side (a rejected token fails both)
  const models = api("/api/models").then((r) => r.models, () => []);
  try {
    await loadWho();
  } catch (err) {
    state.who = null;
  }
  state.models = state.who ? await models : [];
  route();
}

state.refresh = route;
state.restart = start;
wireDialogs();
window.addEventListener("hashchange", route);
start();
