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
  const { _, number } = ActasWords;
  ActasActaCheck.configure(initial.check);
  const CREDENTIAL = "actas.witness", OUTBOX = "actas.outbox", SENT = "actas.sent";
  const RETRY_MS = 5000;
  const MAX_SIDE = 1600;
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
      if (body.witness !== witness) { $("signin-error").textContent = _("this token is witness {other}'s, not {witness}'s", { other: body.witness, witness }); return; }
      save(CREDENTIAL, { witness, token }, $("remember").checked ? localStorage : sessionStorage);
      $("witness-token").value = "";
      show();
    } catch (err) {
      $("signin-error").textContent = _("The server cannot be reached; try again when there is a network.");
    }
  });

  // Enrolment by a link (the QR code on the witness's card): /witness#witness=ID&token=TOKEN. The part after
  // # never leaves the phone; it fills the form, signs in, and is wiped from the address bar and history.
  function enrol() {
    const given = new URLSearchParams(location.hash.slice(1));
    if (!given.get("witness") || !given.get("token")) return;
    history.replaceState(null, "", location.pathname + location.search);
    $("witness-id").value = given.get("witness");
    $("witness-token").value = given.get("token");
    $("signin-form").requestSubmit();
  }

  $("signout").addEventListener("click", () => { localStorage.removeItem(CREDENTIAL); sessionStorage.removeItem(CREDENTIAL); show(); });

  // The acta's verdict, whoever made it: its status, why, and its counts as it states them.
  function display(body, here) {
    scan = body;
    $("scan-status").textContent = "";
    $("scan-verdict").textContent = initial.words[body.status] || body.status;
    $("scan-verdict").className = `status ${body.status}`;
    const kind = body.kind === "final" ? _("final") : _("zero");
    const valid = _("the signature of {station}'s {kind} acta is valid", { station: body.station, kind });
    $("scan-reason").textContent = body.status === "verified" ? (here ? `${valid} ${_("(checked in this phone)")}` : valid) : body.reason;
    const rows = $("scan-counts").querySelector("tbody");
    rows.replaceChildren();
    const line = (name, votes) => {
      const tr = document.createElement("tr");
      tr.innerHTML = "<th scope='row'></th><td class='num'></td>";
      tr.children[0].textContent = name;
      tr.children[1].textContent = number(votes);
      rows.append(tr);
    };
    for (const [key, votes] of Object.entries(body.votes || {})) line(names[key] || key, votes);
    if (body.null !== null && body.null !== undefined) line(_("Null"), body.null);
    $("scan-result").hidden = false;
    if (body.station) $("station").value = body.station;
    compareHand();
  }

  // The acta read from the photo and checked here, with no network once the registry is kept; null
  // where the phone read no acta, for the server to try.
  let known = null;
  async function checkHere(file) {
    const payloads = await ActasActaCheck.read(file);
    if (payloads.length !== 1) return null;
    if (!known) {
      const response = await fetch(initial.check.registry);
      if (!response.ok) return null;
      known = await ActasActaCheck.registry(await response.text());
    }
    const { acta, findings } = await ActasActaCheck.check(payloads[0], known);
    const votes = {};
    for (const c of acta.contests || []) for (const [option, n] of c.options) votes[`${c.id}/${option}`] = n;
    return {
      status: findings.length ? "rejected" : "verified", reason: findings.join("; "), station: acta.station,
      kind: acta.kind, payload: payloads[0], votes, null: acta.contests && acta.contests.length ? acta.contests[0].null : null,
    };
  }

  $("photo").addEventListener("change", async () => {
    const file = $("photo").files[0];
    if (!file) return;
    scan = null;
    $("scan-result").hidden = true;
    $("scan-status").textContent = _("Reading {name}…", { name: file.name });
    let here = null;
    try {
      here = await checkHere(file);
    } catch (err) {
      if (err instanceof ActasActaCheck.Problem) here = { status: "rejected", reason: err.message };
    }
    if (here) { display(here, true); return; }
    try {
      const sent = await downscale(file);
      const response = await fetch("/v1/witness/scan", { method: "POST", headers: { ...auth(), "Content-Type": sent.type || "application/octet-stream" }, body: sent });
      const body = await response.json();
      if (!response.ok) { $("scan-status").textContent = body.error.message; return; }
      display(body, false);
    } catch (err) {
      $("scan-status").textContent = _("The photo could not be sent to be read (no network?). Try again, or type the mesa and report without it.");
    }
  });


  // A phone's photo (up to 40 MB) goes up as a JPEG of at most 1600 pixels on its long side: enough for
  // the QR codes, a fraction of the data on a poor connection. A photo this browser cannot decode goes
  // as it is, and the server says what it makes of it.
  async function downscale(file) {
    try {
      const bitmap = await createImageBitmap(file);
      const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.type === "image/jpeg") return file;
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return await new Promise((resolve) => canvas.toBlob((blob) => resolve(blob || file), "image/jpeg", 0.9));
    } catch (err) {
      return file;
    }
  }

  $("hand-counted").addEventListener("change", () => { $("hand-fields").hidden = !$("hand-counted").checked; });

  // A hand count that differs from the acta read is marked in red, with the difference, before sending.
  function compareHand() {
    const votes = (scan && scan.votes) || {};
    let differ = 0;
    for (const input of document.querySelectorAll(".hand")) {
      const key = Object.keys(votes).find((k) => k === input.dataset.option || k.endsWith(`/${input.dataset.option}`));
      const note = input.parentElement.querySelector(".difference");
      const differs = key !== undefined && input.value !== "" && Number(input.value) !== votes[key];
      input.parentElement.classList.toggle("differs", differs);
      note.textContent = differs ? _("the acta says {n}: {delta}", { n: number(votes[key]), delta: (Number(input.value) > votes[key] ? "+" : "") + number(Number(input.value) - votes[key]) }) : "";
      differ += differs ? 1 : 0;
    }
    $("hand-summary").textContent = differ ? _("The hand count differs from the acta on {n} line(s): check it, then send it as counted.", { n: differ }) : "";
  }
  for (const input of document.querySelectorAll(".hand")) input.addEventListener("input", compareHand);

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
        if (input.value === "") { $("report-error").textContent = _("Enter the hand count of {name} (0 if none).", { name: names[input.dataset.option] }); return; }
        hand[input.dataset.option] = Number(input.value);
      }
      if ($("receipts").value === "") { $("report-error").textContent = _("Enter how many receipts there were in all."); return; }
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
    compareHand();
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
          $("outbox-status").textContent = _("{n} report(s) waiting for the network; retrying every {s} s.", { n: outbox.length, s: RETRY_MS / 1000 });
          return;
        }
        const body = await response.json().catch(() => ({}));
        if (response.status >= 500) { $("outbox-status").textContent = _("The server could not file the report now; retrying."); return; }
        const sent = load(SENT, []);
        sent.unshift({ station: item.report.station, status: response.ok ? body.status : "refused", index: body.index, mesa: body.mesa, message: response.ok ? "" : (body.error || {}).message });
        save(SENT, sent.slice(0, 50));
        outbox = load(OUTBOX, []).slice(1);
        save(OUTBOX, outbox);
        renderOutbox();
      }
      $("outbox-status").textContent = _("Every report has been received by the board.");
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
      li.textContent = _("{station}: waiting to be sent (since {time})", { station: item.report.station, time: ActasWords.time(new Date(item.queued)) });
      list.append(li);
    }
    for (const item of load(SENT, [])) {
      const li = document.createElement("li");
      li.className = item.status === "refused" ? "refused" : "sent";
      li.textContent = item.status === "refused"
        ? _("{station}: refused: {why}", { station: item.station, why: item.message })
        : _("{station}: {status}, board entry {index}, mesa {mesa}", { station: item.station, status: initial.words[item.status] || item.status, index: number(item.index), mesa: initial.words[item.mesa] || item.mesa });
      list.append(li);
    }
  }

  window.addEventListener("online", flush);
  setInterval(flush, RETRY_MS);
  show();
  enrol();
  flush();
  // Installable, and opens with no network: the service worker keeps the app's page and files.
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/witness-sw.js").catch(() => {});
})();
