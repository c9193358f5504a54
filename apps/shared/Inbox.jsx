// The inbox screen both apps show: unread first, then newest; each item in the reader's words
// (the API says it in the Accept-Language the app sends); opening one marks it read and opens
// its report; "mark all read"; more pages by cursor. The words come from the app's own locales
// (inbox.*, notice.<kind>); `reportPath` is where the app shows a report ("/report/<id>").
import { useEffect, useState } from 'preact/hooks';
import { ProblemBox } from './fields.jsx';
import { Offline } from './http.js';
import { formatWib, language, t } from './i18n.js';
import { inboxApi, refreshUnread, setUnread, unreadCount, unreadEvents } from './inbox.js';
import { go } from './router.js';

export function Inbox({ reportPath }) {
  const [page, setPage] = useState(null); // {items, unread, next_cursor}
  const [problem, setProblem] = useState('');
  const [busy, setBusy] = useState(false);

  async function load(cursor = null) {
    setBusy(true);
    try {
      const answer = await inboxApi.list(cursor);
      setUnread(answer.unread);
      const items = cursor && page ? [...page.items, ...answer.items] : answer.items;
      setPage({ ...answer, items });
      setProblem('');
    } catch (error) {
      setPage((found) => found || { items: [], unread: 0, next_cursor: null });
      setProblem(error instanceof Offline ? t('app.needsNetwork') : error.detail || String(error));
    } finally {
      setBusy(false);
    }
  }

  // Read again in a new language: the API says each item in the language asked.
  const lng = language();
  useEffect(() => {
    load();
  }, [lng]);

  function marked(ids) {
    const items = page.items.map((item) => (ids.includes(item.id) ? { ...item, read: true } : item));
    const unread = Math.max(0, page.unread - page.items.filter((item) => ids.includes(item.id) && !item.read).length);
    setUnread(unread);
    setPage({ ...page, items, unread });
  }

  async function open(event, item) {
    event.preventDefault();
    if (!item.read) {
      // Marked before leaving, so the list shows it read on the way back; a failure still opens.
      await inboxApi.markRead(item.id).then(() => marked([item.id]), () => {});
    }
    if (item.report_id) go(reportPath(item.report_id));
  }

  async function markAll() {
    setBusy(true);
    try {
      await inboxApi.markAllRead();
      marked(page.items.map((item) => item.id));
      setUnread(0);
    } catch (error) {
      setProblem(error instanceof Offline ? t('app.needsNetwork') : error.detail || String(error));
    } finally {
      setBusy(false);
    }
  }

  const items = page ? unreadFirst(page.items) : [];
  return (
    <section aria-labelledby="screen-title" class="inbox">
      <h1 id="screen-title" tabIndex={-1}>{t('inbox.title')}</h1>
      <ProblemBox message={problem} />
      {page === null ? <p>{t('app.loading')}</p> : null}
      {page && page.items.length ? (
        <div class="inbox-head">
          <p class="counts" data-testid="inbox-unread">
            {t('inbox.unreadCount', { count: page.unread })}
          </p>
          {page.unread ? (
            <button type="button" class="secondary" disabled={busy} onClick={markAll}>
              {t('inbox.markAll')}
            </button>
          ) : null}
        </div>
      ) : null}
      {page && !page.items.length && !problem ? <p data-testid="inbox-empty">{t('inbox.empty')}</p> : null}
      <ul class="cards inbox-items" data-testid="inbox" aria-label={t('inbox.list')}>
        {items.map((item) => (
          <li key={item.id} class={`card${item.read ? '' : ' unread'}`}>
            <Item item={item} href={item.report_id ? `#${reportPath(item.report_id)}` : null} onOpen={(event) => open(event, item)} />
          </li>
        ))}
      </ul>
      {page?.next_cursor ? (
        <button type="button" class="secondary" disabled={busy} onClick={() => load(page.next_cursor)}>
          {t('inbox.more')}
        </button>
      ) : null}
    </section>
  );
}

// An item with a report is a link to it; one without (a digest) is a button that marks it
// read, and plain text once read.
function Item({ item, href, onOpen }) {
  const words = (
    <>
      <span class="kind">
        {item.read ? '' : `${t('inbox.unread')} · `}
        {t(`notice.${item.kind}`, { defaultValue: item.kind })}
      </span>
      <span class="message">{item.message}</span>
      <span class="when">{formatWib(item.created_at)}</span>
    </>
  );
  if (href) {
    return (
      <a class="item" href={href} onClick={onOpen}>
        {words}
      </a>
    );
  }
  if (item.read) return <div class="item">{words}</div>;
  return (
    <button type="button" class="item" onClick={onOpen}>
      {words}
    </button>
  );
}

function unreadFirst(items) {
  return [...items].sort((a, b) => Number(a.read) - Number(b.read) || b.created_at.localeCompare(a.created_at));
}

// The unread count beside the inbox's name in the navigation: asked when the app opens, on
// every change of screen and each minute; nothing shown at zero. Screen readers hear it as
// part of the link's name ("Kotak masuk (2 belum dibaca)").
export function UnreadBadge() {
  const [count, setCount] = useState(unreadCount());
  useEffect(() => {
    const show = () => setCount(unreadCount());
    unreadEvents.addEventListener('change', show);
    addEventListener('hashchange', refreshUnread);
    const timer = setInterval(refreshUnread, 60_000);
    refreshUnread();
    return () => {
      unreadEvents.removeEventListener('change', show);
      removeEventListener('hashchange', refreshUnread);
      clearInterval(timer);
    };
  }, []);
  if (!count) return null;
  return (
    <span class="unread-badge" data-testid="unread-badge">
      <span aria-hidden="true">{count > 99 ? '99+' : count}</span>
      <span class="visually-hidden"> {t('inbox.badge', { count })}</span>
    </span>
  );
}
