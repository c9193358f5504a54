// A notice that arrives while the verifier is on another screen (a report, the dashboard) is
// said once, politely, in a region of its own: it must not take the focus, move the page or
// overwrite what the last decision did (the frame's status). The badge shows it to the eye.
// A burst is said as one count. The worklist says its own arrivals, so it passes `quiet`.
import { useState } from 'preact/hooks';
import { t } from '../../../shared/i18n.js';
import { useLiveBurst } from '../live.js';

const GATHER = 1_000; // ms: notices this close together are said as one

export function LiveNotices({ quiet }) {
  const [said, setSaid] = useState('');
  useLiveBurst(
    // A notice that comes while the worklist is open is the worklist's to say.
    ({ event, data }) => (event === 'notification' && !quiet ? data : null),
    (heard) => {
      if (!heard.length) return;
      const title = heard[0].report?.title;
      setSaid(heard.length === 1 && title ? t('live.one', { title }) : t('live.many', { count: heard.length }));
    },
    GATHER,
  );
  return (
    <p class="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="live-notices">
      {said}
    </p>
  );
}
