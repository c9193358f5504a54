// Everything the app keeps on the phone, in IndexedDB through idb-keyval: it survives closing
// the tab, a restart and a dead battery. One database per kind of thing, so each stays simple.
import { createStore } from 'idb-keyval';

export const sessionStore = createStore('sipokat-rt-session', 'session'); // refresh token, account
export const draftStore = createStore('sipokat-rt-drafts', 'drafts'); // forms being written
export const photoStore = createStore('sipokat-rt-photos', 'photos'); // shrunk photos, by id
export const outboxStore = createStore('sipokat-rt-outbox', 'outbox'); // reports to send, sent
export const cacheStore = createStore('sipokat-rt-cache', 'cache'); // config, last report list

// crypto.randomUUID exists only on secure origins; getRandomValues everywhere.
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
