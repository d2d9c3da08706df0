// The voting kiosk's screens. Each act (open, vote, close) is one request to the machine, which journals it
// before it answers; the page only shows what the machine says its state is.
"use strict";
(function () {
  const initial = JSON.parse(document.getElementById("initial").textContent);
  const $ = (id) => document.getElementById(id);
  const screens = ["ready", "ballot", "confirm", "cast", "closed"];
  let status = initial.status;
  let choices = {};

  function show(name) {
    for (const s of screens) $(`screen-${s}`).hidden = s !== name;
    $("poll-worker").hidden = !["ballot", "cast"].includes(name);
    const heading = $(`screen-${name}`).querySelector("h1");
    heading.focus();
    $("announce").textContent = heading.textContent;
  }

  function update(next) {
    status = next;
    $("machine-state").textContent = `${status.state} · ${status.voters.toLocaleString("en-US")} voters`;
    $("worker-status").textContent = `${status.voters} voters of ${status.registered} registered.`;
    const links = Object.entries(status.printed).map(([name, href]) => `<li><a href="${href}" target="_blank">${name}</a></li>`).join("");
    $("worker-printed").innerHTML = links;
    $("printed-list").innerHTML = links;
    $("closed-voters").textContent = status.voters.toLocaleString("en-US");
    $("transmission").textContent = status.transmission;
  }

  async function post(path, body) {
    const response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error.message);
    update(data);
    return data;
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
      const cards = [...contest.options, { id: null, name: "Null vote", candidate: "No candidate" }];
      cards.forEach((option, i) => {
        const card = document.createElement("button");
        card.type = "button";
        card.className = option.id === null ? "card null" : "card";
        card.setAttribute("role", "radio");
        card.setAttribute("aria-checked", "false");
        card.tabIndex = i === 0 ? 0 : -1;
        card.dataset.option = option.id === null ? "null" : option.id;
        card.innerHTML = "<span class='party'></span><span class='candidate'></span>";
        card.children[0].textContent = option.name;
        card.children[1].textContent = option.candidate;
        card.setAttribute("aria-label", option.id === null ? "Null vote" : `${option.name}, candidate ${option.candidate}`);
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
      li.textContent = option.id === null ? `${contest.name}: null vote` : `${contest.name}: ${option.name} (${option.candidate})`;
      list.append(li);
    }
    show("confirm");
  });
  $("change").addEventListener("click", () => show("ballot"));
  $("confirm").addEventListener("click", async () => {
    $("confirm").disabled = true;
    try {
      const body = { choices: Object.fromEntries(Object.entries(choices).map(([c, o]) => [c, o.id])) };
      const data = await post("/vote", body);
      $("receipt-link").href = data.receipt;
      show("cast");
    } catch (err) {
      $("announce").textContent = `The vote was not recorded: ${err.message}`;
      alert(`The vote was not recorded: ${err.message}. Call the poll worker.`);
      show("ballot");
    } finally {
      $("confirm").disabled = false;
    }
  });
  $("next-voter").addEventListener("click", () => { choices = {}; buildBallot(); $("review").disabled = true; show("ballot"); });

  $("open-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("open-error").textContent = "";
    try {
      await post("/open", { pin: $("open-pin").value });
      $("open-pin").value = "";
      buildBallot();
      show("ballot");
    } catch (err) { $("open-error").textContent = err.message; }
  });
  $("close-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("close-error").textContent = "";
    try {
      await post("/close", { pin: $("close-pin").value });
      $("close-pin").value = "";
      show("closed");
    } catch (err) { $("close-error").textContent = err.message; }
  });

  setInterval(async () => {
    if (status.state !== "closed") return;
    try { update(await (await fetch("/status")).json()); } catch (err) { /* shown on the next poll */ }
  }, 3000);

  update(status);
  buildBallot();
  show({ ready: "ready", open: "ballot", closed: "closed" }[status.state] || "ready");
})();
