// Download any table view as CSV or JSON, built in the browser from what the table shows
// (no request): CSV = the header and the cells as displayed (bar columns left out), RFC 4180
// quoting; JSON = the raw numbers the table was drawn from (its data-values).
// Every <table data-download="NAME"> gets two buttons (CSV, JSON) above it.

const q = (s) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** The CSV text of a table as shown. */
export function tableCsv(table) {
  const keep = [...table.tHead.rows[table.tHead.rows.length - 1].cells].map((c) => !c.classList.contains('bar-col'));
  const line = (cells) => [...cells].filter((_, i) => keep[i]).map((c) => q(c.textContent.trim())).join(',');
  const out = [line(table.tHead.rows[table.tHead.rows.length - 1].cells)];
  for (const body of [...table.tBodies, ...(table.tFoot ? [table.tFoot] : [])]) {
    for (const r of body.rows) if (!r.classList.contains('empty-row')) out.push(line(r.cells));
  }
  return `${out.join('\r\n')}\r\n`;
}

function save(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function initDownloads(root = document) {
  for (const table of root.querySelectorAll('table[data-download]')) {
    const name = table.dataset.download;
    const bar = document.createElement('div');
    bar.className = 'dl';
    for (const fmt of ['csv', 'json']) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = fmt.toUpperCase();
      b.title = `download this table as ${fmt.toUpperCase()}`;
      b.dataset.testid = `dl-${fmt}-${name}`;
      b.addEventListener('click', () => {
        if (fmt === 'csv') save(`${name}.csv`, 'text/csv;charset=utf-8', tableCsv(table));
        else save(`${name}.json`, 'application/json', table.dataset.values || '[]');
      });
      bar.appendChild(b);
    }
    const host = table.closest('.scroll-y, .scroll') || table;
    host.before(bar);
  }
}
