// The leaders' dashboard: every figure of analytics for an area and a span of months, each bar
// and count a link to the reports behind it (dashboard/drill.js). The area and months ride in
// the hash (#/dashboard?wilayah=…&from=…&to=…), so coming back from a list keeps them.
import { useEffect, useState } from 'preact/hooks';
import { ProblemBox } from '../../../shared/fields.jsx';
import { t } from '../../../shared/i18n.js';
import { go } from '../../../shared/router.js';
import { MonthField } from '../components/filters.jsx';
import { dashboardApi, query } from '../dashboard/api.js';
import * as drill from '../dashboard/drill.js';
import { hours, money, monthName, num, pct } from '../dashboard/format.js';
import { explain } from '../dashboard/problems.js';
import { bidangWords, kinds, kindWords } from '../words.js';
import { Bars } from './Bars.jsx';
import '../dashboard/dashboard.css';

const PATHS = ['summary', 'ranking', 'active-rts', 'verification', 'timeseries', 'rt-performance'];
let areasKept = null; // the picker's choices: asked once per sign-in

export const resetAreas = () => {
  areasKept = null;
};

// The kota code of any area code (16.73.02.1019/007 → 16.73).
const cityOf = (code) => code.split('/')[0].split('.').slice(0, 2).join('.');

export function areaNames(areas) {
  if (!areas) return {};
  return Object.fromEntries([
    ...areas.cities.map((c) => [c.code, c.name]),
    ...areas.kecamatan.map((k) => [k.code, `${t('dash.kec')} ${k.name}`]),
    ...areas.kelurahan.map((k) => [k.code, `${t('dash.kel')} ${k.name}`]),
  ]);
}

export async function loadAreas() {
  if (!areasKept) areasKept = await dashboardApi.areas();
  return areasKept;
}

// The fund card shows only where every city the chosen area covers runs a fund programme.
function fundProgramme(areas, wilayah) {
  const chosen = wilayah || areas.wilayah;
  const cities = chosen ? areas.cities.filter((c) => c.code === cityOf(chosen)) : areas.cities;
  return cities.length && cities.every((c) => c.fund_programme) ? cities[0].fund_programme : null;
}

export function Dashboard({ query: asked }) {
  const scope = { wilayah: asked.get('wilayah') || '', from: asked.get('from') || '', to: asked.get('to') || '' };
  const key = query(scope);
  const [areas, setAreas] = useState(areasKept);
  const [figures, setFigures] = useState(null);
  const [problem, setProblem] = useState('');
  const [form, setForm] = useState(scope);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => setForm(scope), [key]);

  useEffect(() => {
    let live = true;
    setProblem('');
    (async () => {
      const found = await loadAreas();
      if (!live) return;
      setAreas(found);
      const programme = fundProgramme(found, scope.wilayah);
      const paths = programme ? [...PATHS, 'funds'] : PATHS;
      const answers = await Promise.all(paths.map((path) => dashboardApi.figure(path, scope)));
      if (!live) return;
      setFigures({ ...Object.fromEntries(paths.map((path, i) => [path, answers[i]])), programme });
    })().catch((error) => {
      if (!live) return;
      setFigures(null);
      setProblem(explain(error));
    });
    return () => {
      live = false;
    };
  }, [key, attempt]);

  function apply(event) {
    event.preventDefault();
    // The same area and months again: read the figures again (a refresh, or a retry).
    if (query(form) === key) setAttempt(attempt + 1);
    else go(`/dashboard${query(form)}`);
  }
  const change = (name) => (event) => setForm({ ...form, [name]: event.currentTarget.value });
  const names = areaNames(areas);

  return (
    <section aria-labelledby="screen-title" class="dashboard" data-loaded={figures ? 'true' : problem ? 'error' : 'loading'}>
      <h1 id="screen-title" tabIndex={-1}>
        {t('dash.title')}
        <span class="sub">{t('dash.sub')}</span>
      </h1>
      {areas ? (
        <form class="filters dash-filters" onSubmit={apply} aria-label={t('dash.filters')}>
          <div class="field">
            <label for="d-wilayah">{t('dash.area')}</label>
            <select id="d-wilayah" value={form.wilayah} onChange={change('wilayah')}>
              <option value="">{areas.wilayah ? t('dash.whole', { name: names[areas.wilayah] || areas.name }) : t('dash.allCities')}</option>
              {areas.wilayah ? null : areas.cities.map((c) => <option key={c.code} value={c.code}>{c.name}</option>)}
              {[...areas.kecamatan, ...areas.kelurahan]
                .filter((a) => a.code !== areas.wilayah)
                .map((a) => (
                  <option key={a.code} value={a.code}>
                    {names[a.code]}
                  </option>
                ))}
            </select>
          </div>
          <MonthField id="d-from" label={t('dash.from')} value={form.from} onInput={change('from')} />
          <MonthField id="d-to" label={t('dash.to')} value={form.to} onInput={change('to')} />
          <div class="field apply">
            <button type="submit" class="secondary">{t('dash.apply')}</button>
          </div>
        </form>
      ) : null}
      <p class="hint">{t('dash.monthsNote')}</p>
      {problem ? (
        <div data-testid="dash-problem">
          <ProblemBox message={problem} />
          <button type="button" class="secondary" onClick={() => setAttempt(attempt + 1)}>
            {t('dash.retry')}
          </button>
        </div>
      ) : null}
      {!figures && !problem ? <p role="status">{t('app.loading')}</p> : null}
      {figures ? <Figures figures={figures} scope={scope} names={names} areas={areas} /> : null}
    </section>
  );
}

