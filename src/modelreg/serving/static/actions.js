/* Writes behind a confirmation: roll back, delete (promote: promotion.js). Each refreshes the page after. */
import { api, link, state } from "./api.js";
import { confirmAction } from "./dialogs.js";
import { toast } from "./dom.js";

/** Run a write, then say so and refresh the page (or say what went wrong). */
export async function act(work, done) {
  try {
    await work();
    toast(done);
    state.refresh();
  } catch (err) {
    toast(err.message, "error");
  }
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
