// Leaflet itself, loaded only when a screen shows a map (its own chunk, its CSS from its own
// hashed file), so the worklist's first load stays small. It knows nothing of the console:
// words and points come in ready to show.
import L from 'leaflet';

// The URL of Leaflet's CSS (build.mjs builds it beside the bundles and defines it).
/* global __LEAFLET_CSS__ */
let styled = null;
function style() {
  styled ??= new Promise((resolve) => {
    const link = Object.assign(document.createElement('link'), { rel: 'stylesheet', href: __LEAFLET_CSS__ });
    link.onload = link.onerror = resolve; // without its CSS the map is ugly, not broken
    document.head.append(link);
  });
  return styled;
}

const escape = (text) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// points: [{id, lat, lon, title, lines: [text], href}]; base: {tile_url, attribution, max_zoom}
// or null; words: {zoomIn, zoomOut, open}; onTilesFailed: called once when a tile fails.
// → a function that removes the map.
export async function drawMap(element, { points, base, words, single, onTilesFailed }) {
  await style();
  const maxZoom = base?.max_zoom || 19;
  const map = L.map(element, { zoomControl: false, maxZoom, attributionControl: !!base?.tile_url });
  L.control.zoom({ zoomInTitle: words.zoomIn, zoomOutTitle: words.zoomOut }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  if (base?.tile_url) {
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    const tiles = L.tileLayer(base.tile_url, { maxZoom, attribution: escape(base.attribution || '') });
    tiles.once('tileerror', () => onTilesFailed());
    tiles.addTo(map);
  }
  const markers = points.map((point) => {
    const marker = L.marker([point.lat, point.lon], {
      icon: L.divIcon({ className: 'map-pin', iconSize: [22, 22], iconAnchor: [11, 11], popupAnchor: [0, -10] }),
      title: point.title,
      alt: point.title,
      keyboard: true,
    });
    marker.bindPopup(() => popup(point, words), { maxWidth: 260 });
    marker.on('add', () => marker.getElement()?.setAttribute('data-report-id', point.id));
    return marker.addTo(map);
  });
  if (single || points.length === 1) map.setView([points[0].lat, points[0].lon], Math.min(16, maxZoom));
  else map.fitBounds(L.featureGroup(markers).getBounds(), { padding: [24, 24], maxZoom: Math.min(16, maxZoom) });
  return () => map.remove();
}

// Built from text nodes: titles are what RT heads typed.
function popup(point, words) {
  const box = document.createElement('div');
  box.className = 'map-popup';
  const title = document.createElement(point.href ? 'a' : 'strong');
  title.textContent = point.title;
  if (point.href) {
    title.href = point.href;
    title.title = words.open;
  }
  box.append(title);
  for (const line of point.lines) {
    const p = document.createElement('p');
    p.textContent = line;
    box.append(p);
  }
  return box;
}
