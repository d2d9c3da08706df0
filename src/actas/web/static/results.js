// Live results: renders the results of one unit and keeps them up to date without reloading.
// On the server's pages the first view comes embedded in the page, later ones from /v1/results, asked
// with the checkpoint's ETag so an unchanged board costs the server a 304 and nothing else. On the
// published site (`initial.published`) they come from the published files: results/latest.json names
// the set and carries the cosigned checkpoint, which is checked here (checkpoint.js) with the
// consistency proof from the checkpoint the set was counted at, before any figure is shown.
"use strict";
(function () {
  const initial = JSON.parse(document.getElementById("initial").textContent);
  const COLORS = ["#1f5fa8", "#c8102e", "#e3a21a", "#2a9d8f", "#7b4fa0", "#6b7b8c", "#d4633b", "#3c8d3c"];
  const published = initial.published;
  const POLL_MS = published ? 5000 : 2000;
  const code = published ? new URLSearchParams(location.search).get("unit") || "" : initial.view.code;
  let view = initial.view;
  let etag = null;
  const fmt = (n) => n.toLocaleString("en-US");
  const pct = (n, d) => (d ? (100 * n / d).toFixed(2) + "%" : "–");
  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k === "style") node.style.cssText = v;  // through the CSSOM: the pages' CSP refuses style attributes
      else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  };
  const colorOf = {};
  Object.keys(initial.candidates).forEach((id, i) => { colorOf[id] = COLORS[i % COLORS.length]; });
  const unitHref = (unit) => published ? (unit ? `?unit=${encodeURIComponent(unit)}` : "./") : `/results/${encodeURIComponent(unit)}`;
  const mesaLink = (station) => published ? station : el("a", { href: `/mesa/${encodeURIComponent(station)}` }, station);

  function summary(v) {
    const s = v.stations, r = v.registered;
    $("headline").textContent = v.headline ? v.headline.sentence : "No acta counted here yet.";
    const bar = $("actas-progress");
    bar.max = s.expected; bar.value = s.reported; bar.textContent = pct(s.reported, s.expected);
    $("reported").textContent = `${fmt(s.reported)} of ${fmt(s.expected)}`;
    $("reported-share").textContent = `${pct(s.reported, s.expected)} of actas`;
    $("voters").textContent = fmt(v.voters);
    $("turnout").textContent = `turnout ${pct(v.voters, r.covered)} where counted`;
    $("covered").textContent = fmt(r.covered);
    $("covered-share").textContent = `${pct(r.covered, r.expected)} of ${fmt(r.expected)}`;
    $("conflicts").textContent = fmt(s.conflicts);
    $("checkpoint-size").textContent = v.checkpoint ? fmt(v.checkpoint.size) : "0";
    $("checkpoint-root").textContent = v.checkpoint ? v.checkpoint.root : "none yet";
  }

  function contestTable(contest) {
    const total = contest.valid;
    const rows = [...contest.candidates].sort((a, b) => b.votes - a.votes);
    const table = el("table", { class: "data results", "data-contest": contest.id },
      el("caption", {}, `${contest.name}: ${fmt(total)} valid votes, ${fmt(contest.null)} null`));
    table.append(el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Candidate"),
      el("th", { scope: "col", class: "num" }, "Votes"), el("th", { scope: "col", class: "num" }, "%"),
      el("th", { scope: "col", class: "bar-col" }, el("span", { class: "visually-hidden" }, "Share"))))); 
    const body = el("tbody");
    for (const c of rows) {
      const share = total ? c.votes / total : 0;
      const bar = el("span", { class: "bar", style: `width:${(100 * share).toFixed(2)}%;background:${colorOf[c.id] || "#888"}` });
      const name = el("th", { scope: "row" }, c.name);
      if (c.options.length > 1) {
        name.append(el("span", { class: "cards" }, c.options.map((o) => `${o.name} ${fmt(o.votes)}`).join(" · ")));
      }
      body.append(el("tr", { "data-candidate": c.id }, name, el("td", { class: "num votes" }, fmt(c.votes)),
        el("td", { class: "num" }, pct(c.votes, total)), el("td", { class: "bar-col" }, bar)));
    }
    table.append(body);
    return table;
  }

  function announcements(v) {
    const box = $("announcements");
    if (!box) return;
    box.replaceChildren();
    for (const a of initial.announcements) {
      const contest = v.contests.find((c) => c.id === (a.contests[0] || {}).id);
      if (!contest) continue;
      const table = el("table", { class: "data" }, el("caption", {}, `${a.title} (issued ${a.issued.replace("T", " ")})`));
      table.append(el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Candidate"),
        el("th", { scope: "col", class: "num" }, "Announced"), el("th", { scope: "col", class: "num" }, "Actas"),
        el("th", { scope: "col", class: "num" }, "Difference"))));
      const body = el("tbody");
      const announcedTotal = Object.entries(a.contests[0].votes).filter(([k]) => k !== "null").reduce((t, [, n]) => t + n, 0);
      for (const [key, votes] of Object.entries(a.contests[0].votes)) {
        const cand = contest.candidates.find((c) => c.id === key);
        const counted = cand ? cand.votes : key === "null" ? contest.null : null;
        const label = cand ? cand.name : key;
        body.append(el("tr", {}, el("th", { scope: "row" }, label),
          el("td", { class: "num" }, `${fmt(votes)} (${pct(votes, announcedTotal)})`),
          el("td", { class: "num" }, counted === null ? "–" : fmt(counted)),
          el("td", { class: "num" }, counted === null ? "–" : fmt(votes - counted))));
      }
      table.append(body);
      box.append(table);
    }
  }

  // The rows of the shares chart: the child units, or at the lowest level the mesas (right: turnout).
  function shareRows(v) {
    if (v.children.length) return v.children.map((c) => ({ name: c.name, contests: c.contests, right: pct(c.reported, c.stations).replace(".00", "") }));
    return (v.station_list || []).map((s) => ({ name: s.code, contests: s.contests, right: pct(s.voters, s.registered) }));
  }

  function sharesChart(v) {
    const box = $("shares-chart");
    const rows = shareRows(v).filter((c) => c.contests && c.contests[0] && c.contests[0].valid > 0);
    if (!rows.length) { box.replaceChildren(el("p", { class: "note" }, "No actas counted here yet.")); return; }
    const ns = "http://www.w3.org/2000/svg";
    const rowH = 18, labelW = 170, width = 640, barW = width - labelW - 60;
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${rows.length * rowH + 4}`);
    svg.setAttribute("class", "shares");
    rows.slice(0, 60).forEach((child, i) => {
      const contest = child.contests[0];
      const label = document.createElementNS(ns, "text");
      label.setAttribute("x", labelW - 6); label.setAttribute("y", i * rowH + 13); label.setAttribute("text-anchor", "end");
      label.textContent = child.name.length > 24 ? child.name.slice(0, 23) + "…" : child.name;
      svg.append(label);
      let x = labelW;
      for (const [id, votes] of Object.entries(contest.candidates)) {
        const w = barW * votes / contest.valid;
        const rect = document.createElementNS(ns, "rect");
        rect.setAttribute("x", x); rect.setAttribute("y", i * rowH + 2); rect.setAttribute("width", Math.max(w, 0));
        rect.setAttribute("height", rowH - 4); rect.setAttribute("fill", colorOf[id] || "#888");
        const tip = document.createElementNS(ns, "title");
        tip.textContent = `${child.name}: ${initial.candidates[id] || id} ${pct(votes, contest.valid)}`;
        rect.append(tip); svg.append(rect); x += w;
      }
      const cover = document.createElementNS(ns, "text");
      cover.setAttribute("x", labelW + barW + 6); cover.setAttribute("y", i * rowH + 13);
      cover.textContent = child.right;
      svg.append(cover);
    });
    const legend = el("p", { class: "legend" }, ...Object.entries(initial.candidates).map(([id, name]) =>
      el("span", {}, el("i", { style: `background:${colorOf[id] || "#888"}` }), name)), el("span", { class: "note" }, v.children.length ? "right: actas counted" : "right: turnout"));
    box.replaceChildren(svg, legend);
  }

  function childrenTable(v) {
    const table = $("children");
    table.replaceChildren();
    if (v.children.length) {
      const leaders = (c) => {
        const contest = c.contests[0];
        const [id, votes] = Object.entries(contest.candidates).sort((a, b) => b[1] - a[1])[0] || [null, 0];
        return contest.valid ? `${initial.candidates[id]} ${pct(votes, contest.valid)}` : "–";
      };
      table.append(el("thead", {}, el("tr", {}, el("th", { scope: "col" }, initial.levels[v.children[0].level] || "Unit"),
        el("th", { scope: "col", class: "num" }, "Actas counted"), el("th", { scope: "col", class: "num" }, "Conflicts"),
        el("th", { scope: "col", class: "num" }, "Turnout"), el("th", { scope: "col" }, "Leading"))));
      const body = el("tbody");
      for (const c of v.children) {
        body.append(el("tr", { "data-code": c.code }, el("th", { scope: "row" }, el("a", { href: unitHref(c.code) }, c.name)),
          el("td", { class: "num" }, `${fmt(c.reported)} / ${fmt(c.stations)}`), el("td", { class: "num" }, fmt(c.conflicts)),
          el("td", { class: "num" }, pct(c.voters, c.covered)), el("td", {}, leaders(c))));
      }
      table.append(body);
    } else {
      const ids = Object.keys(initial.candidates);
      table.append(el("thead", {}, el("tr", {}, el("th", { scope: "col" }, initial.label),
        el("th", { scope: "col" }, "Acta"), el("th", { scope: "col", class: "num" }, "Registered"),
        el("th", { scope: "col", class: "num" }, "Voters"), el("th", { scope: "col", class: "num" }, "Turnout"),
        ...ids.map((id) => el("th", { scope: "col", class: "num" }, initial.candidates[id])))));
      const body = el("tbody");
      for (const s of v.station_list) {
        const counted = s.contests && s.contests[0];
        const votes = ids.map((id) => el("td", { class: "num" }, counted ? fmt(counted.candidates[id] || 0) : "–"));
        body.append(el("tr", { "data-station": s.code }, el("th", { scope: "row" }, mesaLink(s.code)),
          el("td", {}, el("span", { class: `status ${s.status}` }, s.status)), el("td", { class: "num" }, fmt(s.registered)),
          el("td", { class: "num" }, counted ? fmt(s.voters) : "–"), el("td", { class: "num" }, counted ? pct(s.voters, s.registered) : "–"),
          ...votes));
      }
      table.append(body);
    }
  }

  function progressChart(points) {
    const box = $("progress-chart");
    if (!points.length) { box.replaceChildren(el("p", { class: "note" }, "No final acta received yet.")); return; }
    const ns = "http://www.w3.org/2000/svg";
    const width = 640, height = 180, left = 60, bottom = 24;
    let total = 0;
    const cumulative = points.map(([minute, n]) => [minute, (total += n)]);
    const times = cumulative.map(([m]) => Date.parse(m + ":00Z") + 60000);  // counted by the minute's end
    times.unshift(times[0] - 60000);
    cumulative.unshift([points[0][0], 0]);
    const t0 = times[0], t1 = Math.max(times[times.length - 1], t0 + 60000);
    const x = (t) => left + (width - left - 10) * (t - t0) / (t1 - t0);
    const y = (n) => height - bottom - (height - bottom - 10) * n / total;
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", cumulative.map(([, n], i) => `${x(times[i]).toFixed(1)},${y(n).toFixed(1)}`).join(" "));
    line.setAttribute("class", "progress-line");
    svg.append(line);
    const labels = [[left - 6, y(total) + 4, fmt(total), "end"], [left - 6, y(0), "0", "end"],
      [left, height - 6, cumulative[0][0].slice(11) + " UTC", "start"], [width - 10, height - 6, cumulative[cumulative.length - 1][0].slice(11), "end"]];
    for (const [lx, ly, text, anchor] of labels) {
      const t = document.createElementNS(ns, "text");
      t.setAttribute("x", lx); t.setAttribute("y", ly); t.setAttribute("text-anchor", anchor); t.textContent = text;
      svg.append(t);
    }
    box.replaceChildren(svg);
  }

  function heading(v) {
    $("unit-name").textContent = v.name;
    const level = v.children.length ? initial.levels[v.children[0].level] || v.children[0].level : null;
    $("levels-h").textContent = level ? `By ${level.toLowerCase()}` : `${initial.label}s`;
    const trail = $("trail");
    if (!published || !trail) return;
    trail.replaceChildren();
    (v.trail || []).forEach((unit, i, all) => {
      if (i === all.length - 1) { trail.append(el("span", { "aria-current": "page" }, unit.name)); return; }
      trail.append(el("a", { href: unitHref(unit.code) }, unit.name), " › ");
    });
    document.title = `${v.name} · ${initial.election}`;
  }

  function render(v) {
    heading(v);
    summary(v);
    $("contests").replaceChildren(...v.contests.map(contestTable));
    announcements(v);
    sharesChart(v);
    childrenTable(v);
    document.body.dataset.checkpoint = v.checkpoint ? v.checkpoint.size : 0;
  }

  // The live indicator: green while polls succeed, grey when they fail (and before the script runs).
  function live(on, text) {
    document.querySelector(".live").classList.toggle("on", on);
    $("updated").textContent = text;
  }

  async function poll() {
    try {
      const headers = etag ? { "If-None-Match": etag } : {};
      const response = await fetch(`/v1/results?code=${encodeURIComponent(view.code)}`, { headers });
      if (response.status === 200) {
        etag = response.headers.get("ETag");
        view = await response.json();
        render(view);
      }
      live(true, `Live: checked ${new Date().toLocaleTimeString()}.`);
    } catch (err) {
      live(false, "Offline: showing the last results received; retrying.");
    }
  }

  let progressAt = 0;
  async function pollProgress() {
    if (Date.now() - progressAt < 10000) return;
    progressAt = Date.now();
    try {
      const response = await fetch(`/v1/progress?code=${encodeURIComponent(view.code)}`);
      if (response.ok) progressChart((await response.json()).final_actas_by_minute);
    } catch (err) { /* the next poll tries again */ }
  }

  // --- the published site --------------------------------------------------------------------------

  const Problem = typeof ActasCheckpoint === "undefined" ? Error : ActasCheckpoint.Problem;

  function verdict(state, text) {
    const box = $("verdict");
    box.className = `verdict ${state}`;
    box.dataset.state = state;
    box.textContent = text;
  }

  async function fetchJson(path) {
    const response = await fetch(path, { cache: "no-cache" });
    if (!response.ok) throw new Problem(`${path}: ${response.status === 404 ? "not published" : `HTTP ${response.status}`}`);
    try { return await response.json(); } catch (err) { throw new Problem(`${path}: not JSON`); }
  }

  // What the page can say of a published set: "checked", "failed" (nothing shown) or "unchecked".
  async function checkSet(pointer, v) {
    if (!(await ActasCheckpoint.supported())) {
      return ["unchecked", "This browser cannot check Ed25519 signatures (or the page is not served over HTTPS): " +
        "the figures are shown as published, unchecked. `actas verify` checks them, and every acta."];
    }
    const c = await ActasCheckpoint.check(pointer.checkpoint, published.board_key, published);
    const point = c.checkpoint;
    if (point.origin !== published.origin) throw new Problem(`the checkpoint is of another board (${point.origin})`);
    if (!v.checkpoint || v.checkpoint.size !== pointer.size) throw new Problem("these results are not of the checkpoint the pointer names");
    const proof = (pointer.consistency || []).map(ActasCheckpoint.fromBase64);
    if (!(await ActasCheckpoint.consistent(v.checkpoint.size, ActasCheckpoint.fromBase64(v.checkpoint.root), point.size, point.root, proof))) {
      throw new Problem(`the checkpoint of ${fmt(v.checkpoint.size)} entries these results were counted at is not a prefix of the board's checkpoint of ${fmt(point.size)}: the consistency proof fails`);
    }
    const counted = `Checked in this browser: these figures were counted at the board's checkpoint of ${fmt(v.checkpoint.size)} entries` +
      (point.size > v.checkpoint.size ? `, which its checkpoint of ${fmt(point.size)} entries extends,` : ",");
    if (!published.cosigners.length) {
      return ["checked", `${counted} signed by the board. This board names no cosigners: nothing here shows that others see the same history.`];
    }
    if (!c.met) {
      throw new Problem(`the board's checkpoint of ${fmt(point.size)} entries has ${c.signed.length} valid cosignatures where ${published.quorum} are required ` +
        `(missing: ${c.missing.join(", ")}). No figure is shown until independent cosigners confirm it.`);
    }
    return ["checked", `${counted} signed by the board and cosigned by ${c.signed.join(", ")} (${published.quorum} required).`];
  }

  let shownSet = null;
  async function pollPublished() {
    try {
      const pointer = await fetchJson(published.latest);
      const key = `${pointer.size} ${pointer.checkpoint}`;
      if (key !== shownSet) {
        const v = await fetchJson(code ? `${pointer.units}${encodeURIComponent(code)}.json` : pointer.nation);
        const [state, text] = await checkSet(pointer, v);
        shownSet = key;
        verdict(state, text);
        view = v;
        render(v);
        $("figures").hidden = false;
        const progress = code ? `${pointer.unit_progress}${encodeURIComponent(code)}.json` : pointer.progress;
        fetchJson(progress).then((p) => progressChart(p.final_actas_by_minute), () => progressChart([]));
      }
      live(true, `Published results, read ${new Date().toLocaleTimeString()}.`);
    } catch (err) {
      if (!(err instanceof Problem) && shownSet !== null) {
        live(false, "Offline: showing the last results checked; retrying.");
        return;
      }
      shownSet = null;
      $("figures").hidden = true;
      verdict("failed", err instanceof Problem ? `Not shown: ${err.message}` : `The published results could not be read: ${err.message}`);
    }
  }

  if (published) {
    pollPublished();
    setInterval(pollPublished, POLL_MS);
    return;
  }
  render(view);
  live(true, "Live: the page follows the board as actas arrive.");
  performance.mark("results-rendered");  // how long the first render took, for bench/web.py
  pollProgress();
  setInterval(() => { poll(); pollProgress(); }, POLL_MS);
})();
