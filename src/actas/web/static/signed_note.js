// C2SP signed notes in the browser, shared by the pages that check one: the published results site
// (checkpoint.js, with the browser's own Ed25519) and the witness app (witness_check.js, with the
// vendored @noble/ed25519). Parsing only: each of them verifies with its own Ed25519.
"use strict";
const ActasSignedNote = (() => {
  const _ = ActasWords._;  // words.js comes first
  const encoder = new TextEncoder();

  class Problem extends Error {}

  function fromBase64(text) {
    let binary;
    try { binary = atob(text); } catch (err) { throw new Problem(_("not base64")); }
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  }
  const toBase64 = (bytes) => btoa(String.fromCharCode(...bytes));
  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }
  const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

  // A verifier key as signed-note writes it, name+hex key id+base64(algorithm || public key), its id
  // checked: the first 4 bytes of SHA-256(name, "\n", algorithm || key).
  async function readKey(text, algorithm) {
    const parts = /^([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/.exec(text.trim())?.slice(1);
    if (!parts) throw new Problem(_("not a verifier key: {key}", { key: text }));
    const raw = fromBase64(parts[2]);
    if (raw.length !== 33 || raw[0] !== algorithm) throw new Problem(_("{name}: not a key of this kind", { name: parts[0] }));
    const id = (await sha256(concat(encoder.encode(parts[0]), [0x0a], raw))).slice(0, 4);
    if (hex(id) !== parts[1]) throw new Problem(_("{name}: its key id does not match its key", { name: parts[0] }));
    return { name: parts[0], id, raw };
  }

  // The note's text and its signature lines ("— name base64(key id || signature)").
  function readNote(text) {
    const split = text.lastIndexOf("\n\n");
    if (split < 0 || !text.endsWith("\n")) throw new Problem(_("not a signed note"));
    const body = text.slice(0, split + 1);
    const signatures = text.slice(split + 2, -1).split("\n").map((line) => {
      const match = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!match) throw new Problem(_("a signature line is malformed"));
      const bytes = fromBase64(match[2]);
      if (bytes.length < 5) throw new Problem(_("a signature is too short"));
      return { name: match[1], id: bytes.slice(0, 4), bytes: bytes.slice(4) };
    });
    return { body, signatures };
  }

  return { Problem, fromBase64, toBase64, concat, sha256, hex, readKey, readNote, encoder };
})();
