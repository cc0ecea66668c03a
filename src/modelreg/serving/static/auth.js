/* Who is signed in. A token the server refuses is dropped and said so ("token rejected"),
   never left behind a "Sign out" button. */
import { ApiError, TOKEN_KEY, api, state } from "./api.js";
import { ask } from "./dialogs.js";
import { h } from "./dom.js";

export async function loadWho() {
  state.who = null;
  try {
    state.who = await api("/api/whoami");
    state.rejected = false;
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) throw err;
    if (localStorage.getItem(TOKEN_KEY)) {
      localStorage.removeItem(TOKEN_KEY);
      state.rejected = true;
    }
  }
  renderWho();
}

export function renderWho() {
  const box = document.getElementById("who");
  box.replaceChildren();
  if (state.who && localStorage.getItem(TOKEN_KEY)) {
    box.append(
      h("span", { class: `scope ${state.who.scope}`, title: "token scope" }, `${state.who.name} · ${state.who.scope}`),
      h("button", { class: "button ghost small", id: "signout-button", onclick: signOut }, "Sign out"));
    return;
  }
  if (state.rejected) box.append(h("span", { class: "scope rejected", id: "token-rejected", role: "alert" }, "token rejected"));
  else if (state.who) box.append(h("span", { class: "scope", title: "this server lets anyone read" }, "anonymous · read"));
  box.append(h("button", { class: "button small", onclick: signIn, id: "signin-button" }, "Sign in"));
}

function signOut() {
  localStorage.removeItem(TOKEN_KEY);
  state.rejected = false;
  state.restart();
}

export async function signIn() {
  const dialog = document.getElementById("signin");
  const input = document.getElementById("signin-token");
  input.value = "";
  const answer = await ask(dialog, input);
  if (answer === "ok" && input.value.trim()) {
    localStorage.setItem(TOKEN_KEY, input.value.trim());
    state.restart();
  }
}

/** The page shown when reading needs a token (none given, or the one given was refused). */
export function signInCard() {
  return h("div", { class: "card signin-card" },
    h("h1", {}, state.rejected ? "That token was rejected" : "Sign in to browse this registry"),
    h("p", {}, state.rejected
      ? "The server did not accept the token you gave (mistyped, expired or revoked). Paste another one."
      : "This server needs a token to read. Ask its operator for one."),
    h("button", { class: "button primary", onclick: signIn }, "Sign in with a token"));
}
