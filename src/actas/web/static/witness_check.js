// The acta in the witness's hand, read and checked in the phone, with no network: its QR codes read from
// the photo by ZXing compiled to WebAssembly (zxing-wasm), its text put back together, and its
// signature checked against the key registry the app keeps, with Ed25519 from @noble/ed25519, both
// vendored from the npm registry (static/LICENSES). The checks are `actas acta verify`'s: the election
// and its fingerprint, the station and its machine's registered key, the signature, the ballot, and the
// arithmetic. The registry itself is checked against the authority's key the page was served with.
// The server reads and checks everything again when the report arrives.
"use strict";
const ActasActaCheck = (function () {
  const { _ } = ActasWords;
  const encoder = new TextEncoder();
  const PART = /^actas-qr ([1-9][0-9]?):([1-9][0-9]?) ([0-9a-f]{16})\n/;
  let ed = null;
  let assets = {};
  // Where the page serves the libraries from, and the authority's key the registry must be signed by.
  const configure = (given) => { assets = given; };

  const { Problem, sha256, hex, readKey, readNote } = ActasSignedNote;
  const ED25519 = 0x01;

  async function verifies(key, signed, signature) {
    if (signature.name !== key.name || signature.bytes.length !== 64 || hex(signature.id) !== hex(key.id)) return false;
    if (!ed) ed = await import(assets.ed25519);
    return ed.verifyAsync(signature.bytes, encoder.encode(signed.body), key.raw.slice(1));
  }

  // The key registry, its signature checked against the authority's key the page names.
  async function registry(text) {
    const signed = readNote(text);
    const pinned = await readKey(assets.authority, ED25519);
    if (!(await Promise.all(signed.signatures.map((s) => verifies(pinned, signed, s)))).some(Boolean)) {
      throw new Problem(_("the key registry is not signed by the authority's key"));
    }
    const found = { contests: {}, stations: {} };
    for (const line of signed.body.split("\n")) {
      const words = line.split(" ");
      if (words[0] === "election") found.election = words[1];
      else if (words[0] === "fingerprint") found.fingerprint = words[1];
      else if (words[0] === "contest") found.contests[words[1]] = words.slice(2);
      else if (words[0] === "station") found.stations[words[1]] = { registered: Number(words[2]), key: words[3] };
    }
    return found;
  }

  // QR texts put back together into whole payloads (a long acta is printed as several codes).
  async function join(texts) {
    const whole = [], groups = {};
    for (const text of texts) {
      const match = PART.exec(text);
      if (!match) { if (!whole.includes(text)) whole.push(text); continue; }
      const [, i, n, digest] = match;
      (groups[digest] = groups[digest] || { n: Number(n), parts: {} }).parts[i] = text.slice(match[0].length);
    }
    for (const [digest, group] of Object.entries(groups)) {
      const missing = [];
      for (let i = 1; i <= group.n; i++) if (!(i in group.parts)) missing.push(i);
      if (missing.length) throw new Problem(_("part(s) {parts} of {n} of the acta's QR codes are missing: photograph them all", { parts: missing.join(", "), n: group.n }));
      const payload = Array.from({ length: group.n }, (_unused, i) => group.parts[i + 1]).join("");
      if (hex(await sha256(encoder.encode(payload))).slice(0, 16) !== digest) throw new Problem(_("the QR codes do not join into the acta they name"));
      whole.push(payload);
    }
    return whole;
  }

  function acta(text) {
    const fields = {}, contests = [];
    for (const line of text.split("\n").slice(1, -1)) {
      const at = line.indexOf(" ");
      const key = line.slice(0, at), value = line.slice(at + 1);
      if (key === "contest") {
        const [id, ...counts] = value.split(" ");
        const votes = counts.map((c) => c.split("=")).map(([option, n]) => [option, Number(n)]);
        contests.push({ id, options: votes.filter(([o]) => o !== "null"), null: (votes.find(([o]) => o === "null") || [0, 0])[1] });
      } else fields[key] = value;
    }
    if (!text.startsWith("actas acta v1\n") || !fields.station || !fields.machine) throw new Problem(_("the code is not an acta"));
    return { ...fields, registered: Number(fields.registered), voters: Number(fields.voters), receipts: Number(fields.receipts), contests };
  }

  // Every check `actas acta verify` makes: the acta, and the findings (none when it is valid).
  async function check(payload, known) {
    const signed = readNote(payload);
    const a = acta(signed.body);
    const found = await findings(a, signed, known);
    return { acta: a, findings: found };
  }

  async function findings(a, signed, known) {
    if (a.election !== known.election || a.fingerprint !== known.fingerprint) return [_("the acta is of another election")];
    const station = known.stations[a.station];
    if (!station) return [_("station {station} is not in the key registry", { station: a.station })];
    const key = await readKey(station.key, ED25519);
    if (a.machine !== key.name || signed.signatures.length !== 1 || signed.signatures[0].name !== key.name) {
      return [_("station {station} belongs to machine {machine}; the acta names {named}", { station: a.station, machine: key.name, named: a.machine })];
    }
    const findings = [];
    if (!(await verifies(key, signed, signed.signatures[0]))) findings.push(_("the signature does not match the acta's contents"));
    const ballot = Object.keys(known.contests);
    if (a.contests.map((c) => c.id).join(" ") !== ballot.join(" ")) findings.push(_("the acta's contests differ from the election's"));
    for (const c of a.contests) {
      if (known.contests[c.id] && c.options.map(([o]) => o).join(" ") !== known.contests[c.id].join(" ")) findings.push(_("contest {contest}: the acta's cards differ from the ballot's", { contest: c.id }));
      const total = c.options.reduce((t, [, n]) => t + n, 0) + c.null;
      if (total !== a.voters) findings.push(_("contest {contest}: votes and null add up to {total}, voters are {voters}", { contest: c.id, total, voters: a.voters }));
    }
    if (a.registered !== station.registered) findings.push(_("registered voters {n}, the registry says {m}", { n: a.registered, m: station.registered }));
    if (a.voters > a.registered) findings.push(_("voters {n} exceed registered voters {m}", { n: a.voters, m: a.registered }));
    if (a.receipts !== a.voters) findings.push(_("receipts printed {n} differ from voters {m}", { n: a.receipts, m: a.voters }));
    if (a.kind === "zero" && a.voters !== 0) findings.push(_("a zero acta must show no voters"));
    if (a.kind === "final" && a.closed && a.closed < a.opened) findings.push(_("closed before it opened"));
    return findings;
  }

  // The photo's QR codes read in the phone: the whole payloads they hold.
  async function read(file) {
    ZXingWASM.prepareZXingModule({ overrides: { locateFile: () => assets.zxingWasm } });
    const results = await ZXingWASM.readBarcodes(file, { formats: ["QRCode"], maxNumberOfSymbols: 16, tryHarder: true });
    return join(results.filter((r) => r.isValid).map((r) => r.text));
  }

  return { Problem, configure, read, registry, check };
})();
