// The worklist's live updates: the inbox stream's notices that concern the worklist, coalesced
// so a burst (a hundred reports a second) costs one re-read of the queue, not a hundred.
import { useEffect, useRef, useState } from 'preact/hooks';
import { openStream } from '../../shared/stream.js';

// What reaches a verifier's inbox about its worklist: a report now waiting for this office, and
// a deadline passed here or below (the order moves: overdue goes first).
const CONCERNS_WORKLIST = new Set(['awaiting_verification', 'reminder', 'escalation']);
const QUIET = 300; // ms: notices closer together than this are one re-read

// `reread(arrivals)`: arrivals are the inbox items (report_id, message, kind) since the last
// call; an empty list when the stream (re)starts, as notices may have been missed. Returns the
// connection state: 'connecting', 'live' or 'retrying'.
export function useLiveQueue(reread) {
  const [state, setState] = useState('connecting');
  const latest = useRef(reread);
  latest.current = reread;

  useEffect(() => {
    let pending = [];
    let timer = null;
    const flush = () => {
      timer = null;
      const arrivals = pending;
      pending = [];
      latest.current(arrivals);
    };
    const soon = () => {
      timer ??= setTimeout(flush, QUIET);
    };
    const stream = openStream('/v1/notifications/stream', {
      onState: setState,
      onEvent: ({ event, data }) => {
        if (event === 'notification' && CONCERNS_WORKLIST.has(data?.kind)) {
          pending.push(data);
          soon();
        } else if (event === 'resync' || event === 'ready') {
          // Notices may have been missed (while reconnecting, or between the screen's first
          // read and the stream's start): the queue itself says what changed.
          soon();
        }
      },
    });
    return () => {
      clearTimeout(timer);
      stream.close();
    };
  }, []);
  return state;
}
