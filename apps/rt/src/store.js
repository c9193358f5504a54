// Everything the app keeps on the phone, in IndexedDB through idb-keyval: it survives closing
// the tab, a restart and a dead battery. One database per kind of thing, so each stays simple.
// (The session's database is the shared session module's: sipokat-rt-session.)
import { createStore } from 'idb-keyval';

export { uuid } from '../../shared/uuid.js';
export const draftStore = createStore('sipokat-rt-drafts', 'drafts'); // forms being written
export const photoStore = createStore('sipokat-rt-photos', 'photos'); // shrunk photos, by id
export const outboxStore = createStore('sipokat-rt-outbox', 'outbox'); // reports to send, sent
export const cacheStore = createStore('sipokat-rt-cache', 'cache'); // config, last report list
