// Horizontal bar charts drawn as inline SVG: no library, nothing fetched from elsewhere.
"use strict";
const SVG = "http://www.w3.org/2000/svg";

function svgEl(name, attrs, text) {
  const el = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
  if (text !== undefined) el.textContent = text;
  return el;
}

// rows: [{label, value, display, cls}], drawn largest scale = max value.
function barChart(container, rows, options = {}) {
  container.replaceChildren();
  if (!rows.length) {
    container.append(Object.assign(document.createElement("p"), {className: "kosong", textContent: "Belum ada data"}));
    return;
  }
  const labelWidth = options.labelWidth || 170, width = 480, barHeight = 18, gap = 6;
  const max = Math.max(...rows.map(r => r.value), options.max || 0) || 1;
  const height = rows.length * (barHeight + gap);
  const svg = svgEl("svg", {width: "100%", viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": options.title || "grafik batang", class: "bars"});
  rows.forEach((row, i) => {
    const y = i * (barHeight + gap);
    const length = Math.max(0, (width - labelWidth - 190) * row.value / max);
    svg.append(svgEl("text", {x: 0, y: y + 13}, row.label));
    svg.append(svgEl("rect", {x: labelWidth, y, width: length, height: barHeight,
      class: "bar " + (row.cls || ""), "data-label": row.label, "data-value": row.value}));
    svg.append(svgEl("text", {x: labelWidth + length + 4, y: y + 13, class: "value"}, row.display ?? String(row.value)));
  });
  container.append(svg);
}

function table(el, header, rows) {
  el.replaceChildren();
  const head = el.insertRow();
  header.forEach(h => head.append(Object.assign(document.createElement("th"), {textContent: h})));
  rows.forEach(cells => {
    const tr = el.insertRow();
    cells.forEach(c => { tr.insertCell().textContent = c; });
  });
}
