// My reports: first what is still on the phone (waiting to be sent, refused, just sent), then
// the RT's reports as the platform has them, newest first, with their status in words.
import { get, set } from 'idb-keyval';
import { useEffect, useState } from 'preact/hooks';
import { reportsApi } from '../api.js';
import { ProblemBox } from '../components.jsx';
import { draftKey, draftOf, loadDraft, saveDraft } from '../drafts.js';
import { Offline } from '../../../shared/http.js';
import { formatDate, t } from '../i18n.js';
import { kindWords, reasonWords, statusWords } from '../../../shared/labels.js';
import { listOutbox, outboxEvents, removeEntry } from '../outbox.js';
import { go } from '../../../shared/router.js';
import { cacheStore } from '../store.js';

export function Reports() {
  const [entries, setEntries] = useState([]);
  const [page, setPage] = useState({ items: [], next_cursor: null });
  const [problem, setProblem] = useState('');
  const [loading, setLoading] = useState(true);

  async function load(cursor) {
    setLoading(true);
    try {
      const found = await reportsApi.list(cursor);
      const items = cursor ? [...page.items, ...found.items] : found.items;
      setPage({ items, next_cursor: found.next_cursor });
      setProblem('');
      if (!cursor) await set('reports', found, cacheStore); // shown when offline
    } catch (error) {
      if (!cursor) setPage((await get('reports', cacheStore)) || page);
      setProblem(error instanceof Offline ? t('reports.offline') : error.detail || t('app.failed'));
    } finally {
      setLoading(false);
    }
  }

  useEffect(() => {
    const refresh = () => listOutbox().then(setEntries);
    const onSent = () => load();
    outboxEvents.addEventListener('change', refresh);
    outboxEvents.addEventListener('sent', onSent);
    refresh();
    load();
    return () => {
      outboxEvents.removeEventListener('change', refresh);
      outboxEvents.removeEventListener('sent', onSent);
    };
  }, []);

  const onPhone = entries.filter((e) => e.state !== 'sent');
  const sent = entries.filter((e) => e.state === 'sent').slice(0, 3);
  // A rejected report whose fix waits on the phone is not offered for fixing twice.
  const revising = new Set(onPhone.filter((e) => e.action === 'revise').map((e) => e.report_id));
  return (
    <section aria-labelledby="screen-title">
      <h1 id="screen-title" tabIndex={-1}>{t('reports.title')}</h1>
      <a class="button primary" href="#/compose">{t('reports.new')}</a>
      {onPhone.length || sent.length ? (
        <section aria-labelledby="outbox-title">
          <h2 id="outbox-title">{t('outbox.title')}</h2>
          <ul class="cards" data-testid="outbox">
            {[...onPhone, ...sent].map((entry) => (
              <OutboxEntry key={entry.id} entry={entry} />
            ))}
          </ul>
        </section>
      ) : null}
      <section aria-labelledby="sent-title">
        <h2 id="sent-title">{t('reports.platform')}</h2>
        <ProblemBox message={problem} />
        {!loading && !page.items.length ? <p>{t('reports.none')}</p> : null}
        <ul class="cards" data-testid="reports">
          {page.items.map((report) => (
            <ReportCard key={report.report_id} report={report} revising={revising.has(report.report_id)} />
          ))}
        </ul>
        {loading ? <p>{t('app.loading')}</p> : null}
        {page.next_cursor && !loading ? (
          <button type="button" class="secondary" onClick={() => load(page.next_cursor)}>
            {t('reports.more')}
          </button>
        ) : null}
      </section>
    </section>
  );
}

function OutboxEntry({ entry }) {
  const [problem, setProblem] = useState('');
  const title = entry.content.title;
  const revision = entry.action === 'revise';

  // A refused report goes back to being a draft, with the API's messages on its fields.
  async function fix() {
    const key = draftKey(revision ? entry.report_id : null);
    if (await loadDraft(key)) {
      setProblem(t('outbox.draftInTheWay'));
      return;
    }
    await saveDraft(key, { ...draftOf(entry.content, entry.photos), errors: entry.field_errors || {} });
    await removeEntry(entry, { keepPhotos: true });
    go(revision ? `/compose/${encodeURIComponent(entry.report_id)}` : '/compose');
  }

  return (
    <li class={`card ${entry.state}`}>
      <h3>{title}</h3>
      <p class="status">
        {entry.state === 'waiting' ? t(revision ? 'outbox.revisionWaits' : 'outbox.waits') : null}
        {entry.state === 'refused' ? t('outbox.wasRefused') : null}
        {entry.state === 'sent' ? t(revision ? 'outbox.revisionSent' : 'outbox.wasSent', { when: formatDate(new Date(entry.sent_at).toISOString(), true) }) : null}
      </p>
      {entry.state === 'waiting' && entry.photos.length ? (
        <p>{t('outbox.photos', { done: entry.photos.filter((p) => p.sha256).length, count: entry.photos.length })}</p>
      ) : null}
      {entry.state === 'refused' ? (
        <>
          <p class="error">{entry.error}</p>
          <button type="button" class="primary" onClick={fix}>{t('outbox.fix')}</button>
        </>
      ) : null}
      {entry.state === 'sent' && entry.report_id ? <a href={`#/reports/${entry.report_id}`}>{t('reports.open')}</a> : null}
      <ProblemBox message={problem} />
    </li>
  );
}

function ReportCard({ report, revising }) {
  const rejected = report.status === 'awaiting_revision';
  const decision = report.last_decision;
  return (
    <li class={`card${rejected ? ' rejected' : ''}`}>
      <h3>
        <a href={`#/reports/${report.report_id}`}>{report.title}</a>
      </h3>
      <p class="meta">
        {kindWords(report.kind)} · {formatDate(report.activity_date)}
      </p>
      <p class="status">
        <strong>{statusWords(report.status)}</strong>
        {report.status === 'verified' && report.counts_for_performance !== null ? (
          <> · {t(report.counts_for_performance ? 'status.counts' : 'status.doesNotCount')}</>
        ) : null}
      </p>
      {rejected && decision ? (
        <p class="reason">
          {reasonWords(decision.reason_code)}
          {decision.note ? `: ${decision.note}` : ''}
        </p>
      ) : null}
      {rejected && revising ? <p>{t('outbox.revisionWaits')}</p> : null}
      {rejected && !revising ? (
        <a class="button primary" href={`#/compose/${report.report_id}`}>{t('reports.revise')}</a>
      ) : null}
    </li>
  );
}
