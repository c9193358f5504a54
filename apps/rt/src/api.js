// What the RT app asks with the RT head's token (shared/api.js refreshes it once on a 401).
import { api } from '../../shared/api.js';

export { api };

export const reportsApi = {
  list: (cursor) => api(`/v1/reports?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
  get: (id) => api(`/v1/reports/${encodeURIComponent(id)}`),
  inbox: () => api('/v1/notifications/inbox?limit=100'),
  markRead: (itemId) => api(`/v1/notifications/inbox/${encodeURIComponent(itemId)}/read`, { method: 'POST' }),
};
