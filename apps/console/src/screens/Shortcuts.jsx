// The report page's keyboard: previous and next report of the worklist (links for everyone,
// J/K or N/P on a keyboard), A to the approve button (A again approves, as Enter does), R to
// the rejection's reason, W back to the worklist, ? for the list of keys, Esc to close it or
// to leave a field so the keys work again. The hint under the links shows on a wide screen with
// a pointer; a phone shows only the links.
import { Fragment } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../../shared/i18n.js';
import { go } from '../../../shared/router.js';
import { consoleApi } from '../api.js';
import { KEYS, actionOf, neighbours, typing } from '../shortcuts.js';

const link = (item) => (item ? `#/report/${encodeURIComponent(item.report_id)}` : null);

export function Shortcuts({ reportId }) {
  const [around, setAround] = useState({ previous: null, next: null });
  const help = useRef(null);
  const found = useRef(null); // the neighbours' promise: a key pressed before they came waits

  // Layout effects: the keys work from the moment the report shows, not a frame later.
  useLayoutEffect(() => {
    found.current = neighbours(consoleApi.queue, reportId).catch(() => ({ previous: null, next: null }));
    found.current.then(setAround);
  }, [reportId]);

  useLayoutEffect(() => {
    const onKey = (event) => {
      const action = actionOf(event);
      if (!action) return;
      const dialogOpen = help.current?.open;
      if (action === 'escape') {
        // The dialog closes itself on Esc; a field is left, so the next key is a shortcut.
        if (!dialogOpen && typing(event.target)) event.target.blur();
        return;
      }
      if (dialogOpen) return;
      const approve = document.getElementById('approve-button');
      const reason = document.getElementById('reason');
      const run = {
        approve: () => {
          if (!approve) return false;
          if (document.activeElement === approve) approve.click();
          else {
            approve.focus();
            approve.scrollIntoView({ block: 'center' });
          }
          return true;
        },
        reject: () => {
          if (!reason) return false;
          reason.focus();
          reason.scrollIntoView({ block: 'center' });
          return true;
        },
        next: () => open('next'),
        previous: () => open('previous'),
        worklist: () => (go('/worklist'), true),
        help: () => (help.current?.showModal(), true),
      }[action];
      if (run && run()) event.preventDefault();
    };
    const open = (which) => {
      found.current?.then((answer) => answer[which] && go(`/report/${encodeURIComponent(answer[which].report_id)}`));
      return true;
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  return (
    <>
      <nav class="around" aria-label={t('keys.around')}>
        {around.previous ? (
          <a href={link(around.previous)} rel="prev" aria-keyshortcuts={`${KEYS.previous} ${KEYS.previousAlt}`}>
            {t('keys.previous')}
          </a>
        ) : null}
        {around.next ? (
          <a href={link(around.next)} rel="next" aria-keyshortcuts={`${KEYS.next} ${KEYS.nextAlt}`}>
            {t('keys.next')}
          </a>
        ) : null}
        <span class="keys-hint" data-testid="keys-hint">
          {t('keys.hint')}{' '}
          <button type="button" class="link" aria-keyshortcuts="?" onClick={() => help.current?.showModal()}>
            {t('keys.open')}
          </button>
        </span>
      </nav>
      <dialog ref={help} class="keys" aria-labelledby="keys-title">
        <h2 id="keys-title">{t('keys.title')}</h2>
        <dl>
          {[
            [`${KEYS.approve}`, t('keys.approve')],
            [`${KEYS.reject}`, t('keys.reject')],
            [`${KEYS.next} / ${KEYS.nextAlt}`, t('keys.nextReport')],
            [`${KEYS.previous} / ${KEYS.previousAlt}`, t('keys.previousReport')],
            [`${KEYS.worklist}`, t('keys.worklist')],
            ['?', t('keys.help')],
            ['Esc', t('keys.escape')],
          ].map(([keys, words]) => (
            <div key={keys}>
              <dt>
                {keys.split(' / ').map((key, index) => (
                  <Fragment key={key}>
                    {index ? ' / ' : ''}
                    <kbd>{key.toUpperCase()}</kbd>
                  </Fragment>
                ))}
              </dt>
              <dd>{words}</dd>
            </div>
          ))}
        </dl>
        <p class="keys-note">{t('keys.typing')}</p>
        <form method="dialog">
          <button type="submit" class="secondary">
            {t('keys.close')}
          </button>
        </form>
      </dialog>
    </>
  );
}
