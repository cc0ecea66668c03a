/* DOM helpers and value formatting shared by every page. Every value from the registry is
   inserted as text (createTextNode), never as HTML. */

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const fmt = (v) => (typeof v === "number" ? Charts.fmt(v) : v ?? "–");
export const day = (iso) => (iso ? String(iso).slice(0, 10) : "–");
export const when = (iso) => (iso ? String(iso).replace("T", " ").replace(/\.\d+/, "").replace("Z", " UTC") : "–");
export const range = (r) => (r ? `${day(r.start)} → ${day(r.end)}` : "–");
export const bytes = (n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`);
export const plural = (n, word) => `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;

export function badge(status) {
  return h("span", { class: `badge ${status}` }, status);
}

export function section(title, ...content) {
  return h("section", { class: "card" }, h("h2", {}, title), ...content);
}

export function errorBox(err) {
  return h("div", { class: "error-box" }, h("strong", {}, err.status ? `${err.status} ` : ""), err.message);
}

/** A value as text: numbers formatted, objects as compact JSON. */
export function shown(v) {
  if (v === null || v === undefined) return "–";
  if (typeof v === "number") return fmt(v);
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

export function kvTable(obj, { id } = {}) {
  const entries = Object.entries(obj || {});
  if (!entries.length) return h("p", { class: "muted" }, "–");
  return h("table", { class: "kv", id }, h("tbody", {}, entries.map(([k, v]) => h("tr", { "data-key": k }, h("th", {}, k), h("td", { class: "mono" }, shown(v))))));
}

export function toast(message, kind = "ok") {
  const box = document.getElementById("toast");
  box.textContent = message;
  box.className = `toast ${kind}`;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (box.hidden = true), 4000);
}

/** `pkg.module:Class` or `pkg.module.Class` as its last name (the full path in a title). */
export function shortClass(path) {
  return path ? String(path).split(/[:.]/).pop() : "";
}
