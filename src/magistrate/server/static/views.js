// Magistrate dashboard: the principals view and the audit browser (plain JavaScript; helpers
// come from app.js as window.Magistrate).
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const M = () => window.Magistrate;
  const DECISIONS = ["allow", "escalate", "deny", "ungoverned"];
  let current = "overview";
  let principalsTimer = null;

  function when(iso) {
    if (!iso) return "–";
    return iso.replace("T", " ").slice(0, 19);
  }

  function fail(id, error) {
    if (M().handle(error)) return;
    M().showError(id, error.message);
  }

  // ---------------------------------------------------------------- principals
  async function loadPrincipals() {
    const { api, el, showError } = M();
    let data;
    try {
      data = await api("/v1/principals");
    } catch (error) {
      fail("principals-error", error);
      return;
    }
    showError("principals-error", "");
    const onlySuspended = $("principals-suspended-only").checked;
    const rows = $("principals-rows");
    rows.replaceChildren();
    const shown = data.principals.filter((p) => !onlySuspended || p.suspended);
    for (const p of shown) {
      const row = el("tr");
      row.dataset.principal = p.principal;
      if (p.suspended) row.className = "suspended";
      const name = el("td", "principal");
      const link = el("button", "link", p.principal);
      link.type = "button";
      link.addEventListener("click", () => showPrincipal(p));
      name.appendChild(link);
      const trust = el("td", "trust", p.trust === null ? "–" : p.trust.toFixed(2));
      const standing = el("td", "standing");
      if (p.suspended) {
        standing.append(el("span", "badge dec-deny", "suspended"), el("div", "reason", p.reason));
      } else {
        standing.appendChild(el("span", "muted", "active"));
      }
      const counts = el("td", "counts");
      for (const d of DECISIONS) {
        if (p.decisions[d]) counts.appendChild(el("span", `tally dec-text-${d}`, `${d} ${p.decisions[d]}`));
      }
      const last = el("td", "last muted", when(p.last_time));
      const act = el("td", "act");
      if (p.suspended) act.appendChild(liftControls(p));
      row.append(name, trust, standing, counts, last, act);
      rows.appendChild(row);
    }
    $("principals-count").textContent = String(shown.length);
    $("principals-empty").hidden = shown.length > 0;
    $("principals-table").hidden = shown.length === 0;
  }

  function liftControls(p) {
    const { el } = M();
    const box = el("span", "lift");
    const note = el("input", "note");
    note.type = "text";
    note.placeholder = "note (optional)";
    note.maxLength = 2000;
    note.setAttribute("aria-label", `note for lifting ${p.principal}`);
    const button = el("button", "approve lift-button", "Lift suspension");
    button.type = "button";
    button.addEventListener("click", () => lift(p.principal, note.value, button));
    box.append(note, button);
    return box;
  }

  async function lift(principal, note, button) {
    const { api, showError } = M();
    button.disabled = true;
    showError("principals-error", "");
    try {
      await api(`/v1/principals/${encodeURIComponent(principal)}/lift-suspension`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ note: note || null }),
      });
    } catch (error) {
      button.disabled = false;
      fail("principals-error", new Error(`lift ${principal}: ${error.message}`));
      return;
    }
    await loadPrincipals();
    const open = $("principal-detail");
    if (!open.hidden && open.dataset.principal === principal) {
      const row = document.querySelector(`#principals-rows tr[data-principal="${CSS.escape(principal)}"]`);
      if (row) row.querySelector("button.link").click();
    }
  }

  async function showPrincipal(p) {
    const { api, el, badge } = M();
    const panel = $("principal-detail");
    panel.hidden = false;
    panel.dataset.principal = p.principal;
    $("principal-detail-title").textContent = p.principal;
    const standing = $("principal-standing");
    standing.replaceChildren(
      el("div", null, `trust ${p.trust === null ? "–" : p.trust.toFixed(3)}`),
      el("div", p.suspended ? "error" : "muted",
        p.suspended ? `suspended${p.since ? ` since ${when(p.since)}` : ""}: ${p.reason}` : "not suspended"),
    );
    const list = $("principal-recent");
    list.replaceChildren();
    try {
      const data = await api(`/v1/audit/browse?principal=${encodeURIComponent(p.principal)}&limit=15`);
      for (const r of data.records) {
        const item = el("li");
        item.append(el("span", "time", when(r.time).slice(11)), badge("dec", r.status || r.decision),
          badge("risk", r.risk), el("span", "text", r.type === "verdict" ? `[${r.kind}] ${r.text}` : `${r.type}: ${r.status || ""}`),
          el("span", "by", r.rules.join(", ")));
        item.addEventListener("click", () => { showView("audit"); openRecord(r.row_id); });
        list.appendChild(item);
      }
    } catch (error) {
      fail("principals-error", error);
    }
  }

  // ---------------------------------------------------------------- audit browser
  async function searchAudit() {
    const { api, el, badge, showError } = M();
    const form = new FormData($("audit-filters"));
    const params = new URLSearchParams();
    for (const [name, value] of form.entries()) {
      if (String(value).trim()) params.set(name, String(value).trim());
    }
    params.set("limit", "200");
    $("audit-search").disabled = true;
    try {
      const data = await api(`/v1/audit/browse?${params}`);
      showError("audit-error", "");
      const rows = $("audit-rows");
      rows.replaceChildren();
      for (const r of data.records) {
        const row = el("tr");
        row.dataset.id = String(r.row_id);
        row.tabIndex = 0;
        const what = r.type === "verdict" ? `[${r.kind}] ${r.text}`
          : r.type === "approval" ? `approval ${r.status}: ${r.text}` : `suspension ${r.status || ""}`;
        const dec = el("td");
        dec.appendChild(badge("dec", r.type === "verdict" ? r.decision : r.status || r.decision));
        const tier = el("td");
        tier.appendChild(badge("risk", r.risk));
        row.append(el("td", "time", when(r.time)), dec, tier, el("td", "principal", r.principal),
          el("td", "what", what), el("td", "rules", r.rules.join(", ") || "–"));
        row.addEventListener("click", () => openRecord(r.row_id));
        row.addEventListener("keydown", (e) => { if (e.key === "Enter") openRecord(r.row_id); });
        rows.appendChild(row);
      }
      const n = data.records.length;
      $("audit-found").textContent = `${n} record${n === 1 ? "" : "s"}` +
        (data.truncated ? ` (searched the newest ${data.scanned})` : "");
      $("audit-empty").hidden = n > 0;
      $("audit-table").hidden = n === 0;
    } catch (error) {
      fail("audit-error", error);
    } finally {
      $("audit-search").disabled = false;
    }
  }

  function field(container, label, value) {
    const { el } = M();
    const row = el("div", "field");
    row.append(el("span", "label", label), el("span", "value", value));
    container.appendChild(row);
    return row;
  }

  async function openRecord(rowId) {
    const { api, el, badge } = M();
    let r;
    try {
      r = await api(`/v1/audit/records/${rowId}`);
    } catch (error) {
      fail("audit-error", error);
      return;
    }
    for (const tr of document.querySelectorAll("#audit-rows tr")) {
      tr.classList.toggle("selected", tr.dataset.id === String(rowId));
    }
    const panel = $("audit-detail");
    panel.hidden = false;
    panel.dataset.id = String(rowId);
    const body = $("audit-detail-body");
    body.replaceChildren();
    const head = el("div", "detail-head");
    head.append(badge("dec", r.type === "verdict" ? r.decision : r.status || r.decision), badge("risk", r.risk),
      el("span", null, ` ${r.principal} · ${when(r.time)}`));
    body.appendChild(head);
    const b = r.body;
    field(body, "action", r.type === "verdict" ? `[${r.kind}] ${b.tool ? b.tool + " " : ""}${b.text || ""}` : r.text);
    if (b.args && Object.keys(b.args).length) field(body, "arguments", JSON.stringify(b.args));
    if (b.target) field(body, "target", b.target);

    const cites = section(body, "Citations", "detail-citations");
    for (const c of b.citations || []) {
      const item = el("div", "citation");
      item.append(el("div", null, `art. ${c.article_number} ${c.article_title} (${c.rule_id})`),
        el("div", "muted", c.evidence));
      cites.appendChild(item);
    }
    if (!(b.citations || []).length) cites.appendChild(el("div", "muted", "no rule cited"));
    const reasons = section(body, "Reasons", "detail-reasons");
    for (const reason of b.reasons || []) reasons.appendChild(el("div", null, reason));
    if (b.type === "verdict") {
      field(reasons, "trust", `${b.trust_before} → ${b.trust_after}`);
      field(reasons, "mode", b.mode + (b.would_decision ? ` (would ${b.would_decision})` : ""));
      field(reasons, "constitution", String(b.constitution_version));
    }
    const timings = section(body, "Timings", "detail-timings");
    for (const [stage, ns] of Object.entries(b.timings_ns || {})) field(timings, stage, `${(ns / 1000).toFixed(1)} µs`);
    if (!Object.keys(b.timings_ns || {}).length) timings.appendChild(el("div", "muted", "–"));

    const approval = section(body, "Approval", "detail-approval");
    if (r.approval) {
      const a = r.approval;
      field(approval, "request", a.id);
      field(approval, "status", a.status + (a.resolved_by ? ` by ${a.resolved_by}` : ""));
      if (a.note) field(approval, "note", a.note);
      field(approval, "expires", new Date(a.expires_at * 1000).toISOString().replace("T", " ").slice(0, 19));
    } else {
      approval.appendChild(el("div", "muted", b.approval_id ? `request ${b.approval_id} (not found)` : "none"));
    }
    const chain = section(body, "Chain position", "detail-chain");
    const pos = r.chain_position;
    field(chain, "chain", pos.chain);
    field(chain, "position", `record ${pos.seq} of ${pos.chain_length ?? "?"}`);
    field(chain, "previous hash", pos.prev_hash);
    field(chain, "hash", pos.hash);
    field(chain, "hash check", pos.hash_matches ? "matches its content" : "DOES NOT MATCH its content")
      .classList.add(pos.hash_matches ? "ok" : "bad");
  }

  function section(container, title, id) {
    const { el } = M();
    container.appendChild(el("h3", null, title));
    const box = el("div", "section");
    box.id = id;
    container.appendChild(box);
    return box;
  }

  // ---------------------------------------------------------------- switching
  function showView(name) {
    const tab = document.querySelector(`#tabs .tab[data-view="${name}"]`);
    if (tab) tab.click();
  }

  function show(name) {
    current = name;
    if (principalsTimer) clearInterval(principalsTimer);
    principalsTimer = null;
    if (name === "principals") {
      loadPrincipals();
      principalsTimer = setInterval(loadPrincipals, 5000);
    } else if (name === "audit" && !$("audit-rows").childNodes.length) {
      searchAudit();
    }
  }

  function stop() {
    if (principalsTimer) clearInterval(principalsTimer);
    principalsTimer = null;
    $("principals-rows").replaceChildren();
    $("audit-rows").replaceChildren();
    $("principal-detail").hidden = true;
    $("audit-detail").hidden = true;
    current = "overview";
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("audit-filters").addEventListener("submit", (event) => {
      event.preventDefault();
      searchAudit();
    });
    $("principals-suspended-only").addEventListener("change", loadPrincipals);
    $("principal-detail-close").addEventListener("click", () => { $("principal-detail").hidden = true; });
    $("audit-detail-close").addEventListener("click", () => { $("audit-detail").hidden = true; });
  });

  window.MagistrateViews = { start() {}, stop, show, current: () => current };
})();
