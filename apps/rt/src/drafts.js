// The report being written, saved to IndexedDB on every change: closing the app or a dead
// battery loses nothing. A new report has one draft; each revision of a rejected report its own.
import { del, get, set } from 'idb-keyval';
import { deletePhotos } from './photos.js';
import { draftStore } from './store.js';

export const draftKey = (reportId) => (reportId ? `revise:${reportId}` : 'new');

export const emptyDraft = () => ({
  kind: '',
  bidang: '',
  title: '',
  description: '',
  activity_date: today(),
  location: null, // { latitude, longitude, accuracy } once the RT head agreed
  photos: [], // { id, bytes } kept on the phone, or { sha256, content_type } already uploaded
  fund: { programme: '', amount_rupiah: '', progress_percent: '', bidang_dana: '' },
  errors: {}, // the API's field messages, when a sent report came back refused
});

export const loadDraft = (key) => get(key, draftStore);

export const saveDraft = (key, draft) => set(key, { ...draft, saved_at: Date.now() }, draftStore);

// `keepPhotos` when the draft's photos move on to the outbox with it.
export async function discardDraft(key, { keepPhotos = false } = {}) {
  const draft = await loadDraft(key);
  if (draft && !keepPhotos) await deletePhotos(draft.photos);
  await del(key, draftStore);
}

// The phone's own date (the RT head's), as the date input wants it.
export function today(offsetDays = 0) {
  const now = new Date(Date.now() + offsetDays * 86_400_000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

// The content a report is sent with, from a draft: empty optional parts left out.
export function contentOf(draft) {
  const content = {
    kind: draft.kind,
    bidang: draft.bidang,
    title: draft.title.trim(),
    description: draft.description.trim(),
    activity_date: draft.activity_date,
  };
  if (draft.location) {
    content.location = { latitude: draft.location.latitude, longitude: draft.location.longitude };
  }
  if (draft.kind === 'progres_dana') {
    content.fund = {
      programme: draft.fund.programme.trim(),
      amount_rupiah: Number(draft.fund.amount_rupiah),
      progress_percent: Number(draft.fund.progress_percent),
      bidang_dana: draft.fund.bidang_dana,
    };
  }
  return content;
}

// A draft filled in from a report's content (to revise it, or to fix a refused send).
export function draftOf(content, photos = []) {
  const draft = emptyDraft();
  return {
    ...draft,
    ...content,
    location: content.location || null,
    photos,
    fund: content.fund
      ? {
          programme: content.fund.programme,
          amount_rupiah: String(content.fund.amount_rupiah),
          progress_percent: String(content.fund.progress_percent),
          bidang_dana: content.fund.bidang_dana,
        }
      : draft.fund,
  };
}
