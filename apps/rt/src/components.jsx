// The parts every screen uses: a labelled field whose hint and error are tied to it for screen
// readers, a problem box, and the page frame (header, outbox status, bottom navigation).
import { useEffect, useState } from 'preact/hooks';
import { t } from './i18n.js';
import { isSending, listOutbox, outboxEvents } from './outbox.js';

// `children` is a function given the input's id and aria attributes, so any control fits.
export function Field({ id, label, hint, error, required, children }) {
  const hintId = hint ? `${id}-hint` : null;
  const errorId = error ? `${id}-error` : null;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>
        {label}
        {required ? <span class="required"> ({t('field.required')})</span> : null}
      </label>
      {hint ? <p class="hint" id={hintId}>{hint}</p> : null}
      {children({ id, 'aria-describedby': describedBy, 'aria-invalid': error ? 'true' : undefined, required })}
      {error ? <p class="error" id={errorId}>{error}</p> : null}
    </div>
  );
}

// A group of radio buttons as one labelled question.
export function Choice({ name, legend, hint, error, options, value, onChange, required }) {
  const hintId = hint ? `${name}-hint` : null;
  const errorId = error ? `${name}-error` : null;
  return (
    <fieldset class={`field${error ? ' invalid' : ''}`} aria-describedby={[hintId, errorId].filter(Boolean).join(' ') || undefined}>
      <legend>
        {legend}
        {required ? <span class="required"> ({t('field.required')})</span> : null}
      </legend>
      {hint ? <p class="hint" id={hintId}>{hint}</p> : null}
      {options.map((option) => (
        <label class="option" key={option.value}>
          <input type="radio" name={name} value={option.value} checked={value === option.value} onChange={() => onChange(option.value)} />
          <span>{option.label}</span>
        </label>
      ))}
      {error ? <p class="error" id={errorId}>{error}</p> : null}
    </fieldset>
  );
}

// What went wrong, in the API's words (its `detail`) or ours; announced when it appears.
export function ProblemBox({ message }) {
  if (!message) return null;
  return (
    <div class="problem" role="alert">
      {message}
    </div>
  );
}

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
            </a>
          ))}
        </nav>
      ) : null}
    </>
  );
}
