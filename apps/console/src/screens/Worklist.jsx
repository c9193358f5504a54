// The worklist of the verifier's tier and area: overdue first, then due soonest (the API's
// order), due times in WIB, counts, filters by kind, bidang and (where the tier allows)
// kelurahan and RT. Each item opens the report page. It updates itself as reports arrive (the
// inbox stream, live.js): the same filters re-read, new items marked and said in a live region.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ProblemBox } from '../../../shared/fields.jsx';
import { formatWib, t } from '../../../shared/i18n.js';
import { consoleApi } from '../api.js';
import { FilterSelect, MoreButton, bidangOptions, kindOptions, problemText } from '../components/filters.jsx';
import { areaFilters, currentFilters, setFilters } from '../filters.js';
import { useLiveQueue } from '../live.js';
import { bidangWords, kindWords } from '../words.js';

// Kelurahan and RT seen in the unfiltered worklist: the choices the area filters offer.
let areas = { kelurahan: new Map(), rt: new Map() };

export function Worklist({ account }) {
  const [filters, update] = useState(currentFilters());
  const [page, setPage] = useState(null);
  const [problem, setProblem] = useState('');
  const [busy, setBusy] = useState(false);
  const [fresh, setFresh] = useState(() => new Set()); // report ids that arrived while open
  const [outside, setOutside] = useState([]); // arrivals past the loaded items: their notices
  const [said, setSaid] = useState('');
  const reads = useRef(0); // only the latest read's answer is shown
  const shown = useRef(null);
  shown.current = page;

  async function load(cursor = null) {
    const read = ++reads.current;
    setBusy(true);
    try {
      const answer = await consoleApi.queue(filters, cursor);
      if (read !== reads.current) return;
      if (!Object.values(filters).some(Boolean)) areas = seen(answer.items);
      setPage(cursor && page ? { ...answer, items: [...page.items, ...answer.items] } : answer);
      setProblem('');
    } catch (error) {
      setProblem(problemText(error));
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => {
    setFilters(filters);
    setOutside([]);
    load();
  }, [filters]);

  // A re-read for the stream: as many items as are loaded, so the list does not shrink under
  // the verifier's eyes; arrivals the queue does not show yet (its view trails the notice by a
  // moment) are asked again, three times at most.
  // One re-read at a time: notices that come meanwhile wait for the next one, so a slow read
  // under a burst is neither overtaken (its arrivals lost) nor piled on.
  const rereading = useRef(null); // {arrivals, again} while a re-read runs
  async function reread(arrivals, tries = 0) {
    if (rereading.current) {
      rereading.current.arrivals.push(...arrivals);
      rereading.current.again = true;
      return;
    }
    rereading.current = { arrivals: [], again: false };
    try {
      await rereadOnce(arrivals, tries);
    } finally {
      const next = rereading.current;
      rereading.current = null;
      if (next.again) reread(next.arrivals);
    }
  }

  async function rereadOnce(arrivals, tries) {
    const before = shown.current;
    if (!before) {
      // The first read is still under way and may have missed this notice: asked again soon.
      if (tries < 3) setTimeout(() => reread(arrivals, tries + 1), 500 * 2 ** tries);
      return;
    }
    const read = ++reads.current;
    let answer;
    try {
      answer = await consoleApi.queue(filters, null, Math.min(100, Math.max(50, before.items.length)));
    } catch {
      return; // the next notice or reconnect reads again
    }
    if (read !== reads.current) return;
    const listed = new Set(answer.items.map((item) => item.report_id));
    const known = new Set(before.items.map((item) => item.report_id));
    const added = answer.items.filter((item) => !known.has(item.report_id)).map((item) => item.report_id);
    const unfiltered = !Object.values(filters).some(Boolean);
    const missing = arrivals.filter((a) => a.kind === 'awaiting_verification' && a.report_id && !listed.has(a.report_id));
    // Past the loaded items (a long queue ends with the newest): listed apart, from the notice.
    const past = answer.next_cursor && unfiltered ? missing : [];
    if (unfiltered) areas = seen(answer.items);
    setPage(answer);
    setFresh((old) => new Set([...old, ...added]));
    setOutside((old) => {
      const ids = new Set(past.map((a) => a.report_id));
      const kept = old.filter((a) => !listed.has(a.report_id) && !ids.has(a.report_id));
      // Newest first; the latest burst whole, then up to a hundred earlier ones.
      const newest = [...past].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
      return [...newest, ...kept].slice(0, Math.max(100, past.length));
    });
    const count = added.length + past.length;
    if (count) setSaid(t('worklist.arrived', { count }));
    const lagging = past.length ? [] : missing;
    if (lagging.length && tries < 3) setTimeout(() => reread(lagging, tries + 1), 500 * 2 ** tries);
  }
  const live = useLiveQueue(reread);

  const change = (name) => (event) => update({ ...filters, [name]: event.currentTarget.value });
  const allowed = areaFilters(account.post.role);
  return (
    <section aria-labelledby="screen-title">
      <h1 id="screen-title" tabIndex={-1}>
        {t('worklist.title')}
        {page ? <span class="sub">{t(`worklist.tier.${page.tier}`)}</span> : null}
      </h1>
      <p class={`live ${live}`} data-testid="live-state">
        {t(`worklist.live.${live === 'live' ? 'on' : live === 'retrying' ? 'off' : 'connecting'}`)}
      </p>
      {/* Its own polite region: arrivals do not overwrite what the last decision did (the frame's status). */}
      <p class="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="arrived">
        {said}
      </p>
      <ProblemBox message={problem} />
      {page ? (
        <p class="counts" data-testid="counts">
          {t('worklist.counts', { total: page.counts.total, overdue: page.counts.overdue })}
          {Object.values(filters).some(Boolean) ? (
            <span class="matching"> {t('worklist.matching', { matching: page.counts.matching, overdue: page.counts.matching_overdue })}</span>
          ) : null}
        </p>
      ) : null}
      <fieldset class="filters">
        <legend>{t('worklist.filters')}</legend>
        <FilterSelect id="f-kind" label={t('worklist.kind')} value={filters.kind} onChange={change('kind')} options={kindOptions()} />
        <FilterSelect id="f-bidang" label={t('worklist.bidang')} value={filters.bidang} onChange={change('bidang')} options={bidangOptions()} />
        {allowed.includes('kelurahan') ? (
          <FilterSelect id="f-kelurahan" label={t('worklist.kelurahan')} value={filters.kelurahan} onChange={change('kelurahan')} options={[...areas.kelurahan]} />
        ) : null}
        <FilterSelect id="f-rt" label={t('worklist.rt')} value={filters.rt} onChange={change('rt')} options={[...areas.rt]} />
      </fieldset>
      {outside.length ? (
        // Closed until opened: a hundred arrivals would push the worklist off the screen.
        <details class="arrivals" data-testid="arrivals">
          <summary>{t('worklist.arrivals', { count: outside.length })}</summary>
          <ul>
            {outside.map((a) => (
              <li key={a.report_id}>
                <Arrival arrival={a} />
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {page && !page.items.length ? <p class="empty" data-testid="worklist-empty">{t('worklist.empty')}</p> : null}
      {page && page.items.length ? (
        <ul class="cards" aria-label={t('worklist.list')} data-testid="worklist">
          {page.items.map((item) => (
            <li key={item.report_id} class={item.overdue ? 'overdue' : ''}>
              <a href={`#/report/${encodeURIComponent(item.report_id)}`} class="card-link">
                <span class="title">{item.title}</span>
              </a>
              {fresh.has(item.report_id) ? <span class="badge new">{t('worklist.new')}</span> : null}
              <span class="meta">
                {item.rt_name}, {item.kelurahan_name} · {kindWords(item.kind)} · {bidangWords(item.bidang)}
              </span>
              <span class="due">
                {item.overdue ? <strong class="badge">{t('worklist.overdue')}</strong> : null} {t('worklist.due', { when: formatWib(item.due_at) })}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
      <MoreButton cursor={page?.next_cursor} busy={busy} label={t('worklist.more')} onMore={load} />
    </section>
  );
}

// An arrival past the loaded list, named as the worklist names a report: its title, the RT and
// kelurahan (the stream's `report`); a notice without it says its own words.
function Arrival({ arrival }) {
  const href = `#/report/${encodeURIComponent(arrival.report_id)}`;
  const report = arrival.report;
  if (!report?.title) return <a href={href}>{arrival.message}</a>;
  return (
    <a href={href}>
      <span class="title">{report.title}</span>
      {' · '}
      <span class="meta">{t('worklist.arrivalPlace', { rt: report.rt_number, kelurahan: report.kelurahan_name })}</span>
    </a>
  );
}

function seen(items) {
  const found = { kelurahan: new Map(areas.kelurahan), rt: new Map(areas.rt) };
  for (const item of items) {
    found.kelurahan.set(item.wilayah?.kelurahan_code, item.kelurahan_name);
    found.rt.set(item.rt_code, `${item.rt_name}, ${item.kelurahan_name}`);
  }
  found.kelurahan.delete(undefined);
  return found;
}
