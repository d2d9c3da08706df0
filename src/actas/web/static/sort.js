// Sortable tables: a table with class "sortable" sorts its rows by a column when its heading is pressed
// (again: the other way). A cell's data-sort, where it has one, is what it sorts by (a number); otherwise
// its text. The order is kept when the table is drawn again (ActasSort.apply).
"use strict";
const ActasSort = (function () {
  const chosen = {};  // table id -> [column, direction]

  function key(cell) {
    if (!cell) return "";
    const given = cell.dataset.sort;
    if (given !== undefined) return Number(given);
    const text = cell.textContent.trim();
    if (cell.classList.contains("num") && /^[\d.,\s]+$/.test(text)) return Number(text.replace(/[^\d]/g, ""));  // a count
    return text.toLocaleLowerCase();
  }

  function sortBy(table, column, direction) {
    const body = table.tBodies[0];
    if (!body) return;
    const rows = [...body.rows];
    rows.sort((a, b) => {
      const x = key(a.cells[column]), y = key(b.cells[column]);
      const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
      return direction * order;
    });
    body.append(...rows);
    [...table.tHead.rows[0].cells].forEach((th, i) => {
      if (i === column) th.setAttribute("aria-sort", direction > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    });
  }

  // Make the headings of `table` buttons that sort it, and sort it as it was last sorted.
  function apply(table) {
    if (!table || !table.tHead || !table.tHead.rows.length) return;
    [...table.tHead.rows[0].cells].forEach((th, column) => {
      if (th.querySelector("button.sort")) return;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.append(...th.childNodes);
      th.append(button);
      button.addEventListener("click", () => {
        const [was, direction] = chosen[table.id] || [null, 1];
        const next = was === column ? -direction : (th.classList.contains("num") ? -1 : 1);
        chosen[table.id] = [column, next];
        sortBy(table, column, next);
      });
    });
    if (chosen[table.id]) sortBy(table, ...chosen[table.id]);
  }

  document.querySelectorAll("table.sortable").forEach(apply);
  return { apply };
})();
