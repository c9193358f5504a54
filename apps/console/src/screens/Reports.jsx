// The reports behind a figure (or any search): GET /v1/reports with the hash's filters, a page
// at a time ("more"), each report a link to its page, and the same filter as a CSV file. The
// form changes the hash, so a filtered list is a link that can be kept or shared.
import { useEffect, useState } from 'preact/hooks';
import { ProblemBox } from '../../../shared/fields.jsx';
import { formatDate, t } from '../../../shared/i18n.js';
import { go } from '../../../shared/router.js';
import { FilterSelect, MonthField, MoreButton, bidangOptions, kindOptions } from '../components/filters.jsx';
import { dashboardApi, downloadCsv, query } from '../dashboard/api.js';
import { num } from '../dashboard/format.js';
import { explain } from '../dashboard/problems.js';
import { announce } from '../notice.js';
import { bidangWords, kindWords, statusWords } from '../words.js';
import { areaNames, loadAreas } from './Dashboard.jsx';
import '../dashboard/dashboard.css';

// Every filter the list takes (docs/client-app-api.md), in the order a link writes them.
const FILTERS = ['kota', 'kecamatan', 'kelurahan', 'rt', 'kind', 'bidang', 'status', 'counts_for_performance', 'event', 'from', 'to', 'period_by', 'q'];
const STATUSES = ['awaiting_kelurahan', 'awaiting_kecamatan', 'awaiting_kota', 'awaiting_revision', 'verified'];

const read = (asked) => Object.fromEntries(FILTERS.map((name) => [name, asked.get(name) || '']));

