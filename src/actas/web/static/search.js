// The search box: finds a place (by name or code, any level) or a mesa (by code) as one types, from a small
// static index loaded on first use; accents and case do not matter. Without scripts, the form asks the
// server's search page (on the published site, which has no server, the box needs the script).
"use strict";
(function () {
  const input = document.getElementById("q");
  const list = document.getElementById("search-results");
  if (!input || !list) return;
  const { _ } = ActasWords;
  const published = !input.form.getAttribute("action");
  const fold = (text) => text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().split(/\s+/).filter(Boolean).join(" ");
  let index = null, loading = null;

  function load() {
    if (!loading) {
      loading = fetch(input.dataset.index).then((r) => r.json()).then((data) => {
        index = {
          label: data.label,
          units: data.units.map(([code, name, parent]) => ({ code, name, parent, folded: fold(name), code_folded: fold(code) })),
          mesas: data.mesas.map(([short, unit]) => {
            const code = short.startsWith("+") ? data.units[unit][0] + short.slice(1) : short;
            return { code, unit, folded: fold(code) };
          }),
        };
        index.units.forEach((u) => { u.within = u.parent >= 0 ? data.units[u.parent][1] : ""; });
        return index;
      });
    }
    return loading;
  }

  // The same order as the server's search page: the place of that code or name, those that start with it,
  // those with a word that does, the rest; then mesas whose code starts with it.
  function find(query) {
    const wanted = fold(query.slice(0, 100));
    if (!wanted) return [];
    const ranked = [];
    index.units.forEach((u, order) => {
      let rank = -1;
      if (u.folded === wanted || u.code_folded === wanted) rank = 0;
      else if (u.folded.startsWith(wanted) || u.code_folded.startsWith(wanted)) rank = 1;
      else if (` ${u.folded}`.includes(` ${wanted}`)) rank = 2;
      else if (u.folded.includes(wanted) || u.code_folded.includes(wanted)) rank = 3;
      if (rank >= 0) ranked.push([rank, order, u]);
    });
    ranked.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const found = ranked.slice(0, 12).map(([, , u]) => ({ href: href("unit", u.code), name: u.name, where: [u.code, u.within].filter(Boolean).join(" · ") }));
    for (const m of index.mesas) {
      if (found.length >= 12) break;
      if (m.folded.startsWith(wanted)) found.push({ href: href("mesa", m.code, index.units[m.unit].code), name: `${index.label} ${m.code}`, where: index.units[m.unit].name });
    }
    return found;
  }

  // On the published site a mesa is shown in its unit's list: it has no page of its own there.
  function href(kind, code, unit) {
    if (published) return `?unit=${encodeURIComponent(kind === "unit" ? code : unit)}`;
    return kind === "unit" ? `/results/${encodeURIComponent(code)}` : `/mesa/${encodeURIComponent(code)}`;
  }

  function item(href, name, where) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = href;
    a.textContent = name;
    li.append(a);
    if (where) {
      const span = document.createElement("span");
      span.className = "where";
      span.textContent = where;
      li.append(" ", span);
    }
    return li;
  }

  function show(found, query) {
    list.replaceChildren();
    const asked = query.trim();
    if (!asked) { list.hidden = true; return; }
    // Where the board has the voters' table, what looks like a national id is asked of the server.
    if (input.dataset.voters && /^[A-Za-z]?[-. ]?\d[\d. ]{4,}$/.test(asked)) {
      list.append(item(`/search?q=${encodeURIComponent(asked)}`, input.dataset.voters.replace("{query}", asked)));
    }
    list.append(...found.map((hit) => item(hit.href, hit.name, hit.where)));
    if (!list.children.length) {
      const li = document.createElement("li");
      li.textContent = _("Nothing found for “{query}”.", { query: asked });
      list.append(li);
    }
    list.hidden = false;
  }

  let pending = null;
  input.addEventListener("focus", load, { once: true });
  input.addEventListener("input", () => {
    clearTimeout(pending);
    pending = setTimeout(async () => { await load(); show(find(input.value), input.value); }, 80);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { list.hidden = true; }
    if (event.key === "ArrowDown" && !list.hidden) { const first = list.querySelector("a"); if (first) { event.preventDefault(); first.focus(); } }
  });
  input.form.addEventListener("submit", async (event) => {
    if (!published) return;  // the server's search page answers without a script
    event.preventDefault();
    await load();
    const first = find(input.value)[0];
    if (first) location.href = first.href;
  });
})();
