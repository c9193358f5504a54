// Horizontal bar charts drawn as inline SVG: no library, nothing fetched from elsewhere. Each row
// is a name with its figure on one line and the bar across the card below it, so the chart is
// drawn to the card's width and a phone never scrolls sideways.
"use strict";
const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 320, ROW = 38;

function svgEl(name, attrs, text) {
  const el = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
  if (text !== undefined) el.textContent = text;
  return el;
}

// rows: [{label, value, display, cls}], the longest bar = the largest value (or options.max).
function barChart(container, rows, options = {}) {
  container.replaceChildren();
  if (!rows.length) {
    container.append(Object.assign(document.createElement("p"),
      {className: "kosong", textContent: options.empty || "—"}));
    return;
  }
  const max = Math.max(...rows.map(r => r.value), options.max || 0) || 1;
  const svg = svgEl("svg", {width: "100%", viewBox: `0 0 ${WIDTH} ${rows.length * ROW}`, role: "img",
    "aria-label": options.title || "", class: "bars"});
  rows.forEach((row, i) => {
    const y = i * ROW;
    svg.append(svgEl("text", {x: 0, y: y + 13}, row.label));
    svg.append(svgEl("text", {x: WIDTH, y: y + 13, "text-anchor": "end", class: "value"},
      row.display ?? String(row.value)));
    svg.append(svgEl("rect", {x: 0, y: y + 18, width: Math.max(0, WIDTH * row.value / max), height: 12,
      class: "bar " + (row.cls || ""), "data-label": row.label, "data-value": row.value}));
  });
  container.append(svg);
}

// Replaces the table's rows (its caption stays).
function table(el, header, rows) {
  while (el.rows.length) el.deleteRow(0);
  const head = el.insertRow();
  header.forEach(h => head.append(Object.assign(document.createElement("th"), {textContent: h, scope: "col"})));
  rows.forEach(cells => {
    const tr = el.insertRow();
    cells.forEach(c => { tr.insertCell().textContent = c; });
  });
}
