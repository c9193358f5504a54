// The page frame: header (name, who is signed in, language, sign out), the navigation, and one
// polite live region that says what the last decision did.
import { useEffect, useState } from 'preact/hooks';
import { UnreadBadge } from '../../shared/Inbox.jsx';
import { language, setLanguage, t } from '../../shared/i18n.js';
import { signOut } from '../../shared/session.js';
import { noticeEvents } from './notice.js';

const TABS = [
  ['worklist', 'nav.worklist'],
  ['decisions', 'nav.decisions'],
  ['inbox', 'nav.inbox'],
  ['dashboard', 'nav.dashboard'],
  ['map', 'nav.map'],
];
// An admin decides nothing and has no inbox: it has the dashboard and the map.
const ADMIN_TABS = new Set(['dashboard', 'map']);

export function Frame({ route, account, children }) {
  const [notice, setNotice] = useState(null);
  useEffect(() => {
    const show = (event) => setNotice(event.detail);
    noticeEvents.addEventListener('notice', show);
    return () => noticeEvents.removeEventListener('notice', show);
  }, []);
  const other = language() === 'id' ? 'en' : 'id';
  return (
    <>
      <header class="top">
        <span class="brand">{t('app.name')}</span>
        {account ? <span class="who">{account.name}</span> : null}
        <span class="actions">
          <button type="button" class="quiet" lang={other} aria-label={t('app.languageName')} onClick={() => setLanguage(other)}>
            {t('app.language')}
          </button>
          {account ? (
            <button type="button" class="quiet" onClick={() => signOut()}>
              {t('app.signOut')}
            </button>
          ) : null}
        </span>
      </header>
      {account ? (
        <nav class="tabs" aria-label={t('nav.label')}>
          {TABS.filter(([name]) => account.post?.role !== 'admin' || ADMIN_TABS.has(name)).map(([name, key]) => (
            <a key={name} href={`#/${name}`} aria-current={route === name ? 'page' : undefined}>
              {t(key)}
              {name === 'inbox' ? <UnreadBadge /> : null}
            </a>
          ))}
        </nav>
      ) : null}
      <div class={`notice ${notice ? notice.kind : 'empty'}`} role="status" aria-live="polite" data-testid="notice">
        {notice ? notice.text : ''}
      </div>
      <main id="main">{children}</main>
    </>
  );
}