export function Reports({ query: asked, account }) {
  const filters = read(asked);
  const key = query(filters);
  const [form, setForm] = useState(formOf(filters));
  const [page, setPage] = useState(null);
  const [problem, setProblem] = useState('');
  const [busy, setBusy] = useState(false);
  const [areas, setAreas] = useState(null);

  useEffect(() => {
    loadAreas()
      .then(setAreas)
      .catch(() => {}); // the codes are shown instead
  }, []);

  async function load(cursor = null) {
    setBusy(true);
    try {
      const answer = await dashboardApi.reports(filters, cursor);
      setPage(cursor && page ? { ...answer, items: [...page.items, ...answer.items] } : answer);
      setProblem('');
    } catch (error) {
      setProblem(explain(error));
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => {
    setForm(formOf(filters));
    setPage(null);
    load();
  }, [key]);

  function search(event) {
    event.preventDefault();
    const next = query(filtersOf(form, filters, account));
    if (next === key) load(); // the same search again: read the list again
    else go(`/reports${next}`);
  }

  async function exportCsv() {
    try {
      const name = await downloadCsv(filters, `laporan${filters.from ? `-${filters.from}` : ''}.csv`);
      announce(t('list.saved', { name }));
    } catch (error) {
      setProblem(explain(error));
    }
  }

  const names = areaNames(areas);
  const change = (name) => (event) => setForm({ ...form, [name]: event.currentTarget.value });
  const kelurahanChoices = areas ? areas.kelurahan.filter((k) => k.code !== areas.wilayah) : [];
  return (
    <section aria-labelledby="screen-title" class="report-list" data-loaded={page ? 'true' : problem ? 'error' : 'loading'}>
      <p class="back">
        <a href="#/dashboard">{t('list.back')}</a>
      </p>
      <h1 id="screen-title" tabIndex={-1}>
        {t('list.title')}
        <span class="sub" data-testid="list-said">{said(filters, names)}</span>
      </h1>
      <form role="search" class="filters list-filters" onSubmit={search} aria-label={t('list.filters')}>
        <div class="field wide">
          <label for="l-q">{t('list.q')}</label>
          <input id="l-q" type="search" value={form.q} onInput={change('q')} />
        </div>
        {kelurahanChoices.length ? (
          <FilterSelect id="l-kelurahan" label={t('worklist.kelurahan')} value={form.kelurahan} onChange={change('kelurahan')} options={kelurahanChoices.map((k) => [k.code, k.name])} />
        ) : null}
        <div class="field">
          <label for="l-rt">{t('list.rt')}</label>
          <input id="l-rt" type="text" inputMode="numeric" value={form.rt} onInput={change('rt')} aria-describedby="l-rt-hint" />
          <p class="hint" id="l-rt-hint">{t('list.rtHint')}</p>
        </div>
        <FilterSelect id="l-bidang" label={t('worklist.bidang')} value={form.bidang} onChange={change('bidang')} options={bidangOptions()} />
        <FilterSelect id="l-kind" label={t('worklist.kind')} value={form.kind} onChange={change('kind')} options={kindOptions()} />
        <FilterSelect id="l-status" label={t('list.status')} value={form.status} onChange={change('status')} options={STATUSES.map((s) => [s, statusWords(s)])} />
        <MonthField id="l-from" label={t('dash.from')} value={form.from} onInput={change('from')} />
        <MonthField id="l-to" label={t('dash.to')} value={form.to} onInput={change('to')} />
        <div class="field">
          <label for="l-by">{t('list.periodBy')}</label>
          <select id="l-by" value={form.period_by} onChange={change('period_by')}>
            <option value="activity">{t('list.byActivity')}</option>
            <option value="submitted">{t('list.bySubmitted')}</option>
            {filters.event ? <option value="event">{t('list.byEvent')}</option> : null}
          </select>
        </div>
        <div class="field apply">
          <button type="submit" class="secondary">{t('list.search')}</button>
        </div>
      </form>
      <p class="list-actions">
        <button type="button" class="secondary" onClick={exportCsv} data-testid="csv">
          {t('list.csv')}
        </button>
      </p>
      <ProblemBox message={problem} />
      {page && !page.items.length ? <p class="empty">{t('list.none')}</p> : null}
      {page && page.items.length ? (
        <>
          <p class="counts" data-testid="list-count">{t('list.shown', { n: num(page.items.length), more: page.next_cursor ? t('list.andMore') : '' })}</p>
          <ul class="cards" aria-label={t('list.title')} data-testid="report-list">
            {page.items.map((item) => (
              <li key={item.report_id} data-report-id={item.report_id}>
                <a href={`#/report/${encodeURIComponent(item.report_id)}`} class="card-link">
                  <span class="title">{item.title}</span>
                </a>
                <span class="meta">
                  RT {item.wilayah.rt_code.split('/')[1]}, {item.wilayah.kelurahan_name} · {kindWords(item.kind)} · {bidangWords(item.bidang)}
                </span>
                <span class="meta">
                  {t('list.activity', { date: formatDate(item.activity_date) })} · <strong>{statusWords(item.status)}</strong>
                </span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {page && !page.complete ? <p class="warning">{t('list.incomplete')}</p> : null}
      <MoreButton cursor={page?.next_cursor} busy={busy} label={t('list.more')} onMore={load} />
    </section>
  );
}

// The form shows an RT by its number (007); the list takes its full code.
function formOf(filters) {
  const by = filters.period_by || (filters.event ? 'event' : 'activity');
  return { ...filters, rt: filters.rt ? filters.rt.split('/')[1] || filters.rt : '', period_by: by };
}

function filtersOf(form, before, account) {
  const next = { ...before, ...form };
  const kelurahan = form.kelurahan || (account?.post?.role === 'lurah' ? account.post.wilayah : '');
  const number = form.rt.trim();
  if (!number) next.rt = '';
  else if (number.includes('/')) next.rt = number;
  else if (kelurahan && /^\d{1,3}$/.test(number)) next.rt = `${kelurahan}/${number.padStart(3, '0')}`;
  else next.rt = number; // the API says what is wrong with it
  if (!next.from && !next.to) next.period_by = '';
  return next;
}

// What the list holds, in words: the area and the month(s).
function said(filters, names) {
  const area = filters.rt
    ? `RT ${filters.rt.split('/')[1]}, ${names[filters.rt.split('/')[0]] || filters.rt.split('/')[0]}`
    : names[filters.kelurahan || filters.kecamatan || filters.kota] || filters.kelurahan || filters.kecamatan || filters.kota || t('list.allAreas');
  const period = filters.from || filters.to ? ` · ${[filters.from, filters.to].filter(Boolean).join(' – ')}` : '';
  const counted = filters.counts_for_performance === 'true' ? ` · ${t('list.counted')}` : '';
  return `${area}${period}${counted}${filters.event ? ` · ${eventWords(filters.event)}` : ''}`;
}

// approved_kelurahan → "approved by the lurah"; overdue → "overdue at any tier".
function eventWords(event) {
  const [what, tier] = event.split('_');
  return tier ? t(`list.event.${what}`, { tier: t(`tier.${tier}`) }) : t('list.event.overdueAny');
}
