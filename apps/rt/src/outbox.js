// The outbox: a report the RT head sent is first kept here, and only then sent. It goes when
// the network is there (on start, when the phone comes back online, by Background Sync, and by
// a retry with backoff), photos first, then the report with an Idempotency-Key made once for
// the entry: sent three times over a flaky link, it is still one report.
import { del, set, values } from 'idb-keyval';
import { api } from './api.js';
import { ApiProblem, Offline } from '../../shared/http.js';
import { deletePhotos, photoBlob } from './photos.js';
import { SignedOut, currentAccount } from '../../shared/session.js';
import { outboxStore, uuid } from './store.js';

const KEEP_SENT = 20; // sent entries shown as "sent", newest first
const FIRST_RETRY_MS = 5_000;
const LAST_RETRY_MS = 5 * 60_000;

export const outboxEvents = new EventTarget();
let sending = false;
let timer = null;

// state: waiting → sent, or → refused (the API said no; the RT head fixes it and sends again).
export async function enqueue({ action, reportId = null, content, photos }) {
  const entry = {
    id: uuid(),
    key: uuid(), // the Idempotency-Key, the same for every try of this entry
    account: currentAccount()?.id,
    action, // "submit" a new report, or "revise" a rejected one
    report_id: reportId,
    content,
    photos,
    state: 'waiting',
    attempts: 0,
    next_try_at: 0,
    created_at: Date.now(),
  };
  await save(entry);
  askForBackgroundSync();
  flush();
  return entry;
}

export async function listOutbox() {
  const entries = await values(outboxStore);
  return entries.sort((a, b) => b.created_at - a.created_at);
}

export async function removeEntry(entry, { keepPhotos = false } = {}) {
  if (!keepPhotos) await deletePhotos(entry.photos);
  await del(entry.id, outboxStore);
  changed();
}

export const isSending = () => sending;

// Sends every waiting entry of the signed-in account that is due (or all, with `now`).
export async function flush({ now = false } = {}) {
  const run = () => sendDue(now);
  // One tab sends at a time; another tab asking meanwhile finds the lock taken and leaves it.
  return navigator.locks
    ? navigator.locks.request('sipokat-rt-outbox', { ifAvailable: true }, (lock) => lock && run())
    : run();
}

async function sendDue(now) {
  if (sending) return;
  const account = currentAccount();
  if (!account) return;
  sending = true;
  changed();
  try {
    const due = (await listOutbox())
      .filter((e) => e.state === 'waiting' && e.account === account.id)
      .filter((e) => now || e.next_try_at <= Date.now())
      .reverse(); // oldest first, as they were written
    for (const entry of due) {
      if (!(await sendOne(entry))) break; // offline or signed out: the rest waits too
    }
  } finally {
    sending = false;
    changed();
    schedule();
  }
}

// True when the next entry may be tried now.
async function sendOne(entry) {
  try {
    await uploadPhotos(entry);
    const path = entry.action === 'revise' ? `/v1/reports/${entry.report_id}/revisions` : '/v1/reports';
    const body = { ...entry.content, photos: entry.photos.map(({ sha256, content_type }) => ({ sha256, content_type })) };
    const answer = await api(path, { method: 'POST', json: body, headers: { 'Idempotency-Key': entry.key } });
    await deletePhotos(entry.photos);
    Object.assign(entry, { state: 'sent', report_id: answer.report_id, sent_at: Date.now(), error: null });
    entry.photos = entry.photos.map(({ sha256, content_type }) => ({ sha256, content_type }));
    await save(entry);
    outboxEvents.dispatchEvent(new CustomEvent('sent', { detail: entry }));
    await forgetOldSent();
    return true;
  } catch (error) {
    if (error instanceof SignedOut) return false;
    // No network at all: the 'online' event sends it, so the wait does not grow meanwhile.
    if (error instanceof Offline && !navigator.onLine) return false;
    if (error instanceof Offline || retryable(error)) {
      entry.attempts += 1;
      const wait = error.retryAfter ? error.retryAfter * 1000 : backoff(entry.attempts);
      entry.next_try_at = Date.now() + wait;
      await save(entry);
      return !(error instanceof Offline);
    }
    if (!(error instanceof ApiProblem)) throw error;
    Object.assign(entry, { state: 'refused', error: error.detail, field_errors: error.byField() });
    await save(entry);
    return true;
  }
}

// Each photo once: an uploaded one keeps its sha256 on the entry, so a retry skips it. The
// server stores photos by content, so even a photo uploaded twice is stored once.
async function uploadPhotos(entry) {
  for (const photo of entry.photos) {
    if (photo.sha256) continue;
    const blob = await photoBlob(photo.id);
    const form = new FormData();
    form.append('file', blob, 'photo.jpg');
    const stored = await api('/v1/attachments', { method: 'POST', body: form });
    photo.sha256 = stored.sha256;
    photo.content_type = stored.content_type;
    await save(entry);
  }
}

// Worth trying again later: a request still running (409 with Retry-After), throttling,
// timeouts, the server's own trouble, or a token the server did not take this time.
function retryable(error) {
  if (!(error instanceof ApiProblem)) return false;
  const { status } = error;
  return status >= 500 || status === 429 || status === 408 || status === 401 || (status === 409 && error.retryAfter);
}

function backoff(attempts) {
  const base = Math.min(LAST_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempts - 1));
  return base * (0.75 + Math.random() / 2); // spread: 500 phones back online do not come at once
}

function schedule() {
  clearTimeout(timer);
  listOutbox().then((entries) => {
    const next = Math.min(...entries.filter((e) => e.state === 'waiting').map((e) => e.next_try_at));
    if (Number.isFinite(next)) timer = setTimeout(() => flush(), Math.max(1000, next - Date.now()));
  });
}

async function forgetOldSent() {
  const sent = (await listOutbox()).filter((e) => e.state === 'sent');
  for (const entry of sent.slice(KEEP_SENT)) await del(entry.id, outboxStore);
}

async function save(entry) {
  await set(entry.id, entry, outboxStore);
  changed();
}

function changed() {
  outboxEvents.dispatchEvent(new Event('change'));
}

function askForBackgroundSync() {
  // Chromium wakes the service worker when the network is back, even with the tab closed in
  // the background; the worker asks the open app to flush (sw.js).
  navigator.serviceWorker?.ready
    .then((registration) => registration.sync?.register('sipokat-outbox'))
    .catch(() => {});
}

// Starts sending: now, whenever the phone comes back online, and when the worker asks.
export function startSender() {
  addEventListener('online', () => flush({ now: true }));
  navigator.serviceWorker?.addEventListener('message', (event) => {
    if (event.data === 'flush-outbox') flush({ now: true });
  });
  flush({ now: true });
}
