// A board's checkpoint checked in the browser, as `actas verify` checks it: the board's Ed25519
// signature (C2SP signed-note), each cosigner's timestamped signature (C2SP tlog-cosignature,
// cosignature/v1) against the cosigner policy and its quorum, and a consistency proof (RFC 9162,
// 2.1.4.2) from the checkpoint the results were counted at to the cosigned one. Ed25519 and SHA-256
// are the browser's own (Web Cryptography); where the browser has no Ed25519, nothing is claimed.
"use strict";
const ActasCheckpoint = (() => {
  const _ = ActasWords._;  // words.js comes first
  const encoder = new TextEncoder();
  const ALG_ED25519 = 0x01, ALG_COSIGNATURE_V1 = 0x04;

  const { Problem, fromBase64, toBase64, sha256, hex, concat, readNote, readKey: parseKey } = ActasSignedNote;
  const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

  async function supported() {
    if (!globalThis.crypto || !crypto.subtle) return false;
    try {
      await crypto.subtle.importKey("raw", new Uint8Array(32), { name: "Ed25519" }, false, ["verify"]);
      return true;
    } catch (err) {
      return false;
    }
  }

  // A verifier key, ready for the browser's own Ed25519.
  async function readKey(text, algorithm) {
    const { name, id, raw } = await parseKey(text, algorithm);
    const key = await crypto.subtle.importKey("raw", raw.slice(1), { name: "Ed25519" }, false, ["verify"]);
    return { name, id, key };
  }

  // A checkpoint's first three lines (tlog-checkpoint): origin, size, base64 root.
  function readCheckpoint(body) {
    const lines = body.split("\n");
    if (lines.length < 4 || !/^(0|[1-9][0-9]{0,18})$/.test(lines[1])) throw new Problem(_("not a checkpoint"));
    const root = fromBase64(lines[2]);
    if (root.length !== 32) throw new Problem(_("a checkpoint's root is 32 bytes"));
    return { origin: lines[0], size: Number(lines[1]), root };
  }

  const verify = (key, signature, message) => crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);

  // The checkpoint in `note`, signed by the board and cosigned by at least `policy.quorum` of
  // `policy.cosigners` (verifier keys): {checkpoint, signed: [names], missing: [names]}, or a Problem.
  async function check(note, boardKeyText, policy) {
    const board = await readKey(boardKeyText, ALG_ED25519);
    const cosigners = await Promise.all(policy.cosigners.map((text) => readKey(text, ALG_COSIGNATURE_V1)));
    const { body, signatures } = readNote(note);
    const checkpoint = readCheckpoint(body);
    const text = encoder.encode(body);
    let boardSigned = false;
    const signed = new Set();
    for (const s of signatures) {
      if (s.name === board.name && equal(s.id, board.id) && s.bytes.length === 64) {
        boardSigned = boardSigned || (await verify(board.key, s.bytes, text));
      }
      const cosigner = cosigners.find((c) => c.name === s.name && equal(c.id, s.id));
      if (cosigner && s.bytes.length === 72) {
        const time = new DataView(s.bytes.buffer, s.bytes.byteOffset, 8).getBigUint64(0);
        const message = concat(encoder.encode(`cosignature/v1\ntime ${time}\n`), text);
        if (await verify(cosigner.key, s.bytes.slice(8), message)) signed.add(cosigner.name);
      }
    }
    if (!boardSigned) throw new Problem(_("the board's signature ({name}) is missing or invalid", { name: board.name }));
    const missing = cosigners.map((c) => c.name).filter((name) => !signed.has(name));
    return { checkpoint, signed: [...signed], missing, met: signed.size >= policy.quorum };
  }

  // The checkpoint in `note` as a published page checks it (`published`, written into the page): of this
  // board, signed by its key and, where the page names cosigners, by a quorum of them:
  // {checkpoint, by: what signed it, in words}, or a Problem.
  async function checkPublished(note, published) {
    const c = await check(note, published.board_key, published);
    const { origin, size } = c.checkpoint;
    if (origin !== published.origin) throw new Problem(_("the checkpoint is of another board ({origin})", { origin }));
    if (!published.cosigners.length) {
      return { checkpoint: c.checkpoint, by: _("signed by the board. This board names no cosigners: nothing here shows that others see the same history.") };
    }
    if (!c.met) {
      throw new Problem(_("the board's checkpoint of {n} entries has {signed} valid cosignatures where {quorum} are required (missing: {missing}). No figure is shown until independent cosigners confirm it.",
        { n: ActasWords.number(size), signed: c.signed.length, quorum: published.quorum, missing: c.missing.join(", ") }));
    }
    return { checkpoint: c.checkpoint, by: _("signed by the board and cosigned by {names} ({quorum} required).", { names: c.signed.join(", "), quorum: published.quorum }) };
  }

  const node = (left, right) => sha256(concat([0x01], left, right));

  // Whether `proof` shows the tree of size1 entries with root1 to be a prefix of size2 with root2.
  async function consistent(size1, root1, size2, root2, proof) {
    if (size1 > size2) return false;
    if (size1 === size2) return proof.length === 0 && equal(root1, root2);
    if (size1 === 0) return proof.length === 0;
    let path = proof;
    if ((size1 & (size1 - 1)) === 0) path = [root1, ...proof];
    if (!path.length) return false;
    let fn = size1 - 1, sn = size2 - 1;
    while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    let fr = path[0], sr = path[0];
    for (const c of path.slice(1)) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        fr = await node(c, fr);
        sr = await node(c, sr);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
      } else {
        sr = await node(sr, c);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 && equal(fr, root1) && equal(sr, root2);
  }

  return { Problem, supported, check, checkPublished, consistent, fromBase64, toBase64 };
})();
