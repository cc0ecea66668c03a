/* Writes behind a confirmation: promote, roll back, delete. Each refreshes the page after. */
import { api, link, state } from "./api.js";
import { confirmAction } from "./dialogs.js";
import { toast } from "./dom.js";

async function act(work, done) {
  try {
    await work();
    toast(done);
    state.refresh();
  } catch (err) {
    toast(err.message, "error");
  }
}

export async function promote(version) {
  const channels = await api("/api/channels");
  const current = channels.production || null;
  const answer = await confirmAction("Promote to production?", `Production moves from ${current || "nothing"} to ${version}. Serving processes pick it up on their next check.`, "Promote");
  if (answer) act(() => api("/api/promote", { method: "POST", body: { version, expected_current: current, reason: answer.reason } }), `${version} is now production`);
}

export async function rollback(version) {
  const answer = await confirmAction("Roll production back?", version ? `Production goes back to ${version}.` : "Production goes back to the version before the current one.", "Roll back");
  if (answer) act(() => api("/api/rollback", { method: "POST", body: { version: version || null, reason: answer.reason } }), "Rolled back");
}

export async function remove(version) {
  const answer = await confirmAction("Delete this version?", `${version} and its files are removed for good. This cannot be undone.`, "Delete", true);
  if (!answer) return;
  try {
    await api(`/api/versions/${version}`, { method: "DELETE", params: { reason: answer.reason } });
    toast(`Deleted ${version}`);
    location.hash = link("");
  } catch (err) {
    toast(err.message, "error");
  }
}
