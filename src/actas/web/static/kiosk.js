// The voter's screen. It shows the ballot only when a poll worker has enabled one, sends the vote, and
// keeps nothing: once the vote is recorded the screen forgets the choice and waits for the next ballot.
"use strict";
(function () {
  const initial = JSON.parse(document.getElementById("initial").textContent);
  const $ = (id) => document.getElementById(id);
  const screens = ["ready", "waiting", "ballot", "confirm", "encrypted", "challenged", "cast", "closed"];
  const VOTING = ["ballot", "confirm", "encrypted", "challenged"];
  const { _ } = ActasWords;
  const STATE_NAMES = { ready: _("polls not open"), open: _("polls open"), closed: _("polls closed") };
  const CAST_SECONDS = 6;
  const WHY = { no_ballot: _("no ballot is enabled on this screen"), refused: _("the choice was not accepted"),
    wrong_state: _("the polls are not open"), printer: _("the printer failed") };
  let status = initial.status;
  let current = null;
  let choices = {};
  let castUntil = 0;

  function show(name) {
    if (name === current) return;
    current = name;
    if (!VOTING.includes(name)) $("problem").hidden = true;
    for (const s of screens) $(`screen-${s}`).hidden = s !== name;
    const heading = $(`screen-${name}`).querySelector("h1");
    heading.focus();
    $("announce").textContent = heading.textContent;
  }

  function forget() {
    choices = {};
    buildBallot();
    $("review").disabled = true;
    $("chosen").replaceChildren();
  }

  // What the machine's state says the screen shows; a voter in the middle of a ballot keeps it.
  function follow(next) {
    status = next;
    $("machine-state").textContent = STATE_NAMES[status.state] || status.state;
    $("machine-state").dataset.state = status.state;
    if (status.state === "ready") return show("ready");
    if (status.state === "closed") { forget(); return show("closed"); }
    if (Date.now() < castUntil) return show("cast");
    if (!status.ballot) { forget(); document.body.classList.remove("large"); return show("waiting"); }
    if (!VOTING.includes(current)) { forget(); show("ballot"); }
  }

  function buildBallot() {
    const ballot = $("ballot");
    ballot.replaceChildren();
    for (const contest of initial.contests) {
      const heading = document.createElement("h2");
      heading.id = `contest-${contest.id}`;
      heading.textContent = contest.name;
      const group = document.createElement("div");
      group.className = "ballot";
      group.setAttribute("role", "radiogroup");
      group.setAttribute("aria-labelledby", heading.id);
      const cards = [...contest.options, { id: "null", name: _("Null vote"), candidate: _("No candidate") }];
      cards.forEach((option, i) => {
        const card = document.createElement("button");
        card.type = "button";
        card.className = option.id === "null" ? "card null" : "card";
        card.setAttribute("role", "radio");
        card.setAttribute("aria-checked", "false");
        card.tabIndex = i === 0 ? 0 : -1;
        card.dataset.option = option.id;
        const party = document.createElement("span");
        party.className = "party";
        party.textContent = option.name;
        const candidate = document.createElement("span");
        candidate.className = "candidate";
        candidate.textContent = option.candidate;
        if (option.logo) {
          const logo = document.createElement("img");
          logo.src = option.logo;
          logo.alt = "";  // the card's name says whose it is
          logo.className = "logo";
          card.append(logo);
        }
        card.append(party, candidate);
        if (option.color) card.style.borderLeft = `0.9rem solid ${option.color}`;  // the candidate's colour
        card.setAttribute("aria-label", option.id === "null" ? _("Null vote") : _("{party}, candidate {candidate}", { party: option.name, candidate: option.candidate }));
        card.addEventListener("click", () => pick(contest.id, option, group, card));
        card.addEventListener("keydown", (event) => {
          const all = [...group.querySelectorAll(".card")];
          const at = all.indexOf(card);
          const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
          if (step) {
            event.preventDefault();
            const next = all[(at + step + all.length) % all.length];
            card.tabIndex = -1; next.tabIndex = 0; next.focus();
          }
        });
        group.append(card);
      });
      ballot.append(heading, group);
    }
  }

  function pick(contest, option, group, card) {
    for (const other of group.querySelectorAll(".card")) { other.setAttribute("aria-checked", "false"); other.tabIndex = -1; }
    card.setAttribute("aria-checked", "true");
    card.tabIndex = 0;
    choices[contest] = option;
    $("review").disabled = Object.keys(choices).length !== initial.contests.length;
  }

  $("review").addEventListener("click", () => {
    const list = $("chosen");
    list.replaceChildren();
    for (const contest of initial.contests) {
      const option = choices[contest.id];
      const li = document.createElement("li");
      li.textContent = option.id === "null" ? _("{contest}: null vote", { contest: contest.name }) : `${contest.name}: ${option.name} (${option.candidate})`;
      list.append(li);
    }
    show("confirm");
  });
  $("change").addEventListener("click", () => show("ballot"));

  async function post(path, body) {
    const response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error.code);
    return data;
  }

  // Each act of the voter, the button pressed disabled until it is answered; a refusal said in plain words,
  // never the machine's own message (which may name its files).
  async function act(button, work) {
    button.disabled = true;
    try {
      await work();
    } catch (err) {
      const said = _("The vote was not recorded: {why}. Call a poll worker.", { why: WHY[err.message] || _("the machine could not record it") });
      $("problem").textContent = said;
      $("problem").hidden = false;
      $("announce").textContent = said;
      forget();
      current = null;
      await poll();
    } finally {
      button.disabled = false;
    }
  }

  function recorded(data) {
    forget();
    $("cast-note").textContent = !data.printed
      ? _("Your vote is recorded, but a printout failed: call a poll worker.")
      : status.encrypts
        ? _("Put your receipt in the ballot box, and keep the slip with your confirmation code.")
        : _("Take your receipt from the printer, check it, and put it in the ballot box.");
    castUntil = Date.now() + CAST_SECONDS * 1000;
    show("cast");
  }

  $("confirm").addEventListener("click", () => act($("confirm"), async () => {
    const body = { choices: Object.fromEntries(Object.entries(choices).map(([c, o]) => [c, o.id])) };
    if (!status.encrypts) return recorded(await post("/vote", body));
    const { code } = await post("/encrypt", body);
    $("ballot-code").textContent = code.slice(0, 16).match(/.{4}/g).join(" ");
    show("encrypted");
  }));
  $("cast").addEventListener("click", () => act($("cast"), async () => recorded(await post("/cast", {}))));
  $("challenge").addEventListener("click", () => act($("challenge"), async () => {
    const data = await post("/challenge", {});
    const option = initial.contests.flatMap((c) => c.options).find((o) => o.id === data.choice);
    $("challenged-choice").textContent = option ? `${option.name} (${option.candidate})` : _("Null vote");
    forget();
    show("challenged");
  }));
  $("again").addEventListener("click", () => show("ballot"));

  async function poll() {
    try {
      const response = await fetch("/status", { cache: "no-store" });
      if (response.ok) follow(await response.json());
    } catch (err) { /* the next poll tries again */ }
  }

  // Larger text for the voter who needs it; the next voter starts from the usual size.
  $("large-text").addEventListener("click", () => {
    const on = document.body.classList.toggle("large");
    $("large-text").setAttribute("aria-pressed", String(on));
  });

  buildBallot();
  follow(status);
  setInterval(poll, 1000);
})();
