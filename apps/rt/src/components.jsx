// The parts every screen uses: the shared form parts (fields, problem box), and the page frame
// (header, outbox status, bottom navigation).
import { useEffect, useState } from 'preact/hooks';

export { Choice, Field, ProblemBox } from '../../shared/fields.jsx';
import { UnreadBadge } from '../../shared/Inbox.jsx';
import { t } from './i18n.js';
import { isSending, listOutbox, outboxEvents } from './outbox.js';

// The outbox in words, kept up to date and announced politely: what waits, what was just sent.
// The words are made at render time, so they follow a change of language.
export function OutboxStatus() {
  const [state, setState] = useState({ waiting: 0, refused: 0, sending: false, lastSent: null });
  useEffect(() => {
    let lastSent = null;
    const update = async () => {
      const entries = await listOutbox();
      const waiting = entries.filter((e) => e.state === 'waiting').length;
      const refused = entries.filter((e) => e.state === 'refused').length;
      setState({ waiting, refused, sending: isSending() && navigator.onLine, lastSent });
    };
    const onSent = (event) => {
      lastSent = event.detail.content.title;
      update();
    };
    outboxEvents.addEventListener('change', update);
    outboxEvents.addEventListener('sent', onSent);
    addEventListener('online', update);
    addEventListener('offline', update);
    update();
    return () => {
      outboxEvents.removeEventListener('change', update);
      outboxEvents.removeEventListener('sent', onSent);
      removeEventListener('online', update);
      removeEventListener('offline', update);
    };
  }, []);
  const parts = [];
  if (state.waiting) parts.push(t(state.sending ? 'outbox.sending' : 'outbox.waiting', { count: state.waiting }));
  if (state.refused) parts.push(t('outbox.refused', { count: state.refused }));
  if (!state.waiting && !state.refused && state.lastSent) parts.push(t('outbox.sent', { title: state.lastSent }));
  const text = parts.join(' ');
  return (
    <div class={`outbox-status${text ? '' : ' empty'}`} role="status" aria-live="polite" data-testid="outbox-status">
      {text}
    </div>
  );
}

const TABS = [
  ['compose', 'nav.compose'],
  ['reports', 'nav.reports'],
  ['inbox', 'nav.inbox'],
  ['settings', 'nav.settings'],
];

export function Frame({ route, signedIn, children }) {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    addEventListener('online', update);
    addEventListener('offline', update);
    return () => {
      removeEventListener('online', update);
      removeEventListener('offline', update);
    };
  }, []);
  return (
    <>
      <header class="top">
        <span class="brand">Sipokat RT</span>
        {online ? null : <span class="offline">{t('app.offline')}</span>}
      </header>
      {signedIn ? <OutboxStatus /> : null}
      <main id="main">{children}</main>
      {signedIn ? (
        <nav class="tabs" aria-label={t('nav.label')}>
          {TABS.map(([name, key]) => (
            <a key={name} href={`#/${name}`} aria-current={route.name === name ? 'page' : undefined}>
              {t(key)}
              {name === 'inbox' ? <UnreadBadge /> : null}
            </a>
          ))}
        </nav>
      ) : null}
    </>
  );
}
