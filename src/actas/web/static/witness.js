// The witness app: sign in with the organization's credential, read the acta from a photo (decoded and
// checked by the server against the key registry), add the hand count and incidents, and submit. A report
// that cannot be sent (no network, server down) stays in this page's storage and is sent again until the
// board acknowledges it; the board answers the same report twice with the same receipt, so a retry that
// crosses an acknowledgement does no harm.
"use strict";
(function () {
  const initial = JSON.parse(document.getElementById("initial").textContent);
  const names = {};
  for (const c of initial.contests) for (const o of c.options) { names[o.id] = o.name; names[`${c.id}/${o.id}`] = o.name; }
  const $ = (id) => document.getElementById(id);
  const CREDENTIAL = "actas.witness", OUTBOX = "actas.outbox", SENT = "actas.sent";
  const RETRY_MS = 5000;
  let scan = null;

  const load = (key, fallback, store = localStorage) => { try { return JSON.parse(store.getItem(key)) ?? fallback; } catch (e) { return fallback; } };
  const save = (key, value, store = localStorage) => store.setItem(key, JSON.stringify(value));
  // The token lives in this tab's session storage, gone when the tab closes, unless the witness asks this
  // phone to remember it.
  const credential = () => load(CREDENTIAL, null, sessionStorage) ?? load(CREDENTIAL, null);
  const auth = () => ({ Authorization: `Bearer ${credential().token}` });

  function show() {
    const signedIn = credential() !== null;
    $("signin").hidden = signedIn;
    $("report").hidden = !signedIn;
    if (signedIn) $("signed-in-as").textContent = credential().witness;
    renderOutbox();
  }

  $("signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const witness = $("witness-id").value.trim(), token = $("witness-token").value.trim();
    $("signin-error").textContent = "";
    try {
      const response = await fetch("/v1/witness/me", { headers: { Authorization: `Bearer ${token}` } });
      const body = await response.json();
      if (!response.ok) { $("signin-error").textContent = body.error.message; return; }
      if (body.witness !== witness) { $("signin-error").textContent = `this token is witness ${body.witness}'s, not ${witness}'s`; return; }
      save(CREDENTIAL, { witness, token }, $("remember").checked ? localStorage : sessionStorage);
      $("witness-token").value = "";
      show();
    } catch (err) {
      $("signin-error").textContent = "The server cannot be reached; try again when there is a network.";
    }
  });

  $("signout").addEventListener("click", () => { localStorage.removeItem(CREDENTIAL); sessionStorage.removeItem(CREDENTIAL); show(); });

  $("photo").addEventListener("change", async () => {
    const file = $("photo").files[0];
    if (!file) return;
    scan = null;
    $("scan-result").hidden = true;
    $("scan-status").textContent = `Reading ${file.name}…`;
    try {
      const response = await fetch("/v1/witness/scan", { method: "POST", headers: { ...auth(), "Content-Type": file.type || "application/octet-stream" }, body: file });
      const body = await response.json();
      if (!response.ok) { $("scan-status").textContent = body.error.message; return; }
      scan = body;
      $("scan-status").textContent = "";
      $("scan-verdict").textContent = body.status;
      $("scan-verdict").className = `status ${body.status}`;
      $("scan-reason").textContent = body.status === "verified" ? `the signature of ${body.station}'s ${body.kind} acta is valid` : body.reason;
      const rows = $("scan-counts").querySelector("tbody");
      rows.replaceChildren();
      for (const [key, votes] of Object.entries(body.votes || {})) {
        const tr = document.createElement("tr");
        tr.innerHTML = "<th scope='row'></th><td class='num'></td>";
        tr.children[0].textContent = names[key] || key;
        tr.children[1].textContent = votes.toLocaleString("en-US");
        rows.append(tr);
      }
      if (body.null !== null && body.null !== undefined) {
        const tr = document.createElement("tr");
        tr.innerHTML = "<th scope='row'>Null</th><td class='num'></td>";
        tr.children[1].textContent = body.null.toLocaleString("en-US");
        rows.append(tr);
      }
      $("scan-result").hidden = false;
      if (body.station) $("station").value = body.station;
    } catch (err) {
      $("scan-status").textContent = "The photo could not be sent to be read (no network?). Try again, or type the mesa and report without it.";
    }
  });

  $("hand-counted").addEventListener("change", () => { $("hand-fields").hidden = !$("hand-counted").checked; });

  async function digest(file) {
    const bytes = await file.arrayBuffer();
    const hash = await crypto.subtle.digest("SHA-256", bytes);
    return Array.from(new Uint8Array(hash)).map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  $("report-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("report-error").textContent = "";
    const handCounted = $("hand-counted").checked;
    const hand = {};
    if (handCounted) {
      for (const input of document.querySelectorAll(".hand")) {
        if (input.value === "") { $("report-error").textContent = `Enter the hand count of ${names[input.dataset.option]} (0 if none).`; return; }
        hand[input.dataset.option] = Number(input.value);
      }
      if ($("receipts").value === "") { $("report-error").textContent = "Enter how many receipts there were in all."; return; }
    }
    const note = $("incident-note").value;
    const incidents = [...document.querySelectorAll(".incident:checked")].map((box) => ({ kind: box.value, note }));
    const usable = scan && scan.kind === "final" && scan.status !== "rejected";
    const photo = $("photo").files[0];
    const report = {
      format: "actas witness report v1",
      station: $("station").value.trim(),
      witness: credential().witness,
      acta: usable ? scan.payload : null,
      acta_status: usable ? scan.status : "none",
      hand_counted: handCounted,
      hand,
      receipts: handCounted ? Number($("receipts").value) : null,
      incidents,
      photos: photo && crypto.subtle ? [await digest(photo)] : [],
    };
    const outbox = load(OUTBOX, []);
    outbox.push({ report, queued: new Date().toISOString() });
    save(OUTBOX, outbox);
    $("report-form").reset();
    $("hand-fields").hidden = true;
    $("scan-result").hidden = true;
    scan = null;
    await flush();
  });

  let flushing = false;
  async function flush() {
    if (flushing || credential() === null) return;
    flushing = true;
    try {
      let outbox = load(OUTBOX, []);
      while (outbox.length) {
        const item = outbox[0];
        let response;
        try {
          response = await fetch("/v1/witness/reports", { method: "POST", headers: { ...auth(), "Content-Type": "application/json" }, body: JSON.stringify(item.report) });
        } catch (err) {
          $("outbox-status").textContent = `${outbox.length} report(s) waiting for the network; retrying every ${RETRY_MS / 1000} s.`;
          return;
        }
        const body = await response.json().catch(() => ({}));
        if (response.status >= 500) { $("outbox-status").textContent = "The server could not file the report now; retrying."; return; }
        const sent = load(SENT, []);
        sent.unshift({ station: item.report.station, status: response.ok ? body.status : "refused", index: body.index, mesa: body.mesa, message: response.ok ? "" : (body.error || {}).message });
        save(SENT, sent.slice(0, 50));
        outbox = load(OUTBOX, []).slice(1);
        save(OUTBOX, outbox);
        renderOutbox();
      }
      $("outbox-status").textContent = "Every report has been received by the board.";
    } finally {
      flushing = false;
      renderOutbox();
    }
  }

  function renderOutbox() {
    const list = $("sent-list");
    list.replaceChildren();
    for (const item of load(OUTBOX, [])) {
      const li = document.createElement("li");
      li.className = "waiting";
      li.textContent = `${item.report.station}: waiting to be sent (since ${item.queued.slice(11, 19)})`;
      list.append(li);
    }
    for (const item of load(SENT, [])) {
      const li = document.createElement("li");
      li.className = item.status === "refused" ? "refused" : "sent";
      li.textContent = item.status === "refused" ? `${item.station}: refused: ${item.message}` : `${item.station}: ${item.status}, board entry ${item.index}, mesa ${item.mesa}`;
      list.append(li);
    }
  }

  window.addEventListener("online", flush);
  setInterval(flush, RETRY_MS);
  show();
  flush();
})();
