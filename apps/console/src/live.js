// The console's one inbox stream (GET /v1/notifications/stream), held at the app level while a
// verifier is signed in, whatever screen is open: the navigation's unread badge follows it, and
// the worklist subscribes to it instead of opening its own (a second stream would double the
// service's listeners for nothing). An admin has no inbox (its stream only ever says `ready`),
// so none is opened for it.
import { useEffect, useRef, useState } from 'preact/hooks';
import { refreshUnread, setUnread, unreadCount } from '../../shared/inbox.js';
import { openStream } from '../../shared/stream.js';

// {event, data} per server-sent event ('live-event'), and the connection's state ('live-state').
export const liveEvents = new EventTarget();
let stream = null;
let state = 'closed'; // 'connecting' | 'live' | 'retrying' | 'closed'
export const liveState = () => state;

export function startLive() {
  if (stream) return;
  stream = openStream('/v1/notifications/stream', {
    onState: (next) => {
      state = next;
      if (next === 'closed') stream = null; // signed out: the next sign-in opens a new one
      liveEvents.dispatchEvent(new CustomEvent('live-state', { detail: next }));
    },
    onEvent: ({ event, data }) => {
      // The badge: the count the stream starts with, one more per notice, and asked again
      // when notices may have been missed.
      if (event === 'ready' && typeof data?.unread === 'number') setUnread(data.unread);
      else if (event === 'notification' && !data?.read) setUnread(unreadCount() + 1);
      else if (event === 'resync') refreshUnread();
      liveEvents.dispatchEvent(new CustomEvent('live-event', { detail: { event, data } }));
    },
  });
}

export function stopLive() {
  stream?.close();
  stream = null;
}

// The connection's state, for a screen that says it.
export function useLiveState() {
  const [now, setNow] = useState(state);
  useEffect(() => {
    const show = (event) => setNow(event.detail);
    liveEvents.addEventListener('live-state', show);
    setNow(state);
    return () => liveEvents.removeEventListener('live-state', show);
  }, []);
  return now;
}

// Gathers the stream's events into bursts: `pick({event, data})` gives an item to gather, `true`
// to flush without one, or nothing to ignore the event; `flush(items)` runs once per burst,
// `quiet` ms after its first event.
export function useLiveBurst(pick, flush, quiet) {
  const latest = useRef({ pick, flush });
  latest.current = { pick, flush };
  useEffect(() => {
    let gathered = [];
    let timer = null;
    const done = () => {
      timer = null;
      const items = gathered;
      gathered = [];
      latest.current.flush(items);
    };
    const heard = ({ detail }) => {
      const picked = latest.current.pick(detail);
      if (!picked) return;
      if (picked !== true) gathered.push(picked);
      timer ??= setTimeout(done, quiet);
    };
    liveEvents.addEventListener('live-event', heard);
    return () => {
      clearTimeout(timer);
      liveEvents.removeEventListener('live-event', heard);
    };
  }, [quiet]);
}

// What reaches a verifier's inbox about its worklist: a report now waiting for this office, and
// a deadline passed here or below (the order moves: overdue goes first).
const CONCERNS_WORKLIST = new Set(['awaiting_verification', 'reminder', 'escalation']);
const QUIET = 300; // ms: notices closer together than this are one re-read

// The worklist's live updates, coalesced so a burst (a hundred reports a second) costs one
// re-read of the queue, not a hundred. `reread(arrivals)`: arrivals are the inbox items
// (report_id, message, kind, report) since the last call; an empty list when the stream
// (re)starts, as notices may have been missed. Returns the connection state.
export function useLiveQueue(reread) {
  useLiveBurst(
    ({ event, data }) => {
      if (event === 'notification' && CONCERNS_WORKLIST.has(data?.kind)) return data;
      // Notices may have been missed (while reconnecting): the queue itself says what changed.
      return event === 'resync' || event === 'ready';
    },
    reread,
    QUIET,
  );
  return useLiveState();
}
