// Magistrate approvals dashboard: plain JavaScript, no build step, nothing loaded from elsewhere.
// The key lives in sessionStorage (this tab only) and goes out as `Authorization: Bearer`.
"use strict";

(function () {
  const KEY_STORE = "magistrate.key";
  const POLL_MS = 3000;
  const STREAM_MAX = 200;
  const DECISIONS = ["allow", "escalate", "deny"];
  const RISKS = ["LOW", "MEDIUM", "HIGH", "CRITICAL"];
  const LATENCIES = [
    ["decision", "governance (per decision)"],
    ["check_request", "POST /v1/check"],
    ["batch_request", "POST /v1/check/batch"],
  ];

  const $ = (id) => document.getElementById(id);
  let key = null;
  let pollTimer = null;
  let streamAbort = null;
  let refreshQueued = false;

  // ---------------------------------------------------------------- helpers
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function badge(kind, value) {
    return el("span", `badge ${kind}-${value}`, value);
  }

  function age(seconds) {
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
    if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
    return `${Math.floor(s / 86400)}d`;
  }

  function ms(value) {
    if (value === null || value === undefined) return "–";
    if (value < 1) return `${(value * 1000).toFixed(0)} µs`;
    if (value < 100) return `${value.toFixed(value < 10 ? 2 : 1)} ms`;
    return `${Math.round(value)} ms`;
  }

  class AuthError extends Error {}

  async function api(path, options) {
    const opts = options || {};
    const headers = Object.assign({ Authorization: `Bearer ${key}` }, opts.headers || {});
    const response = await fetch(path, Object.assign({}, opts, { headers }));
    let body = null;
    const type = response.headers.get("content-type") || "";
    if (type.includes("application/json")) body = await response.json();
    if (response.status === 401) throw new AuthError((body && body.detail) || "not signed in");
    if (!response.ok) {
      const detail = body && body.detail ? body.detail : `${response.status} ${response.statusText}`;
      const error = new Error(detail);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  function showError(id, message) {
    const node = $(id);
    node.textContent = message || "";
    node.hidden = !message;
  }

  // Shared with views.js (principals, audit browser).
  window.Magistrate = {
    api, el, badge, age, showError, why,
    handle: (error) => handle(error),
  };

  function views() {
    return window.MagistrateViews || { start() {}, stop() {}, show() {} };
  }

  function showView(name) {
    for (const tab of document.querySelectorAll("#tabs .tab")) {
      if (tab.dataset.view === name) tab.setAttribute("aria-current", "page");
      else tab.removeAttribute("aria-current");
    }
    for (const view of document.querySelectorAll("#app .view")) view.hidden = view.id !== `view-${name}`;
    views().show(name);
  }

  // ---------------------------------------------------------------- sign in / out
  async function signIn(candidate) {
    // Checked without using it, so a wrong key is an answer, not a failed request.
    const response = await fetch("/v1/keys/verify", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ key: candidate }),
    });
    const me = await response.json();
    if (!response.ok) throw new Error(me.detail || `sign-in failed: ${response.status}`);
    if (!me.valid) throw new Error("That key is not valid (or was revoked).");
    if (me.role === "agent") {
      throw new Error(`${me.name} has an agent key: agents cannot approve. Use an approver or admin key.`);
    }
    key = candidate;
    sessionStorage.setItem(KEY_STORE, candidate);
    $("who-name").textContent = `${me.name} (${me.role})`;
    $("who").hidden = false;
    $("tabs").hidden = false;
    $("signin").hidden = true;
    $("app").hidden = false;
    showView("overview");
    showError("signin-error", "");
    start();
  }

  function signOut(message) {
    stop();
    key = null;
    sessionStorage.removeItem(KEY_STORE);
    $("who").hidden = true;
    $("tabs").hidden = true;
    $("app").hidden = true;
    $("signin").hidden = false;
    $("key").value = "";
    showError("signin-error", message || "");
  }

  function handle(error) {
    if (error instanceof AuthError) {
      signOut("Signed out: " + error.message);
      return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- pending approvals
  async function refreshPending() {
    const data = await api("/v1/approvals?status=pending&limit=200");
    const rows = $("pending-rows");
    const keep = new Map();
    for (const row of rows.querySelectorAll("tr")) keep.set(row.dataset.id, row);
    const seen = new Set();
    for (const request of data.approvals) {
      seen.add(request.id);
      let row = keep.get(request.id);
      if (!row) {
        row = pendingRow(request);
        rows.appendChild(row);
      }
      row.querySelector(".age").textContent = age(request.age_s);
    }
    for (const [id, row] of keep) if (!seen.has(id)) row.remove();
    // newest first, as the API returns them
    for (const request of data.approvals) {
      const row = rows.querySelector(`tr[data-id="${CSS.escape(request.id)}"]`);
      if (row) rows.appendChild(row);
    }
    $("pending-count").textContent = String(data.approvals.length);
    $("pending-empty").hidden = data.approvals.length > 0;
    $("pending-table").hidden = data.approvals.length === 0;
    $("pending-updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
  }

  function pendingRow(request) {
    const row = el("tr");
    row.dataset.id = request.id;
    const action = el("td", "action");
    action.appendChild(el("div", null, request.summary));
    action.appendChild(el("div", "muted", request.id));
    row.appendChild(action);
    const risk = el("td");
    risk.appendChild(badge("risk", request.risk));
    row.appendChild(risk);
    const cites = el("td", "cites");
    for (const c of (request.citations || []).slice(0, 3)) {
      cites.appendChild(el("div", null, `art. ${c.article_number} ${c.article_title} (${c.rule_id})`));
    }
    if (!cites.childNodes.length) cites.textContent = "–";
    row.appendChild(cites);
    row.appendChild(el("td", "requester", request.principal));
    row.appendChild(el("td", "age", age(request.age_s)));
    const decide = el("td", "decide");
    const note = el("input", "note");
    note.type = "text";
    note.placeholder = "note (optional)";
    note.maxLength = 2000;
    note.setAttribute("aria-label", `note for ${request.id}`);
    const approve = el("button", "approve", "Approve");
    approve.type = "button";
    const deny = el("button", "deny", "Deny");
    deny.type = "button";
    approve.addEventListener("click", () => resolve(request.id, "approve", note.value, row));
    deny.addEventListener("click", () => resolve(request.id, "deny", note.value, row));
    decide.append(note, approve, deny);
    row.appendChild(decide);
    return row;
  }

  async function resolve(id, verb, note, row) {
    for (const button of row.querySelectorAll("button")) button.disabled = true;
    showError("action-error", "");
    try {
      await api(`/v1/approvals/${encodeURIComponent(id)}/${verb}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ note: note || null }),
      });
      row.remove();
      const left = $("pending-rows").querySelectorAll("tr").length;
      $("pending-count").textContent = String(left);
      $("pending-empty").hidden = left > 0;
      $("pending-table").hidden = left === 0;
    } catch (error) {
      if (handle(error)) return;
      showError("action-error", `${verb} ${id}: ${error.message}`);
      for (const button of row.querySelectorAll("button")) button.disabled = false;
    }
    queueRefresh();
  }

  // ---------------------------------------------------------------- figures
  async function refreshStatus() {
    const status = await api("/v1/status");
    const c = status.constitution;
    $("constitution").textContent = `${c.name} · version ${c.version.slice(0, 12)} · ${status.mode}`;
    const stats = status.stats;
    tiles($("by-decision"), DECISIONS, stats.by_decision, "dec");
    tiles($("by-risk"), RISKS, stats.by_risk, "risk");
    const body = $("latency-rows");
    body.replaceChildren();
    for (const [name, label] of LATENCIES) {
      const figures = stats.latency_ms[name] || {};
      const row = el("tr");
      row.dataset.latency = name;
      row.append(el("td", null, label), el("td", "p50", ms(figures.p50)),
        el("td", "p99", ms(figures.p99)), el("td", null, figures.count || 0));
      body.appendChild(row);
    }
    const n = stats.workers.length;
    const d = stats.decisions;
    $("workers").textContent =
      `${d} decision${d === 1 ? "" : "s"} counted over ${n} live worker${n === 1 ? "" : "s"}`;
  }

  function tiles(container, names, counts, kind) {
    container.replaceChildren();
    for (const name of names) {
      const tile = el("div", `tile ${kind}-tile`);
      tile.dataset.name = name;
      tile.append(el("div", "label", name), el("div", "value", (counts && counts[name]) || 0));
      container.appendChild(tile);
    }
  }

  // ---------------------------------------------------------------- live stream (SSE over fetch,
  // so the key travels in a header, not in the URL)
  async function stream(signal) {
    let delay = 1000;
    while (!signal.aborted) {
      try {
        const response = await fetch("/v1/events", {
          headers: { Authorization: `Bearer ${key}`, Accept: "text/event-stream" },
          signal,
        });
        if (response.status === 401) throw new AuthError("key no longer valid");
        if (!response.ok || !response.body) throw new Error(`stream: ${response.status}`);
        $("stream-state").textContent = "live";
        delay = 1000;
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const chunk = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const data = chunk.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim());
            if (data.length) onEvent(JSON.parse(data.join("\n")));
          }
        }
      } catch (error) {
        if (signal.aborted) return;
        if (handle(error)) return;
      }
      if (signal.aborted) return;
      $("stream-state").textContent = "reconnecting…";
      await new Promise((done) => setTimeout(done, delay));
      delay = Math.min(delay * 2, 15000);
    }
  }

  // Why a verdict went the way it did: a suspension first (it overrides everything), then the
  // article and rule cited, then the first reason.
  function why(event) {
    const reason = event.reason || "";
    const cut = reason.indexOf(" is suspended: ");
    if (cut >= 0) return { kind: "suspended", text: `suspended: ${reason.slice(cut + 15)}` };
    if (event.rule) {
      const article = event.article_number ? `art. ${event.article_number} ${event.article}` : event.article;
      return { kind: "rule", text: `${article || ""} (${event.rule})`.trim() };
    }
    if (reason && reason !== "no rule matched") return { kind: "reason", text: reason };
    return null;
  }

  function onEvent(event) {
    const list = $("stream");
    const item = el("li");
    item.dataset.id = String(event.id);
    const time = (event.time || "").slice(11, 19);
    const resolution = event.type === "approval" || event.type === "suspension";
    const decision = resolution ? event.status || event.decision : event.decision;
    const text = el("span", "text");
    text.appendChild(el("span", "what", event.type === "suspension"
      ? `suspension of ${event.principal} lifted by ${event.resolved_by}`
      : event.type === "approval"
      ? `${event.status} by ${event.resolved_by}: ${event.text}`
      : `[${event.kind}] ${event.text}`));
    const reason = event.type === "verdict" ? why(event) : null;
    if (reason) text.appendChild(el("span", `why why-${reason.kind}`, reason.text));
    item.append(
      el("span", "time", time),
      badge("dec", decision),
      badge("risk", event.risk),
      text,
      el("span", "by", event.principal),
    );
    item.title = reason ? `${event.text}\n${reason.text}` : event.text;
    list.insertBefore(item, list.firstChild);
    while (list.childNodes.length > STREAM_MAX) list.removeChild(list.lastChild);
    if (event.decision === "escalate" || event.type === "approval") queueRefresh();
  }

  // ---------------------------------------------------------------- lifecycle
  function queueRefresh() {
    if (refreshQueued) return;
    refreshQueued = true;
    setTimeout(() => {
      refreshQueued = false;
      refresh();
    }, 150);
  }

  async function refresh() {
    if (!key) return;
    try {
      await Promise.all([refreshPending(), refreshStatus()]);
      showError("action-error", "");
    } catch (error) {
      if (handle(error)) return;
      showError("action-error", `refresh failed: ${error.message}`);
    }
  }

  function start() {
    stop();
    refresh();
    pollTimer = setInterval(refresh, POLL_MS);
    streamAbort = new AbortController();
    stream(streamAbort.signal);
  }

  function stop() {
    if (pollTimer) clearInterval(pollTimer);
    pollTimer = null;
    if (streamAbort) streamAbort.abort();
    streamAbort = null;
    $("stream").replaceChildren();
    $("pending-rows").replaceChildren();
    views().stop();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("signin-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const candidate = $("key").value.trim();
      if (!candidate) return;
      $("signin-button").disabled = true;
      try {
        await signIn(candidate);
      } catch (error) {
        showError("signin-error", error.message);
      } finally {
        $("signin-button").disabled = false;
      }
    });
    $("sign-out").addEventListener("click", () => signOut(""));
    for (const tab of document.querySelectorAll("#tabs .tab")) {
      tab.addEventListener("click", () => showView(tab.dataset.view));
    }
    const saved = sessionStorage.getItem(KEY_STORE);
    if (saved) signIn(saved).catch((error) => signOut(error.message));
  });
})();
