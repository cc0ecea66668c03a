/* modelreg web UI: the promotion workflow. The gate's table in the promote dialog (the same
   judgement as `promote_if_better`, fetched from /api/gate before anything moves), and the
   pending approval requests with approve / reject buttons. Every value from the registry is
   inserted as text, never as HTML. */
import { act } from "./actions.js";
import { api, canWrite, link, state } from "./api.js";
import { confirmAction } from "./dialogs.js";
import { fmt, h, section, toast, when } from "./dom.js";

const GAIN_NOTE = "Gain: how much the candidate beats the holder in the metric's direction (+ means better).";

function gateView(gate) {
  const rows = gate.metrics || [];
  const losing = !gate.passed;
  const parts = [];
  if (gate.holder && gate.holder !== gate.candidate && rows.length) {
    parts.push(h("div", { class: "table-wrap" }, h("table", { class: "gate-table", id: "gate-table" },
      h("thead", {}, h("tr", {}, ["Metric", "Candidate", "Production", "Gain", "Needs >", ""].map((t, i) => h("th", { class: i && i < 5 ? "num" : "" }, t)))),
      h("tbody", {}, rows.map((r) => h("tr", { class: r.passed ? "pass" : "fail" },
        h("td", {}, r.metric, h("span", { class: "muted small" }, r.higher_is_better ? " ↑" : " ↓")),
        h("td", { class: "num mono" }, fmt(r.candidate)),
        h("td", { class: "num mono" }, fmt(r.holder)),
        h("td", { class: "num mono" }, r.gain === null ? "–" : `${r.gain > 0 ? "+" : ""}${fmt(r.gain)}`),
        h("td", { class: "num mono" }, fmt(r.needed)),
        h("td", {}, h("span", { class: `verdict ${r.passed ? "pass" : "fail"}` }, r.passed ? "better" : "not better"))))))));
    parts.push(h("p", { class: "muted small" }, GAIN_NOTE));
  }
  const verdict = !gate.holder ? `No production version yet: nothing to beat.`
    : gate.holder === gate.candidate ? `${gate.candidate} is production already.`
    : gate.passed ? `The gate passes: ${gate.candidate} beats ${gate.holder}.`
    : `The gate says no: ${gate.candidate} does not beat production ${gate.holder}.`;
  parts.push(h("p", { class: `gate-verdict ${losing ? "fail" : "pass"}`, id: "gate-verdict", role: losing ? "alert" : null }, verdict));
  for (const warning of gate.warnings || []) parts.push(h("p", { class: "gate-warning" }, `⚠ ${warning}`));
  if (gate.requires_approval) parts.push(h("p", { class: "gate-note" }, "Production needs a second person's approval: this files a request; nothing moves until someone else approves it."));
  if (losing) {
    const box = h("input", { type: "checkbox", id: "gate-force", onchange: () => { document.getElementById("confirm-ok").disabled = !box.checked; } });
    parts.push(h("label", { class: "gate-force" }, box, " Promote anyway: I have read the comparison (recorded in the audit log as forced)"));
  }
  const view = h("div", { class: "gate", id: "gate" }, parts);
  if (losing) view.dataset.needsConsent = "1";
  return view;
}

export async function promote(version) {
  let gate;
  try {
    gate = await api("/api/gate", { params: { version } });
  } catch (err) {
    return toast(err.message, "error");
  }
  const asking = gate.requires_approval && gate.holder !== gate.candidate;
  const text = `Production moves from ${gate.holder || "nothing"} to ${version}. Serving processes pick it up on their next check.`;
  const label = asking ? "Request approval" : gate.passed ? "Promote" : "Promote anyway";
  const answer = await confirmAction(asking ? "Request promotion to production?" : "Promote to production?", text, label, !gate.passed, gateView(gate));
  if (!answer) return;
  const body = { version, expected_current: gate.holder, reason: answer.reason, force: !gate.passed };
  act(() => api("/api/promote", { method: "POST", body }), asking ? `Requested: ${version} waits for another person's approval` : `${version} is now production`);
}

/** The pending requests (none: no node), each with approve / reject for the other people. */
export function requestsCard(requests) {
  if (!requests.length) return [];
  const decide = (r, verb) => async () => {
    const answer = await confirmAction(verb === "approve" ? "Approve this promotion?" : "Reject this promotion?",
      verb === "approve" ? `${r.channel} moves from ${r.expected_current || "nothing"} to ${r.version}, requested by ${r.requested_by}.` : `${r.version} stays where it is; ${r.requested_by} is told why in the audit log.`,
      verb === "approve" ? "Approve" : "Reject", verb === "reject");
    if (!answer) return;
    if (!answer.reason) return toast("A reason is required to approve or reject", "error");
    act(() => api(`/api/requests/${r.id}/${verb}`, { method: "POST", body: { reason: answer.reason } }), verb === "approve" ? `Approved: ${r.channel} is now ${r.version}` : "Rejected");
  };
  const mine = (r) => state.who && state.who.name === r.requested_by;
  return [section("Waiting for approval", h("ul", { class: "requests", id: "requests" }, requests.map((r) => h("li", { class: "request-item", "data-request": r.id },
    h("div", { class: "event-line" },
      h("span", { class: "badge request" }, "request"),
      h("a", { href: link(`/v/${r.version}`), class: "mono" }, r.version),
      h("span", { class: "chip" }, r.channel),
      h("span", { class: "muted" }, `replacing ${r.expected_current || "nothing"}`),
      r.gate && !r.gate.passed ? h("span", { class: "verdict fail" }, "gate failed, forced") : h("span", { class: "verdict pass" }, "gate passed"),
      r.stale ? h("span", { class: "verdict fail", title: "the channel moved since: reject it and request again" }, "stale") : null),
    h("div", { class: "event-meta" }, `by ${r.requested_by || "unknown"} · ${when(r.requested_at)}`, r.reason ? ` · “${r.reason}”` : ""),
    canWrite() ? h("div", { class: "actions" },
      mine(r) ? h("span", { class: "muted small" }, "Your request: another person decides it.")
        : [h("button", { class: "button primary small approve-request", onclick: decide(r, "approve") }, "Approve"),
          h("button", { class: "button danger small reject-request", onclick: decide(r, "reject") }, "Reject")]) : null))))];
}
