// The RT head's notifications (verified, rejected, reminders): unread first, then newest;
// opening one marks it read and shows its report.
import { useEffect, useState } from 'preact/hooks';
import { reportsApi } from '../api.js';
import { ProblemBox } from '../components.jsx';
import { Offline } from '../../../shared/http.js';
import { formatDate, t } from '../i18n.js';
import { go } from '../../../shared/router.js';

export function Inbox() {
  const [items, setItems] = useState(null);
  const [problem, setProblem] = useState('');

  useEffect(() => {
    reportsApi
      .inbox()
      .then((inbox) => setItems(unreadFirst(inbox.items)))
      .catch((error) => {
        setItems([]);
        setProblem(error instanceof Offline ? t('app.needsNetwork') : error.detail || t('app.failed'));
      });
  }, []);

  async function open(item) {
    if (!item.read) {
      // Marked read before leaving: the list shows it read when the RT head comes back.
      await reportsApi.markRead(item.id).catch(() => {});
    }
    if (item.report_id) go(`/reports/${item.report_id}`);
    else setItems(items.map((i) => (i === item ? { ...i, read: true } : i)));
  }

  return (
    <section aria-labelledby="screen-title">
      <h1 id="screen-title" tabIndex={-1}>{t('inbox.title')}</h1>
      <ProblemBox message={problem} />
      {items === null ? <p>{t('app.loading')}</p> : null}
      {items && !items.length && !problem ? <p>{t('inbox.empty')}</p> : null}
      <ul class="cards" data-testid="inbox">
        {(items || []).map((item) => (
          <li key={item.id} class={`card${item.read ? '' : ' unread'}`}>
            <button type="button" class="item" onClick={() => open(item)}>
              <span class="kind">
                {item.read ? '' : `${t('inbox.unread')} · `}
                {t(`notice.${item.kind}`, { defaultValue: item.kind })}
              </span>
              <span class="message">{item.message}</span>
              <span class="when">{formatDate(item.created_at, true)}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function unreadFirst(items) {
  return [...items].sort((a, b) => Number(a.read) - Number(b.read) || b.created_at.localeCompare(a.created_at));
}
