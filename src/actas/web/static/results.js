// Live results: renders the results of one unit and keeps them up to date without reloading.
// On the server's pages the first view comes embedded in the page, later ones from /v1/results, asked
// with the checkpoint's ETag so an unchanged board costs the server a 304 and nothing else. On the
// published site (`initial.published`) they come from the published files: results/latest.json names
// the set and carries the cosigned checkpoint, which is checked here (checkpoint.js) with the
// consistency proof from the checkpoint the set was counted at, before any figure is shown.
"use strict";
(function () {
  const initial = JSON.parse(document.getElementById("initial").textContent);
  const published = initial.published;
  const POLL_MS = published ? 5000 : 2000;
  const code = published ? new URLSearchParams(location.search).get("unit") || "" : initial.view.code;
  let view = initial.view;
  let etag = null;
  const { _, number: fmt, percent: pct } = ActasWords;
  const STATUS = initial.statuses;  // a mesa's status in words, as the server's pages say it (web/words.py)
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
  const colorOf = initial.colors || {};  // the definition's colours, or a palette kept apart under colour blindness
  const unitHref = (unit) => published ? (unit ? `?unit=${encodeURIComponent(unit)}` : "./") : `/results/${encodeURIComponent(unit)}`;
  // Who leads a unit's (or a mesa's) first contest: [candidate id, votes, valid votes], the first on the
  // ballot among equals, as the server says it (ContestShares.leader); null before any valid vote.
  const leadOf = (row) => {
    const contest = row.contests[0];
    if (!contest || !contest.valid) return null;
    const [id, votes] = Object.entries(contest.candidates).sort((a, b) => b[1] - a[1])[0];
    return [id, votes, contest.valid];
  };
  const leadSaid = ([id, votes, valid]) => `${initial.candidates[id] || id} ${pct(votes, valid)}`;
  const mesaLink = (station) => published ? station : el("a", { href: `/mesa/${encodeURIComponent(station)}` }, station);

  function summary(v) {
    const s = v.stations, r = v.registered;
    $("headline").textContent = v.headline ? v.headline.sentences[ActasWords.code] : _("No acta counted here yet.");
    $("updated-at").textContent = v.updated
      ? _("Updated {time}, when the board signed the checkpoint these figures were counted at.", { time: ActasWords.time(new Date(v.updated)) }) : "";
    const bar = $("actas-progress");
    bar.max = s.expected; bar.value = s.reported; bar.textContent = pct(s.reported, s.expected);
    $("reported").textContent = _("{n} of {m}", { n: fmt(s.reported), m: fmt(s.expected) });
    $("reported-share").textContent = _("{share} of actas", { share: pct(s.reported, s.expected) });
    $("voters").textContent = fmt(v.voters);
    $("turnout").textContent = _("turnout {share} where counted", { share: pct(v.voters, r.covered) });
    $("covered").textContent = fmt(r.covered);
    $("covered-share").textContent = _("{share} of {m}", { share: pct(r.covered, r.expected), m: fmt(r.expected) });
    $("conflicts").textContent = fmt(s.conflicts);
    $("conflicts-figure").classList.toggle("alarm", s.conflicts > 0);
    $("conflict-links").replaceChildren(_("not counted"), ...(v.conflict_list || []).slice(0, 5).flatMap((station) => [" · ", mesaLink(station)]));
    const enc = v.encrypted, figure = $("ballots-figure");
    if (enc && figure) {
      $("ballots-differ").textContent = fmt(enc.differ);
      figure.classList.toggle("alarm", enc.differ > 0 || enc.missing > 0);
      const said = _("{agree} of {decrypted} decrypted agree; {missing} not published",
        { agree: fmt(enc.agree), decrypted: fmt(enc.agree + enc.differ + enc.unchecked), missing: fmt(enc.missing) });
      $("ballots-links").replaceChildren(said, ...enc.differ_list.slice(0, 5).flatMap((station) => [" · ", mesaLink(station)]));
    }
    $("checkpoint-size").textContent = v.checkpoint ? fmt(v.checkpoint.size) : "0";
    $("checkpoint-root").textContent = v.checkpoint ? v.checkpoint.root : _("none yet");
  }

  function contestTable(contest) {
    const total = contest.valid;
    const rows = [...contest.candidates].sort((a, b) => b.votes - a.votes);
    const table = el("table", { class: "data results", "data-contest": contest.id },
      el("caption", {}, _("{contest}: {valid} valid votes, {null} null", { contest: contest.name, valid: fmt(total), null: fmt(contest.null) })));
    table.append(el("thead", {}, el("tr", {}, el("th", { scope: "col" }, _("Candidate")),
      el("th", { scope: "col", class: "num" }, _("Votes")), el("th", { scope: "col", class: "num" }, "%"),
      el("th", { scope: "col", class: "bar-col" }, el("span", { class: "visually-hidden" }, _("Share"))))));
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
      const table = el("table", { class: "data" }, el("caption", {}, _("{title} (issued {when})", { title: a.title, when: a.issued_shown || a.issued })));
      table.append(el("thead", {}, el("tr", {}, el("th", { scope: "col" }, _("Candidate")),
        el("th", { scope: "col", class: "num" }, _("Announced")), el("th", { scope: "col", class: "num" }, _("Actas")),
        el("th", { scope: "col", class: "num" }, _("Difference")))));
      const body = el("tbody");
      const announcedTotal = Object.entries(a.contests[0].votes).filter(([k]) => k !== "null").reduce((t, [, n]) => t + n, 0);
      for (const [key, votes] of Object.entries(a.contests[0].votes)) {
        const cand = contest.candidates.find((c) => c.id === key);
        const counted = cand ? cand.votes : key === "null" ? contest.null : null;
        const label = cand ? cand.name : key === "null" ? _("Null") : key;
        body.append(el("tr", {}, el("th", { scope: "row" }, label),
          el("td", { class: "num" }, `${fmt(votes)} (${pct(votes, announcedTotal)})`),
          el("td", { class: "num" }, counted === null ? "–" : fmt(counted)),
          el("td", { class: "num" }, counted === null ? "–" : fmt(votes - counted))));
      }
      table.append(body);
      box.append(table);
    }
  }

  // The rows of the shares chart: the child units, or at the lowest level the mesas. Each row says in text
  // who leads it and with what share; the bar shows every candidate's share.
  function shareRows(v) {
    const rows = v.children.length ? v.children.map((c) => ({ name: c.name, contests: c.contests }))
      : (v.station_list || []).map((s) => ({ name: s.code, contests: s.contests }));
    return rows.filter((r) => r.contests && r.contests[0] && r.contests[0].valid > 0);
  }

  // Charts are drawn at the width they are shown at, so their text is 12 CSS pixels on any screen.
  const ns = "http://www.w3.org/2000/svg";
  function svgText(x, y, text, anchor) {
    const t = document.createElementNS(ns, "text");
    t.setAttribute("x", x); t.setAttribute("y", y); t.setAttribute("text-anchor", anchor || "start");
    t.textContent = text;
    return t;
  }
  const clip = (text, n) => (text.length > n ? text.slice(0, n - 1) + "…" : text);

  function sharesChart(v) {
    const box = $("shares-chart");
    const rows = shareRows(v);
    if (!rows.length) { box.replaceChildren(el("p", { class: "note" }, _("No acta counted here yet."))); return; }
    const width = Math.max(280, Math.floor(box.clientWidth || 640));
    const narrow = width < 560;  // on a phone the name goes above its bar, which then takes the whole width
    const rowH = narrow ? 38 : 22, labelW = narrow ? 0 : Math.min(190, Math.floor(width * 0.28)), rightW = narrow ? 0 : 150;
    const barW = width - labelW - rightW - (narrow ? 0 : 12);
    const shown = rows.slice(0, 60);
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${shown.length * rowH + 4}`);
    svg.setAttribute("width", width);
    svg.setAttribute("class", "shares");
    shown.forEach((row, i) => {
      const contest = row.contests[0];
      const [leader, most, valid] = leadOf(row);
      const said = `${clip(initial.candidates[leader] || leader, 18)} ${pct(most, valid)}`;
      const top = i * rowH;
      if (narrow) {
        svg.append(svgText(0, top + 13, clip(row.name, Math.floor(width / 7) - 16)), svgText(width, top + 13, said, "end"));
      } else {
        svg.append(svgText(labelW - 6, top + 15, clip(row.name, Math.floor(labelW / 7)), "end"));
        svg.append(svgText(labelW + barW + 6, top + 15, said));
      }
      let x = labelW;
      const y = narrow ? top + 18 : top + 3;
      for (const [id, votes] of Object.entries(contest.candidates)) {
        const w = barW * votes / contest.valid;
        const rect = document.createElementNS(ns, "rect");
        rect.setAttribute("x", x); rect.setAttribute("y", y); rect.setAttribute("width", Math.max(w, 0));
        rect.setAttribute("height", 15); rect.setAttribute("fill", colorOf[id] || "#888");
        const tip = document.createElementNS(ns, "title");
        tip.textContent = `${row.name}: ${initial.candidates[id] || id} ${pct(votes, contest.valid)}`;
        rect.append(tip); svg.append(rect); x += w;
      }
    });
    const legend = el("p", { class: "legend" }, ...Object.entries(initial.candidates).map(([id, name]) =>
      el("span", {}, el("i", { style: `background:${colorOf[id] || "#888"}` }), name)));
    box.replaceChildren(svg, legend);
  }

  // The map of the first-level units: one square each, in the colour of who leads it, linked to its page.
  // A grid in the definition's order, so it needs no shapes; each square says in text who leads and by
  // what share.
  function tileMap(v) {
    const section = $("map-section"), box = $("tile-map");
    if (!section || v.code !== "" || !v.children.length) { if (section) section.hidden = true; return; }
    section.hidden = false;
    box.replaceChildren(...v.children.map((c) => {
      const lead = leadOf(c);
      const tile = el("a", { class: "tile", href: unitHref(c.code), "data-code": c.code },
        el("span", { class: "tile-name" }, c.name),
        el("span", { class: "tile-lead" }, lead ? leadSaid(lead) : _("no acta counted")));
      if (lead) tile.style.cssText = `border-top-color:${colorOf[lead[0]] || "#888"}`;
      return tile;
    }));
    const map = $("choropleth");  // drawn from the definition's shapes, where it names them
    if (!map) return;
    for (const c of v.children) {
      const shape = map.querySelector(`path[data-code="${CSS.escape(c.code)}"]`);
      if (!shape) continue;
      const lead = leadOf(c);
      const label = `${c.name}: ${lead ? leadSaid(lead) : _("no acta counted")}`;
      shape.setAttribute("fill", lead ? colorOf[lead[0]] || "#888" : map.dataset.noData);
      shape.parentNode.setAttribute("aria-label", label);
      shape.querySelector("title").textContent = label;
    }
  }

  // The child units (or at the lowest level the mesas), each with its votes for every candidate, its
  // turnout and how much of it is counted; sortable by any column, and kept sorted as the figures change.
  function childrenTable(v) {
    const table = $("children");
    table.replaceChildren();
    table.classList.add("sortable");
    const ids = Object.keys(initial.candidates);
    const num = (text, sort) => el("td", { class: "num", "data-sort": sort }, text);
    const candidateHeads = ids.map((id) => el("th", { scope: "col", class: "num" }, initial.candidates[id]));
    const votesOf = (contest) => ids.map((id) => contest && contest.valid ? num(fmt(contest.candidates[id] || 0), contest.candidates[id] || 0) : num("–", -1));
    if (v.children.length) {
      const leaders = (c) => { const lead = leadOf(c); return lead ? leadSaid(lead) : "–"; };
      table.append(el("thead", {}, el("tr", {}, el("th", { scope: "col" }, initial.levels[v.children[0].level] || _("Unit")),
        el("th", { scope: "col", class: "num" }, _("Actas counted")), el("th", { scope: "col", class: "num" }, _("Conflicts")),
        el("th", { scope: "col", class: "num" }, _("Turnout")), el("th", { scope: "col" }, _("Leading")), ...candidateHeads)));
      const body = el("tbody");
      for (const c of v.children) {
        body.append(el("tr", { "data-code": c.code }, el("th", { scope: "row" }, el("a", { href: unitHref(c.code) }, c.name)),
          num(`${fmt(c.reported)} / ${fmt(c.stations)}`, c.stations ? c.reported / c.stations : 0), num(fmt(c.conflicts), c.conflicts),
          num(pct(c.voters, c.covered), c.covered ? c.voters / c.covered : -1), el("td", {}, leaders(c)), ...votesOf(c.contests[0])));
      }
      table.append(body);
    } else {
      const encrypted = v.station_list.some((s) => s.ballots !== undefined);  // a board with encrypted ballots
      const ballotsHead = encrypted ? [el("th", { scope: "col" }, _("Encrypted ballots"))] : [];
      const ballotsOf = (s) => (encrypted ? [el("td", {}, s.ballots ? el("span", { class: `status ${s.ballots}` }, STATUS[s.ballots] || s.ballots) : "–")] : []);
      table.append(el("thead", {}, el("tr", {}, el("th", { scope: "col" }, initial.label),
        el("th", { scope: "col" }, _("Acta")), ...ballotsHead, el("th", { scope: "col", class: "num" }, _("Registered")),
        el("th", { scope: "col", class: "num" }, _("Voters")), el("th", { scope: "col", class: "num" }, _("Turnout")), ...candidateHeads)));
      const body = el("tbody");
      for (const s of v.station_list) {
        const counted = s.contests && s.contests[0];
        body.append(el("tr", { "data-station": s.code }, el("th", { scope: "row" }, mesaLink(s.code)),
          el("td", {}, el("span", { class: `status ${s.status}` }, STATUS[s.status] || s.status)), ...ballotsOf(s), num(fmt(s.registered), s.registered),
          num(counted ? fmt(s.voters) : "–", counted ? s.voters : -1), num(counted ? pct(s.voters, s.registered) : "–", counted && s.registered ? s.voters / s.registered : -1),
          ...votesOf(counted)));
      }
      table.append(body);
    }
    ActasSort.apply(table);
  }


  const drawn = { progress: null };
  function progressChart(points) {
    const box = $("progress-chart");
    if (!points.length) { box.replaceChildren(el("p", { class: "note" }, _("No final acta received yet."))); return; }
    const width = Math.max(280, Math.floor(box.clientWidth || 640)), height = 180, left = 60, bottom = 24;
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
    svg.setAttribute("width", width);
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", cumulative.map(([, n], i) => `${x(times[i]).toFixed(1)},${y(n).toFixed(1)}`).join(" "));
    line.setAttribute("class", "progress-line");
    svg.append(line);
    const labels = [[left - 6, y(total) + 4, fmt(total), "end"], [left - 6, y(0), "0", "end"],
      [left, height - 6, ActasWords.clock(new Date(times[0])), "start"], [width - 10, height - 6, ActasWords.clock(new Date(times[times.length - 1])), "end"],
      [(left + width) / 2, height - 6, ActasWords.zoneName(), "middle"]];
    for (const [lx, ly, text, anchor] of labels) svg.append(svgText(lx, ly, text, anchor));
    box.replaceChildren(svg);
    drawn.progress = points;
  }

  function heading(v) {
    $("unit-name").textContent = v.name;
    const level = v.children.length ? initial.levels[v.children[0].level] || v.children[0].level : null;
    $("levels-h").textContent = level ? _("By {level}", { level }) : initial.label;
    const trail = $("trail");
    if (!published || !trail) return;
    trail.replaceChildren();
    (v.trail || []).forEach((unit, i, all) => {
      if (i === all.length - 1) { trail.append(el("span", { "aria-current": "page" }, unit.name)); return; }
      trail.append(el("a", { href: unitHref(unit.code) }, unit.name), " › ");
    });
    document.title = `${v.name} · ${initial.election}`;
  }

  let resized = null;
  window.addEventListener("resize", () => {
    clearTimeout(resized);
    resized = setTimeout(() => { if (view) sharesChart(view); if (drawn.progress) progressChart(drawn.progress); }, 150);
  });

  function render(v) {
    heading(v);
    summary(v);
    $("contests").replaceChildren(...v.contests.map(contestTable));
    announcements(v);
    tileMap(v);
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
      live(true, _("Live: checked {time}.", { time: ActasWords.time(new Date()) }));
    } catch (err) {
      live(false, _("Offline: showing the last results received; retrying."));
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
    if (!response.ok) throw new Problem(`${path}: ${response.status === 404 ? _("not published") : `HTTP ${response.status}`}`);
    try { return await response.json(); } catch (err) { throw new Problem(`${path}: ${_("not JSON")}`); }
  }

  // What the page can say of a published set: "checked", "failed" (nothing shown) or "unchecked".
  async function checkSet(pointer, v) {
    if (!(await ActasCheckpoint.supported())) {
      return ["unchecked", _("This browser cannot check Ed25519 signatures (or the page is not served over HTTPS): the figures are shown as published, unchecked. `actas verify` checks them, and every acta.")];
    }
    const { checkpoint: point, by } = await ActasCheckpoint.checkPublished(pointer.checkpoint, published);
    if (!v.checkpoint || v.checkpoint.size !== pointer.size) throw new Problem(_("these results are not of the checkpoint the pointer names"));
    const proof = (pointer.consistency || []).map(ActasCheckpoint.fromBase64);
    if (!(await ActasCheckpoint.consistent(v.checkpoint.size, ActasCheckpoint.fromBase64(v.checkpoint.root), point.size, point.root, proof))) {
      throw new Problem(_("the checkpoint of {n} entries these results were counted at is not a prefix of the board's checkpoint of {m}: the consistency proof fails", { n: fmt(v.checkpoint.size), m: fmt(point.size) }));
    }
    const counted = point.size > v.checkpoint.size
      ? _("Checked in this browser: these figures were counted at the board's checkpoint of {n} entries, which its checkpoint of {m} entries extends,", { n: fmt(v.checkpoint.size), m: fmt(point.size) })
      : _("Checked in this browser: these figures were counted at the board's checkpoint of {n} entries,", { n: fmt(v.checkpoint.size) });
    return ["checked", `${counted} ${by}`];
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
      live(true, _("Published results, read {time}.", { time: ActasWords.time(new Date()) }));
    } catch (err) {
      if (!(err instanceof Problem) && shownSet !== null) {
        live(false, _("Offline: showing the last results checked; retrying."));
        return;
      }
      shownSet = null;
      $("figures").hidden = true;
      verdict("failed", err instanceof Problem ? _("Not shown: {why}", { why: err.message }) : _("The published results could not be read: {why}", { why: err.message }));
    }
  }

  if (published) {
    for (const link of document.querySelectorAll(".languages a")) link.search = location.search;  // the same unit
    if (new URLSearchParams(location.search).has("ballot")) return;  // a voter's ballot: ballot_site.js
    pollPublished();
    setInterval(pollPublished, POLL_MS);
    return;
  }
  render(view);
  live(true, _("Live: the page follows the board as actas arrive."));
  performance.mark("results-rendered");  // how long the first render took, for bench/web.py
  pollProgress();
  setInterval(() => { poll(); pollProgress(); }, POLL_MS);
})();
