// The catalogue's codes in words: kinds, bidang, statuses and rejection reasons all come from
// GET /v1/config (shared/labels.js); only the tiers' names are the console's own (locales).
// The same answer carries the base map's settings, kept here for the maps.
import { setLabels } from '../../shared/labels.js';

export { bidangWords, bidangs, kindWords, kinds, reasonCodes, reasonWords, statusWords } from '../../shared/labels.js';

let map = null;
export const setConfig = (answer) => {
  map = answer?.map || null;
  setLabels(answer);
};
export const baseMap = () => map; // {tile_url, attribution, max_zoom}
