// Calls that need the user's token: a 401 once gets a fresh access token and one retry (the
// token may have been revoked or expired early); the session module decides when it is over.
import { ApiProblem, call } from './http.js';
import { accessToken } from './session.js';

export async function api(path, options = {}) {
  try {
    return await call(path, { ...options, token: await accessToken() });
  } catch (error) {
    if (!(error instanceof ApiProblem) || error.status !== 401) throw error;
    return call(path, { ...options, token: await accessToken({ renew: true }) });
  }
}
