// The one place that talks HTTP: every request says which language the answer should be in, and
// every refusal becomes an ApiProblem carrying the API's own `detail` (RFC 9457), which the
// screens show as it is, already in the app's language.
import { language } from './i18n.js';

export class ApiProblem extends Error {
  constructor(status, body) {
    super(body.detail || body.title || `HTTP ${status}`);
    this.status = status;
    this.title = body.title;
    this.detail = body.detail || body.title || `HTTP ${status}`;
    this.errors = Array.isArray(body.errors) ? body.errors : [];
    this.retryAfter = null;
    this.body = body; // the rest, e.g. a 409's `reason` and `current` (docs/verification.md)
  }

  // Field errors by the name of the form field: "/body/title" → "title",
  // "/body/fund/amount_rupiah" → "fund/amount_rupiah", "/body/photos/0/sha256" → "photos".
  byField() {
    const fields = {};
    for (const { pointer = '', detail } of this.errors) {
      const path = pointer.replace(/^\//, '').replace(/^body\/?/, '').split('/');
      const name = path[0] === 'fund' && path[1] ? `fund/${path[1]}` : path[0] || 'form';
      fields[name] = fields[name] ? `${fields[name]}; ${detail}` : detail;
    }
    return fields;
  }
}

// No answer at all: no network, or the gateway is unreachable. The outbox waits for these.
export class Offline extends Error {}

export async function call(path, { method = 'GET', json, body, headers = {}, token } = {}) {
  const sent = { 'Accept-Language': language(), Accept: 'application/json', ...headers };
  if (token) sent.Authorization = `Bearer ${token}`;
  if (json !== undefined) {
    sent['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  }
  let answer;
  try {
    answer = await fetch(path, { method, headers: sent, body, credentials: 'omit' });
  } catch {
    throw new Offline();
  }
  if (answer.status === 204) return null;
  const data = await answer.json().catch(() => ({}));
  if (!answer.ok) {
    const problem = new ApiProblem(answer.status, data);
    problem.retryAfter = Number(answer.headers.get('Retry-After')) || null;
    throw problem;
  }
  return data;
}
