// The signed-in office's notification inbox (GET /v1/notifications/inbox …): the RT head's
// verdicts, a verifier's "awaiting", reminders, escalations and daily digests. The unread count
// is kept here, so the navigation's badge and the inbox screen say the same number.
import { api } from './api.js';

const base = '/v1/notifications/inbox';

export const inboxApi = {
  // {unread, total, items: [{id, kind, report_id, message, created_at, read}], next_cursor}
  list: (cursor = null) => api(`${base}?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
  markRead: (itemId) => api(`${base}/${encodeURIComponent(itemId)}/read`, { method: 'POST' }),
  markAllRead: () => api(`${base}/read`, { method: 'POST' }),
  unread: () => api(`${base}/unread`),
};

let unread = 0;
export const unreadEvents = new EventTarget();
export const unreadCount = () => unread;

export function setUnread(count) {
  if (count === unread) return;
  unread = Math.max(0, count);
  unreadEvents.dispatchEvent(new Event('change'));
}

// Asked again now; a failure (offline, signed out) keeps the last number.
export async function refreshUnread() {
  try {
    setUnread((await inboxApi.unread()).unread);
  } catch {
    // the badge waits for the next try
  }
}
