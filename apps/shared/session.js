// Who is signed in. The access token lives only in memory (minutes); the refresh token and the
// account are kept in IndexedDB so the user stays signed in on their device (an RT head also
// offline). A refresh answered 401 ends the session here, and nothing else: what the app keeps
// (the RT app's drafts and outbox) stays, and goes out after the next sign-in.
import { createStore, del, get, set } from 'idb-keyval';
import { ApiProblem, call } from './http.js';

// One database and one lock per app (`configureSession`), so the RT app and the console on the
// same browser keep separate sessions and never wait on each other's refresh.
let sessionStore = null;
let lockName = 'sipokat-refresh';

export function configureSession({ name }) {
  sessionStore = createStore(`${name}-session`, 'session'); // refresh token, account
  lockName = `${name}-refresh`;
}

export class SignedOut extends Error {}

let access = null; // { token, expiresAt }
let account = null; // GET /v1/accounts/me, cached
export const sessionEvents = new EventTarget();

// On start: the account kept from the last sign-in, if its session was not ended.
export async function restore() {
  const refresh = await get('refresh_token', sessionStore);
  account = refresh ? (await get('account', sessionStore)) || null : null;
  return account;
}

export const currentAccount = () => account;

// When the access token in memory runs out (ms since the epoch), or null: a long-lived request
// (the notification stream) reopens before then with a fresh one.
export const accessExpiresAt = () => access?.expiresAt ?? null;

export async function signIn(phone, password) {
  return begin(await call('/v1/auth/signin', { method: 'POST', json: { phone, password } }));
}

// The first sign-in, and the one after the lurah reset the PIN: a one-time code and a new PIN.
export async function activate(phone, code, password) {
  return begin(await call('/v1/auth/activate', { method: 'POST', json: { phone, code, password } }));
}

async function begin(tokens) {
  await keep(tokens);
  account = await call('/v1/accounts/me', { token: access.token });
  await set('account', account, sessionStore);
  sessionEvents.dispatchEvent(new Event('change'));
  return account;
}

async function keep(tokens) {
  // Renewed a little before it runs out, so a request never starts with a dying token.
  const lifetime = Math.max(10, tokens.expires_in - 30) * 1000;
  access = { token: tokens.access_token, expiresAt: Date.now() + lifetime };
  await set('refresh_token', tokens.refresh_token, sessionStore);
}

// A valid access token: the one in memory, or a new one for the kept refresh token.
export async function accessToken({ renew = false } = {}) {
  if (!renew && access && access.expiresAt > Date.now()) return access.token;
  return withLock(async () => {
    if (!renew && access && access.expiresAt > Date.now()) return access.token;
    // Read inside the lock: another tab may have rotated the token meanwhile, and sending the
    // spent one would end the whole session (identity treats reuse as theft).
    const refresh = await get('refresh_token', sessionStore);
    if (!refresh) throw new SignedOut();
    try {
      await keep(await call('/v1/auth/refresh', { method: 'POST', json: { refresh_token: refresh } }));
    } catch (error) {
      if (error instanceof ApiProblem && error.status === 401) {
        await end(error.detail);
        throw new SignedOut(error.detail);
      }
      throw error; // offline, or the server is having trouble: the session stays
    }
    return access.token;
  });
}

export async function signOut() {
  const refresh = await get('refresh_token', sessionStore);
  if (refresh) {
    // Best effort: offline, the session simply runs out at identity.
    await call('/v1/auth/signout', { method: 'POST', json: { refresh_token: refresh } }).catch(() => {});
  }
  await end(null);
}

async function end(reason) {
  access = null;
  account = null;
  await del('refresh_token', sessionStore);
  await del('account', sessionStore);
  sessionEvents.dispatchEvent(new CustomEvent('change', { detail: reason }));
}

function withLock(task) {
  // Web Locks exist on secure origins; elsewhere one tab is the usual case anyway.
  return navigator.locks ? navigator.locks.request(lockName, task) : task();
}
