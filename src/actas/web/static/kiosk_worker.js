// The poll workers' console: sign in with the PIN, open the polls, enable one ballot per voter checked in
// the register, reprint an acta, close the polls. Every act is one request; the page shows what the
// machine answers.
"use strict";
(function () {
  const initial = JSON.parse(document.getElementById("initial").textContent);
  const $ = (id) => document.getElementById(id);
  const { _, number } = ActasWords;
  const STATE_NAMES = { ready: _("polls not open"), open: _("polls open"), closed: _("polls closed") };

  function show(name) {
    for (const s of ["signin", "console"]) $(`screen-${s}`).hidden = s !== name;
    const heading = $(`screen-${name}`).querySelector("h1");
    heading.focus();
    $("announce").textContent = heading.textContent;
  }

  function update(status) {
    $("machine-state").textContent = STATE_NAMES[status.state] || status.state;
    $("machine-state").dataset.state = status.state;
    $("console-h").textContent = `${initial.label} ${status.station}`;
    $("state").textContent = STATE_NAMES[status.state] || status.state;
    $("voters").textContent = _("{n} of {m} registered", { n: number(status.voters), m: number(status.registered) });
    $("ballot").textContent = status.ballot ? _("enabled: the voter may vote") : _("none enabled");
    $("printer").textContent = status.printer;
    $("printer").classList.toggle("problem", !status.printer_ok);
    $("transmission").textContent = status.transmission;
    $("when-ready").hidden = status.state !== "ready";
    $("when-open").hidden = status.state !== "open";
    $("enable").disabled = status.ballot;
    $("cancel").disabled = !status.ballot;
    $("reprint").hidden = status.printed.length === 0;
    $("reprint-final").hidden = !status.printed.includes("final");
  }

  async function post(path, body) {
    $("console-error").textContent = "";
    const response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}) });
    const data = await response.json();
    if (response.status === 401) { show("signin"); throw new Error(data.error.message); }
    if (!response.ok) throw new Error(data.error.message);
    return data;
  }

  function act(button, path, body) {
    $(button).addEventListener("click", async () => {
      $(button).disabled = true;
      try {
        update(await post(path, body ? body() : {}));
        for (const field of ["open-pin", "close-pin"]) $(field).value = "";
        $("announce").textContent = _("Done.");
      } catch (err) {
        $("console-error").textContent = err.message;
      } finally {
        $(button).disabled = false;
      }
    });
  }

  $("signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("signin-error").textContent = "";
    try {
      update(await post("/session", { pin: $("signin-pin").value }));
      $("signin-pin").value = "";
      show("console");
    } catch (err) { $("signin-error").textContent = err.message; }
  });
  act("open", "/open", () => ({ pin: $("open-pin").value }));
  act("enable", "/ballot");
  act("cancel", "/ballot/cancel");
  act("close", "/close", () => ({ pin: $("close-pin").value }));
  act("reprint-zero", "/reprint", () => ({ acta: "zero" }));
  act("reprint-final", "/reprint", () => ({ acta: "final" }));
  $("signout").addEventListener("click", async () => { await post("/session/end"); show("signin"); });

  setInterval(async () => {
    if (!$("screen-console").hidden) {
      try {
        const response = await fetch("/status", { cache: "no-store" });
        if (response.status === 401) show("signin");
        else if (response.ok) update(await response.json());
      } catch (err) { /* the next poll tries again */ }
    }
  }, 2000);

  if (initial.signed_in) { update(initial.status); show("console"); } else { show("signin"); }
})();
