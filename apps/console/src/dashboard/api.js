// What the dashboard and the report list ask of the API, with the leader's token: analytics'
// figures for an area and a period, the report list behind a figure, and its CSV export.
import { api } from '../../../shared/api.js';
import { language } from '../../../shared/i18n.js';
import { ApiProblem, Offline } from '../../../shared/http.js';
import { accessToken } from '../../../shared/session.js';

export const query = (params) => {
  const found = Object.entries(params).filter(([, value]) => value !== '' && value != null);
  return found.length ? `?${new URLSearchParams(found)}` : '';
};

export const dashboardApi = {
  // {wilayah, name, cities: [{code, name, fund_programme}], kecamatan: [{code, name}], kelurahan}
  areas: () => api('/v1/analytics/areas'),
  figure: (path, scope) => api(`/v1/analytics/${path}${query(scope)}`),
  reports: (filters, cursor = null) => api(`/v1/reports${query({ ...filters, limit: 50, cursor })}`),
};

// The CSV needs the bearer token, so a plain link cannot fetch it: fetched here and handed to
// the browser as a file. → the file's name.
export async function downloadCsv(filters, fallbackName) {
  const path = `/v1/reports${query({ ...filters, format: 'csv' })}`;
  let answer;
  for (const renew of [false, true]) {
    const token = await accessToken({ renew });
    try {
      answer = await fetch(path, {
        headers: { Authorization: `Bearer ${token}`, Accept: 'text/csv', 'Accept-Language': language() },
        credentials: 'omit',
      });
    } catch {
      throw new Offline();
    }
    if (answer.status !== 401) break;
  }
  if (!answer.ok) throw new ApiProblem(answer.status, await answer.json().catch(() => ({})));
  const named = /filename="([^"]+)"/.exec(answer.headers.get('Content-Disposition') || '');
  const name = named ? named[1] : fallbackName;
  const link = Object.assign(document.createElement('a'), { href: URL.createObjectURL(await answer.blob()), download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  return name;
}
