/* The page's <dialog>s. Enter does what the primary button does: Cancel is a plain button
   (type="button", data-cancel), so a form's implicit submission reaches the primary one. */

export function wireDialogs() {
  for (const button of document.querySelectorAll("dialog [data-cancel]")) {
    button.addEventListener("click", () => button.closest("dialog").close("cancel"));
  }
}

/** Open `dialog`, resolve with its return value once it closes ("" on Escape). */
export function ask(dialog, focus) {
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    if (focus) focus.focus();
  });
}

/** Ask to confirm an action, with a reason for the audit log; `extra` is more content (the
    gate's table), and an `extra` marked `needsConsent` keeps the button off until ticked. */
export async function confirmAction(title, text, okLabel, danger = false, extra = null) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  const ok = document.getElementById("confirm-ok");
  ok.textContent = okLabel;
  ok.className = `button ${danger ? "danger" : "primary"}`;
  ok.disabled = !!(extra && extra.dataset.needsConsent);
  document.getElementById("confirm-extra").replaceChildren(...(extra ? [extra] : []));
  const reason = document.getElementById("confirm-reason");
  reason.value = "";
  const answer = await ask(dialog, reason);
  return answer === "ok" ? { reason: reason.value.trim() || null } : null;
}
