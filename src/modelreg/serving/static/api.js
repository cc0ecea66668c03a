/* The server's JSON API, the page state and the stored token. */

export const state = { who: null, rejected: false, models: [], model: "default", refresh: () => {} };
export const TOKEN_KEY = "modelreg.token";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error;
  }
}

function request(path, { method = "GET", body, params = {} } = {}) {
  const url = new URL(path, location.origin);
  if (state.model && state.model !== "default") url.searchParams.set("model", state.model);
  for (const [key, value] of Object.entries(params)) {
    for (const v of [].concat(value)) if (v !== undefined && v !== null && v !== "") url.searchParams.append(key, v);
  }
  const headers = {};
  const token = localStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

async function answer(response) {
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export async function api(path, options) {
  return answer(await request(path, options));
}

/** One page of versions and the number of matches in all (the server's X-Total-Count). */
export async function versionPage(params) {
  const response = await request("/api/versions", { params });
  const rows = await answer(response);
  const total = Number(response.headers.get("X-Total-Count"));
  return { rows, total: Number.isFinite(total) ? total : rows.length };
}

export const canWrite = () => !!state.who && (state.who.scope === "write" || state.who.scope === "admin");
export const link = (path) => `#/m/${encodeURIComponent(state.model)}${path}`;

export async function download(version, file) {
  const response = await request(`/api/versions/${version}/files/${file}`);
  if (!response.ok) throw new ApiError(response.status, null);
  const a = document.createElement("a");
  a.href = URL.createObjectURL(await response.blob());
  a.download = file.split("/").pop();
  document.body.append(a);
  a.click();
  a.remove();
}
