/* modelreg web UI: descriptions and tags (issue 14), used by the version and versions pages
   through `Edits`.

   Markdown from the registry is untrusted: `Edits.markdown` never parses it as HTML. It builds
   DOM nodes (createElement, text nodes) for a small Markdown subset (headings, paragraphs,
   lists, quotes, fenced code, **bold**, *emphasis*, `code`, [links](https://...)); anything
   else stays literal text, and only http(s), mailto and in-page links become links. */
import { h as el } from "./dom.js";

export const Edits = (() => {
  const MAX_DESCRIPTION = 20000;
  const SAFE_URL = /^(https?:\/\/|mailto:|#|\/(?!\/))/i;

  /* ---------- Markdown, as DOM nodes only ---------- */

  const INLINE = /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(\*[^*\n]+\*|(?<![\w])_[^_\n]+_(?![\w]))|(\[[^\]\n]+\]\([^)\s]+\))/;

  function inline(text) {
    const out = [];
    let rest = text;
    while (rest) {
      const m = INLINE.exec(rest);
      if (!m) { out.push(rest); break; }
      if (m.index) out.push(rest.slice(0, m.index));
      const token = m[0];
      if (m[1]) out.push(el("code", {}, token.slice(1, -1)));
      else if (m[2]) out.push(el("strong", {}, inline(token.slice(2, -2))));
      else if (m[3]) out.push(el("em", {}, inline(token.slice(1, -1))));
      else {
        const [, label, url] = /^\[([^\]]+)\]\(([^)]+)\)$/.exec(token);
        out.push(SAFE_URL.test(url)
          ? el("a", { href: url, rel: "noopener noreferrer nofollow", target: "_blank" }, inline(label))
          : token);
      }
      rest = rest.slice(m.index + token.length);
    }
    return out;
  }

  function markdown(text) {
    const root = el("div", { class: "markdown" });
    const lines = String(text || "").split("\n");
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      if (!line.trim()) { i += 1; continue; }
      if (line.startsWith("```")) {
        const code = [];
        for (i += 1; i < lines.length && !lines[i].startsWith("```"); i += 1) code.push(lines[i]);
        root.append(el("pre", {}, el("code", {}, code.join("\n"))));
        i += 1;
        continue;
      }
      const heading = /^(#{1,6})\s+(.*)$/.exec(line);
      if (heading) {
        root.append(el(`h${Math.min(6, heading[1].length + 2)}`, {}, inline(heading[2])));
        i += 1;
        continue;
      }
      const list = (re) => {
        const items = [];
        while (i < lines.length && re.test(lines[i])) items.push(el("li", {}, inline(lines[i++].replace(re, ""))));
        return items;
      };
      if (/^\s*[-*+]\s+/.test(line)) { root.append(el("ul", {}, list(/^\s*[-*+]\s+/))); continue; }
      if (/^\s*\d+[.)]\s+/.test(line)) { root.append(el("ol", {}, list(/^\s*\d+[.)]\s+/))); continue; }
      if (line.startsWith(">")) {
        const quoted = [];
        while (i < lines.length && lines[i].startsWith(">")) quoted.push(lines[i++].replace(/^>\s?/, ""));
        root.append(el("blockquote", {}, inline(quoted.join(" "))));
        continue;
      }
      const para = [];
      while (i < lines.length && lines[i].trim() && !/^(#{1,6}\s|```|>|\s*[-*+]\s|\s*\d+[.)]\s)/.test(lines[i])) para.push(lines[i++]);
      if (!para.length) para.push(lines[i++]);
      root.append(el("p", {}, inline(para.join(" "))));
    }
    return root;
  }

  /* ---------- the cards of a version's page (and of the model's, on the versions page) ---------- */

  /** Where a record's edits go: a version's routes, or the model's own (`endpoint`). */
  const routeOf = (info, endpoint) => endpoint || `/api/versions/${info.version}`;

  /** The description card: rendered Markdown, and for a write token an editor. */
  function descriptionCard(info, { canWrite, api, saved, endpoint, id = "description", title = "Description" }) {
    const card = el("section", { class: "card", id });
    const show = () => {
      card.replaceChildren(
        el("div", { class: "card-head" }, el("h2", {}, title),
          canWrite ? el("button", { class: "button ghost small", id: "edit-description", onclick: edit }, info.description ? "Edit" : "Add a description") : null),
        info.description ? markdown(info.description) : el("p", { class: "muted" }, "No description yet."));
    };
    const edit = () => {
      const area = el("textarea", { id: "description-text", rows: 10, maxlength: MAX_DESCRIPTION, "aria-label": "description (Markdown)" });
      area.value = info.description || "";
      const reason = el("input", { id: "description-reason", maxlength: 2000, placeholder: "Reason (recorded in the audit log)", "aria-label": "reason" });
      const error = el("p", { class: "error-box", hidden: true });
      const form = el("form", { class: "edit-form", onsubmit: async (e) => {
        e.preventDefault();
        try {
          const answer = await api(`${routeOf(info, endpoint)}/description`, { method: "POST", body: { description: area.value, reason: reason.value.trim() || null } });
          info.description = answer.description;
          saved("Description saved");
          show();
        } catch (err) {
          error.textContent = err.message;
          error.hidden = false;
        }
      } },
        area, el("p", { class: "muted small" }, "Markdown: # headings, **bold**, *emphasis*, `code`, lists, [links](https://…)."),
        reason, error,
        el("div", { class: "dialog-buttons" },
          el("button", { type: "button", class: "button ghost small", onclick: show }, "Cancel"),
          el("button", { type: "submit", class: "button primary small", id: "save-description" }, "Save")));
      card.replaceChildren(el("h2", {}, title), form);
      area.focus();
    };
    show();
    return card;
  }

  /** The tags card: key=value chips (a filter link where one applies), and for a write token
      add/remove. */
  function tagsCard(info, { canWrite, api, saved, filterLink, endpoint, id = "tags", title = "Tags" }) {
    const card = el("section", { class: "card", id });
    const post = async (body, done) => {
      try {
        info.tags = (await api(`${routeOf(info, endpoint)}/tags`, { method: "POST", body })).tags;
        saved(done);
        show();
      } catch (err) {
        saved(err.message, "error");
      }
    };
    const show = () => {
      const tags = Object.entries(info.tags || {}).sort(([a], [b]) => (a < b ? -1 : 1));
      const input = el("input", { id: "tag-input", placeholder: "key=value", maxlength: 330, "aria-label": "new tag (key=value)" });
      card.replaceChildren(el("h2", {}, title),
        tags.length
          ? el("ul", { class: "tag-chips" }, tags.map(([k, v]) => el("li", { class: "tag-chip", "data-tag": `${k}=${v}` },
            filterLink ? el("a", { href: filterLink(k, v), title: `versions tagged ${k}=${v}` }, `${k}=${v}`) : el("span", {}, `${k}=${v}`),
            canWrite ? el("button", { class: "tag-remove", "aria-label": `remove tag ${k}`, onclick: () => post({ remove: [k] }, `Removed ${k}`) }, "×") : null)))
          : el("p", { class: "muted" }, "No tags."),
        ...(canWrite ? [el("form", { class: "tag-add", onsubmit: (e) => {
          e.preventDefault();
          const at = input.value.indexOf("=");
          if (at < 1) return saved("A tag is key=value, e.g. owner=alice", "error");
          const [key, value] = [input.value.slice(0, at).trim(), input.value.slice(at + 1).trim()];
          post({ set: { [key]: value } }, `Tagged ${key}=${value}`);
        } }, input, el("button", { type: "submit", class: "button small", id: "add-tag" }, "Add tag"))] : []));
    };
    show();
    return card;
  }

  /** A row's tags as chips; clicking one filters the table by it. */
  function tagChips(tags, filterLink) {
    return Object.entries(tags || {}).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) =>
      el("a", { class: "chip tag", href: filterLink(k, v), "data-tag": `${k}=${v}`, title: `only versions tagged ${k}=${v}` }, `${k}=${v}`));
  }

  /** The tag filters in force, each removable, above the versions table (none: no node). */
  function activeFilters(tags, unfilterLink) {
    if (!tags.length) return [];
    return [el("p", { class: "active-tags", id: "active-tags" }, "Tagged ",
      tags.map((t) => el("a", { class: "chip tag on", href: unfilterLink(t), "data-tag": t, title: "remove this filter" }, `${t} ×`)))];
  }

  return { MAX_DESCRIPTION, markdown, descriptionCard, tagsCard, tagChips, activeFilters };
})();
