'use strict';
/** Prints rows of objects as an aligned text table (column heads from the first row). */
function printTable(rows) {
  if (!rows || rows.length === 0) return;
  const heads = Object.keys(rows[0]);
  const widths = heads.map((h) => Math.max(h.length, ...rows.map((r) => String(r[h]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ');
  console.log(line(heads));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of rows) console.log(line(heads.map((h) => r[h])));
}

module.exports = { printTable };
