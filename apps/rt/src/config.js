// What the compose screen offers, from the city's configuration (GET /v1/config, public): the
// kinds (progres_dana only where the city runs a fund programme), bidang, the activity-date rule
// in words, photo and text limits. Kept on the phone, so composing works offline too.
import { get, set } from 'idb-keyval';
import { call } from '../../shared/http.js';
import { cacheStore } from './store.js';

// The app's frame (for the words) and the compose screen ask at the same moment after a
// sign-in: one request serves both.
const asked = new Map();
export function loadConfig(wilayah) {
  if (!asked.has(wilayah)) asked.set(wilayah, fetchConfig(wilayah).finally(() => asked.delete(wilayah)));
  return asked.get(wilayah);
}

async function fetchConfig(wilayah) {
  const key = `config:${wilayah}`;
  try {
    const config = await call(`/v1/config?wilayah=${encodeURIComponent(wilayah)}`);
    await set(key, config, cacheStore);
    return config;
  } catch (error) {
    const kept = await get(key, cacheStore);
    if (kept) return kept;
    throw error;
  }
}
