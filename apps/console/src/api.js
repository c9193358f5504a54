// What the console asks of the API, all with the verifier's token (shared/api.js refreshes it
// once on a 401). Every list answers only the caller's tier and jurisdiction.
import { api } from '../../shared/api.js';
import { call } from '../../shared/http.js';

const query = (params) => {
  const found = Object.entries(params).filter(([, value]) => value !== '' && value != null);
  return found.length ? `?${new URLSearchParams(found)}` : '';
};
const id = (reportId) => encodeURIComponent(reportId);

export const consoleApi = {
  // {tier, wilayah, items, counts: {total, overdue, matching, matching_overdue}, next_cursor}
  queue: (filters = {}, cursor = null, limit = 50) => api(`/v1/verification/queue${query({ ...filters, limit, cursor })}`),
  report: (reportId) => api(`/v1/reports/${id(reportId)}`),
  recent: (rt) => api(`/v1/reports${query({ rt, limit: 10 })}`),
  decide: (reportId, body) => api(`/v1/reports/${id(reportId)}/decisions`, { method: 'POST', json: body }),
  decisions: (q, cursor = null) => api(`/v1/verification/decisions${query({ q, limit: 50, cursor })}`),
  // GeoJSON: the verified reports with a location, filtered by kind, bidang, from, to.
  map: (filters = {}) => api(`/v1/reports/map${query(filters)}`),
  // Kinds and bidang with their words; public, and the same for every area of one city.
  config: (wilayah) => call(`/v1/config${query({ wilayah })}`),
};
