// A voter's ballot on the published site (`?ballot=CODE`), with no server behind it: the index of codes
// (ballots/codes/<first four digits>.json) names the entry of the part of a mesa's record that holds
// the ballot; the part, published alone (ballots/part/<N>), is hashed here into its leaf (RFC 9162:
// SHA-256 of 0x00 and the entry) and proved, with the hashes of the board's tiles (C2SP tlog-tiles),
// to be entry N of the tree whose root the board's signed, cosigned checkpoint names (checkpoint.js).
// Neither the index nor the tiles are trusted: only the root they must lead to. The ballot is then
// read from the part's JSON lines: its mesa, and cast or challenged (with the choice the machine
// revealed, which `actas ballot check` recomputes from the nonces).
"use strict";
(function () {
  const initial = JSON.parse(document.getElementById("initial").textContent);
  const published = initial.published;
  const params = new URLSearchParams(location.search);
  const view = document.getElementById("ballot-view");
  if (!view || !params.has("ballot")) return;
  const { _, number: fmt } = ActasWords;
  const { Problem, concat, sha256, hex } = ActasSignedNote;
  const $ = (id) => document.getElementById(id);
  const MIN_DIGITS = 16, SHARD_DIGITS = 4, WIDTH = 256, HEIGHT = 8;

  view.hidden = false;
  $("results-view").hidden = true;
  document.title = `${_("Find your ballot")} · ${document.title}`;
  const input = $("ballot-code");
  // The code as a voter types it: groups of four, spaces or dashes, either case.
  const normal = (text) => text.toLowerCase().replace(/[\s-]+/g, "");
  $("ballot-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams(location.search);
    query.set("ballot", normal(input.value));
    location.search = query.toString();
  });

  function verdict(state, text) {
    const box = $("ballot-verdict");
    box.hidden = false;
    box.className = `verdict ${state}`;
    box.dataset.state = state;
    box.textContent = text;
  }

  // A file from the host, asked again twice when the network fails (a phone's connection drops), never when
  // the host answers.
  async function get(path, options) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fetch(path, options);
      } catch (err) {
        if (attempt === 3) throw err;
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    }
  }

  async function fetched(path, missing) {
    const response = await get(path, { cache: "no-cache" });
    if (response.status === 404) throw new Problem(missing);
    if (!response.ok) throw new Problem(`${path}: HTTP ${response.status}`);
    return response;
  }

  // An index N as tlog-tiles writes it in a path: three-digit elements, all but the last prefixed by x.
  function encodeIndex(n) {
    const parts = [];
    do { parts.unshift(String(n % 1000).padStart(3, "0")); n = Math.floor(n / 1000); } while (n > 0);
    return parts.map((p, i) => (i < parts.length - 1 ? `x${p}` : p)).join("/");
  }

  // The hashes of tile `n` at `level` in the tree of `size` entries: a full tile, or the partial one of the
  // size (or the full tile that replaced it, cut to the size's width).
  const tiles = new Map();
  function tile(level, n, size) {
    const stored = Math.floor(size / WIDTH ** level);
    const width = Math.floor(stored / WIDTH) > n ? WIDTH : stored % WIDTH;
    const key = `${level}/${n}/${width}`;
    if (!tiles.has(key)) {
      const full = `tile/${level}/${encodeIndex(n)}`;
      tiles.set(key, (async () => {
        let response = await get(width === WIDTH ? full : `${full}.p/${width}`);
        if (response.status === 404 && width !== WIDTH) response = await get(full);
        if (!response.ok) throw new Problem(_("a tile of the board is not published: {path}", { path: full }));
        const bytes = new Uint8Array(await response.arrayBuffer());
        if (bytes.length < 32 * width) throw new Problem(_("a tile of the board is short: {path}", { path: full }));
        return Array.from({ length: width }, (_unused, i) => bytes.slice(32 * i, 32 * i + 32));
      })());
    }
    return tiles.get(key);
  }

  const node = (left, right) => sha256(concat([0x01], left, right));

  // The root of the full subtree of 2^k entries from `start` (a multiple of 2^k), from the tiles: 2^(k mod 8)
  // hashes of one tile at level floor(k / 8), hashed pairwise.
  async function subtree(start, k, size) {
    const level = Math.floor(k / HEIGHT);
    const first = start / WIDTH ** level;
    const hashes = await tile(level, Math.floor(first / WIDTH), size);
    let row = hashes.slice(first % WIDTH, first % WIDTH + 2 ** (k % HEIGHT));
    while (row.length > 1) {
      const next = [];
      for (let i = 0; i < row.length; i += 2) next.push(await node(row[i], row[i + 1]));
      row = next;
    }
    return row[0];
  }

  // The root of entries [a, b) of the tree of `size` entries (RFC 9162, 2.1.1), with `leaf` as the hash of
  // entry `index`, every other subtree read from the tiles: equal to the signed root only if the entry
  // hashed here is entry `index` of the tree that root names.
  async function root(a, b, index, leaf, size) {
    const n = b - a;
    if (n === 1 && a === index) return leaf;
    if ((index < a || index >= b) && (n & (n - 1)) === 0) return subtree(a, Math.log2(n), size);
    let k = 1;
    while (2 * k < n) k *= 2;
    return node(await root(a, a + k, index, leaf, size), await root(a + k, b, index, leaf, size));
  }

  // The checkpoint the board published last, as checkpoint.js checks it: {checkpoint, by: what signed it}, or
  // {checkpoint: null, by: why nothing could be checked} in a browser without Ed25519.
  async function checkpoint() {
    const note = await (await fetched("checkpoint", _("the board's checkpoint is not published"))).text();
    if (await ActasCheckpoint.supported()) return ActasCheckpoint.checkPublished(note, published);
    return { checkpoint: null, by: _("This browser cannot check Ed25519 signatures (or the page is not served over HTTPS): the ballot is shown as published, unchecked. `actas ballot check` checks it.") };
  }

  // The ballot of `code` in a part's JSON lines: {station, spoiled}, or a Problem.
  function ballotIn(text, code) {
    const lines = text.split("\n").filter(Boolean);
    let header, line;
    try {
      header = JSON.parse(lines[0]);
      line = lines.slice(1).map((l) => (l.includes(code) ? JSON.parse(l) : null)).find((b) => b && b.code === code);
    } catch (err) {
      throw new Problem(_("the published part is not a mesa's record"));
    }
    if (!line || typeof header.station !== "string") throw new Problem(_("the entry the index names holds no ballot of this code"));
    return { station: header.station, spoiled: line.spoiled ? String(line.spoiled.choice) : null };
  }

  async function find(wanted) {
    const shard = `ballots/codes/${wanted.slice(0, SHARD_DIGITS)}.json`;
    const absent = _("No ballot with this confirmation code is on the board.");
    let rows;
    try { rows = await (await fetched(shard, absent)).json(); } catch (err) {
      throw err instanceof Problem ? err : new Problem(_("the index of codes is not JSON"));
    }
    const matches = (Array.isArray(rows) ? rows : []).filter((r) => Array.isArray(r) && String(r[0]).startsWith(wanted));
    if (!matches.length) throw new Problem(absent);
    if (matches.length > 1) throw new Problem(_("More than one ballot's code starts with these digits: give more of them."));
    const [code, index] = matches[0];
    if (!/^[0-9a-f]{64}$/.test(code) || !Number.isSafeInteger(index) || index < 0) throw new Problem(_("the index of codes is malformed"));
    const { checkpoint: point, by } = await checkpoint();
    if (point && index >= point.size) throw new Problem(_("the board's latest checkpoint ({n} entries) does not include entry {index} yet: try again in a moment", { n: fmt(point.size), index: fmt(index) }));
    const part = new Uint8Array(await (await fetched(`ballots/part/${encodeIndex(index)}`, _("the part of the record that holds it is not published"))).arrayBuffer());
    let checked = null;
    if (point) {
      const leaf = await sha256(concat([0x00], part));
      const found = await root(0, point.size, index, leaf, point.size);
      if (hex(found) !== hex(point.root)) throw new Problem(_("the published part is not entry {index} of the board: its inclusion proof does not lead to the signed checkpoint's root", { index: fmt(index) }));
      checked = _("Checked in this browser: entry {index} of the board holds this ballot, and the board's checkpoint of {n} entries includes it,", { index: fmt(index), n: fmt(point.size) }) + ` ${by}`;
    }
    return { code, index, checked, unchecked: point ? null : by, ...ballotIn(new TextDecoder().decode(part), code) };
  }

  // A link to the results of the mesa's place, whose table says what each mesa's encrypted ballots say of
  // its acta (the search box's index names each mesa's place).
  async function placeLink(station) {
    try {
      const index = await (await get(document.getElementById("q").dataset.index)).json();
      const found = index.mesas.find(([short, unit]) => (short.startsWith("+") ? index.units[unit][0] + short.slice(1) : short) === station);
      if (!found) return;
      const [code, name] = index.units[found[1]];
      const link = document.createElement("a");
      link.href = `?unit=${encodeURIComponent(code)}`;
      link.textContent = _("In the results of {place}: what each {label}'s encrypted ballots say of its acta", { place: name, label: initial.label.toLowerCase() });
      $("ballot-place").replaceChildren(link);
    } catch (err) {
      // the link is a convenience: the ballot is shown and checked without it
    }
  }

  function show(ballot) {
    const label = initial.label;
    $("ballot-full-code").textContent = ballot.code.replace(/(.{4})(?=.)/g, "$1 ");
    $("ballot-mesa").textContent = _("{label} {mesa}: the part of its record that is the board's entry {index}.", { label, mesa: ballot.station, index: fmt(ballot.index) });
    const state = $("ballot-state");
    const tag = document.createElement("span");
    if (ballot.spoiled === null) {
      tag.className = "status agrees";
      tag.textContent = _("cast");
      state.replaceChildren(tag, " ", _("You cast this ballot: it is counted in its {label}'s total, which only the trustees decrypt, whole. No single ballot is ever decrypted.", { label: label.toLowerCase() }));
    } else {
      const options = published.options || {};
      const choice = Object.prototype.hasOwnProperty.call(options, ballot.spoiled) ? options[ballot.spoiled] : _("a null vote");
      tag.className = "status unchecked";
      tag.textContent = _("challenged");
      state.replaceChildren(tag, " ", _("You challenged this ballot: it was not counted, and the machine revealed what it held: {choice}. If that is not what you chose, the machine did not encrypt your vote faithfully: tell the poll workers and the observers.", { choice }));
    }
    placeLink(ballot.station);
    $("ballot-found").hidden = false;
    if (ballot.checked) verdict("checked", ballot.checked);
    else verdict("unchecked", ballot.unchecked);
  }

  const wanted = normal(params.get("ballot") || "");
  input.value = wanted;
  if (!wanted) return;
  if (!new RegExp(`^[0-9a-f]{${MIN_DIGITS},64}$`).test(wanted)) {
    verdict("failed", _("A confirmation code is 16 to 64 hexadecimal digits (0-9, a-f)."));
    return;
  }
  verdict("", _("Looking for your ballot and checking it against the board's signed checkpoint…"));
  find(wanted).then(show, (err) => {
    verdict("failed", err instanceof Problem ? err.message : _("The published files could not be read: {why}", { why: err.message }));
  });
})();
