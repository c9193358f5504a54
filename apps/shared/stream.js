// A server-sent event stream with the user's token (GET /v1/notifications/stream). EventSource
// cannot send a bearer header, so this is fetch streaming with eventsource-parser. It reconnects:
// when the access token is about to run out (a stream must not outlive the token it was opened
// with, or a sign-out elsewhere would never reach it), after `resync` or a cut stream, and after
// errors with exponential backoff and jitter (so a restarted service is not hit by every open
// console in the same second). It stops on sign-out or `close()`.
import { createParser } from 'eventsource-parser';
import { language } from './i18n.js';
import { accessExpiresAt, accessToken, currentAccount, sessionEvents, SignedOut } from './session.js';

const FIRST_DELAY = 1_000; // ms
const MOST_DELAY = 30_000;

// `onEvent({event, data, id})` per event (`data` parsed as JSON); `onState('connecting' | 'live'
// | 'retrying' | 'closed')`. Returns `{close}`.
export function openStream(path, { onEvent, onState = () => {} }) {
  let closed = false;
  let controller = null;
  let failures = 0;
  let wake = null; // ends the backoff wait early (close)

  const stop = () => {
    closed = true;
    controller?.abort();
    wake?.();
    sessionEvents.removeEventListener('change', onSession);
    onState('closed');
  };
  const onSession = () => {
    if (!currentAccount()) stop();
  };
  sessionEvents.addEventListener('change', onSession);

  async function once(renew) {
    const token = await accessToken({ renew });
    controller = new AbortController();
    // Reopened a little before the token runs out, with the refreshed one.
    const left = Math.max(5_000, (accessExpiresAt() || Date.now()) - Date.now());
    const renewal = setTimeout(() => controller.abort('renew'), left);
    try {
      const answer = await fetch(path, {
        headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream', 'Accept-Language': language() },
        credentials: 'omit',
        cache: 'no-store',
        signal: controller.signal,
      });
      if (answer.status === 401) return 'unauthorized';
      if (!answer.ok || !answer.body) throw new Error(`HTTP ${answer.status}`);
      const parser = createParser({
        onEvent: ({ event, data, id }) => {
          if (event === 'ready') {
            failures = 0;
            onState('live');
          }
          let parsed = null;
          try {
            parsed = JSON.parse(data);
          } catch {
            parsed = data;
          }
          onEvent({ event: event || 'message', data: parsed, id });
        },
      });
      const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return 'ended';
        parser.feed(value);
      }
    } catch (error) {
      if (controller.signal.aborted) return controller.signal.reason === 'renew' ? 'renew' : 'ended';
      throw error;
    } finally {
      clearTimeout(renewal);
    }
  }

  async function run() {
    let renew = false;
    while (!closed) {
      onState('connecting');
      let outcome;
      try {
        outcome = await once(renew);
      } catch (error) {
        if (error instanceof SignedOut) return stop();
        outcome = 'failed';
      }
      if (closed) return;
      renew = outcome === 'unauthorized';
      // A planned reopen goes at once; a stream that ended or failed waits, longer each time.
      if (outcome === 'renew' || (outcome === 'unauthorized' && failures === 0)) {
        if (outcome === 'unauthorized') failures += 1;
        continue;
      }
      if (outcome === 'ended' && failures === 0) {
        failures = 1; // reset by the next `ready`; a stream that keeps ending at once backs off
        continue;
      }
      onState('retrying');
      const delay = Math.min(MOST_DELAY, FIRST_DELAY * 2 ** Math.min(failures, 5));
      failures += 1;
      await new Promise((resolve) => {
        wake = resolve;
        setTimeout(resolve, delay / 2 + Math.random() * (delay / 2)); // "equal jitter"
      });
    }
  }

  run();
  return { close: stop };
}
