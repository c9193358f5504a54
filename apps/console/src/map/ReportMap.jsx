// The console's one map: reports as markers over the city's tiles (SIPOKAT_MAP_TILE_URL, from
// GET /v1/config) or, without a tile server or when its tiles fail, over a plain background
// with a scale and a note saying so. Leaflet loads on first use. The same points are listed
// below the map on the map screen: the way through for a screen reader or a keyboard.
import { useEffect, useRef, useState } from 'preact/hooks';
import { language, t } from '../../../shared/i18n.js';
import { baseMap } from '../words.js';
import './map.css';

export function ReportMap({ points, single = false, label }) {
  const element = useRef(null);
  const [failed, setFailed] = useState(false);
  const [loadProblem, setLoadProblem] = useState(false);
  const base = baseMap();
  const key = points.map((point) => point.id).join(',');

  useEffect(() => {
    if (!points.length) return undefined;
    let remove = null;
    let gone = false;
    const words = { zoomIn: t('map.zoomIn'), zoomOut: t('map.zoomOut'), open: t('map.open') };
    import('./leaflet.js')
      .then(({ drawMap }) => drawMap(element.current, { points, base, words, single, onTilesFailed: () => setFailed(true) }))
      .then((removeMap) => (gone ? removeMap() : (remove = removeMap)))
      .catch(() => setLoadProblem(true)); // offline before the chunk came: the list still stands
    return () => {
      gone = true;
      remove?.();
    };
  }, [key, base?.tile_url, language()]); // the popups' words are made when the map is

  const note = loadProblem ? t('map.notLoaded') : !base?.tile_url ? t('map.noTiles') : failed ? t('map.tilesFailed') : '';
  return (
    <div class={`map-box${base?.tile_url && !failed ? '' : ' plain'}`}>
      {note ? (
        <p class="map-note" data-testid="map-note">
          {note}
        </p>
      ) : null}
      <div ref={element} class={single ? 'map one' : 'map'} role="region" aria-label={label} data-testid="map" />
    </div>
  );
}