function Figures({ figures, scope, names, areas }) {
  const summary = figures.summary;
  const ranking = figures.ranking.ranking;
  const active = figures['active-rts'];
  const verification = figures.verification;
  const where = names[summary.wilayah] || summary.wilayah || (areas.wilayah ? areas.name : t('dash.allCities'));
  const perRt = new Map(); // RT code → {name, n}: counted for performance over the months
  for (const row of figures['rt-performance'].rows) {
    const kept = perRt.get(row.rt_code) || { name: row.rt_name, n: 0 };
    kept.n += row.counts_for_performance;
    perRt.set(row.rt_code, kept);
  }
  const share = (n, p) => `${num(n)} (${pct(p)})`;
  return (
    <>
      <p class="dash-status" data-testid="dash-status">
        <a href={drill.link(drill.work(scope))}>{t('dash.status', { area: where, n: num(summary.total_reports) })}</a>
      </p>
      <div class="dash-grid">
        <BarCard id="bidang" title={t('dash.byBidang')} testid="bars-bidang"
          rows={summary.by_bidang.map((r) => ({ key: r.bidang, label: bidangWords(r.bidang), value: r.reports, display: share(r.reports, r.share_percent), href: drill.link(drill.byBidang(scope, r.bidang)) }))}
        />
        <BarCard id="jenis" title={t('dash.byKind')} testid="bars-kind"
          rows={summary.by_kind.map((r) => ({ key: r.kind, label: kindLabel(r.kind), value: r.reports, display: share(r.reports, r.share_percent), href: drill.link(drill.byKind(scope, r.kind)) }))}
        />
        <BarCard id="peringkat" title={t('dash.ranking')} testid="bars-ranking"
          rows={ranking.slice(0, 15).map((r) => ({
            key: r.code,
            label: r.name,
            value: r.reports_per_rt,
            display: t('dash.perRt', { ratio: num(r.reports_per_rt), n: num(r.reports) }),
            href: drill.link(drill.inKelurahan(scope, r.code)),
          }))}
        />
        <BarCard id="rt-aktif" title={t('dash.active')} testid="bars-active"
          max={100}
          rows={[
            { key: 'reporting', label: t('dash.reporting'), value: active.active_rate_percent, display: t('dash.ofRts', { n: num(active.rts_reporting), total: num(active.rt_total), pct: pct(active.active_rate_percent) }), href: drill.link(drill.work(scope)) },
            { key: 'verified', label: t('dash.verified'), value: active.verified_rate_percent, tone: 'alt', display: t('dash.rts', { n: num(active.rts_with_verified), pct: pct(active.verified_rate_percent) }), href: drill.link(drill.verified(scope)) },
          ]}
        />
        <Card id="verifikasi" title={t('dash.verification')} wide>
          <Bars
            testid="bars-waiting"
            label={t('dash.waitingNow')}
            rows={verification.tiers.map((tier) => ({ key: tier.tier, label: t(`dash.tier.${tier.tier}`), value: tier.waiting, display: t('dash.waiting', { n: num(tier.waiting) }), href: drill.link(drill.waiting(scope, tier.tier)) }))}
          />
          <h3 id="decisions-caption">{t('dash.decisions')}</h3>
          <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="decisions-caption">
            <table class="decisions-table" aria-labelledby="decisions-caption">
              <thead>
                <tr>
                  {['tier', 'approved', 'rejected', 'rate', 'median', 'p90', 'overdue'].map((h) => (
                    <th key={h} scope="col">{t(`dash.head.${h}`)}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {verification.tiers.map((tier) => (
                  <tr key={tier.tier}>
                    <th scope="row">{t(`dash.tier.${tier.tier}`)}</th>
                    <TierCount tier={tier} what="approved" scope={scope} />
                    <TierCount tier={tier} what="rejected" scope={scope} />
                    <td>{pct(tier.approval_rate_percent)}</td>
                    <td>{tier.approved + tier.rejected ? hours(tier.median_hours) : '–'}</td>
                    <td>{tier.approved + tier.rejected ? hours(tier.p90_hours) : '–'}</td>
                    <TierCount tier={tier} what="overdue" scope={scope} />
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p class="hint">{t('dash.decisionsNote')}</p>
        </Card>
        <BarCard id="terlambat" title={t('dash.overdue')} testid="bars-overdue"
          rows={verification.overdue_by_kelurahan.slice(0, 10).map((r) => ({ key: r.code, label: r.name, value: r.overdue, display: num(r.overdue), tone: 'alt', href: drill.link(drill.happened(scope, 'overdue', r.code)) }))}
        />
        {figures.programme ? <Fund funds={figures.funds} programme={figures.programme} scope={scope} /> : null}
        <BarCard id="bulanan" title={t('dash.monthly')} testid="bars-monthly" wide
          rows={figures.timeseries.months.map((m) => ({
            key: m.month,
            label: monthName(m.month),
            value: m.reports,
            display: t('dash.monthRow', { n: num(m.reports), v: num(m.verified) }),
            href: drill.link(drill.month(scope, m.month)),
          }))}
        />
        <BarCard id="kinerja" title={t('dash.performance')} testid="bars-performance"
          rows={[...perRt]
            .filter(([, row]) => row.n > 0)
            .sort((a, b) => b[1].n - a[1].n || a[0].localeCompare(b[0]))
            .slice(0, 15)
            .map(([code, row]) => ({ key: code, label: row.name, value: row.n, display: num(row.n), href: drill.link(drill.rtPerformance(scope, code)) }))}
        />
      </div>
    </>
  );
}

function Fund({ funds, programme, scope }) {
  return (
    <Card id="dana" title={t('dash.fund', { name: programme.name })}>
      <p>
        <a href={drill.link(drill.fundWork(scope))}>
          {t('dash.allocation', { a: money(funds.allocation_rupiah), r: money(funds.realised_rupiah), pct: pct(funds.absorption_percent) })}
        </a>
      </p>
      <Bars
        label={t('dash.fundSplit')}
        max={100}
        rows={funds.split.flatMap((s) => [
          { key: s.bidang_dana, label: t(`dash.dana.${s.bidang_dana}`, { defaultValue: s.bidang_dana }), value: s.share_percent, display: `${money(s.amount_rupiah)} (${pct(s.share_percent)})` },
          { key: `${s.bidang_dana}-guide`, label: t('dash.guideline'), value: s.guideline_percent, tone: 'guide', display: pct(s.guideline_percent) },
        ])}
      />
      <Bars
        label={t('dash.programmes')}
        rows={funds.programmes_by_progress.map((p) => ({ key: `p${p.progress_percent}`, label: t('dash.programme', { pct: pct(p.progress_percent) }), value: p.programmes, tone: 'alt', display: num(p.programmes) }))}
      />
    </Card>
  );
}

// A kind the city's configuration leaves out (fund progress where no fund programme runs) still
// has a count of 0 to show, in words.
const kindLabel = (code) => (kinds().some((k) => k.code === code) ? kindWords(code) : t(`dash.kinds.${code}`, { defaultValue: kindWords(code) }));

// A count in the table, a link to the reports behind it; its name says which row and column.
function Count({ n, href, label }) {
  return (
    <a href={href} aria-label={`${label}: ${num(n)}`}>
      {num(n)}
    </a>
  );
}

// A tier's count of one kind of decision (approved, rejected, overdue) in the decisions table,
// linked to the reports of those events.
function TierCount({ tier, what, scope }) {
  return (
    <td>
      <Count n={tier[what]} href={drill.link(drill.happened(scope, `${what}_${tier.tier}`))} label={`${t(`dash.tier.${tier.tier}`)}, ${t(`dash.head.${what}`)}`} />
    </td>
  );
}

// A card that is one bar chart, named by the card's title.
function BarCard({ id, title, testid, wide, rows, max }) {
  return (
    <Card id={id} title={title} wide={wide}>
      <Bars testid={testid} label={title} rows={rows} max={max} />
    </Card>
  );
}

function Card({ id, title, wide, children }) {
  return (
    <article id={id} class={`dash-card${wide ? ' wide' : ''}`} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {children}
    </article>
  );
}
