// One report as a verifier decides on it: content, photos full size (signed links, no token),
// location in words, the lower tier's note, the timeline, the RT's recent reports (to spot a
// duplicate), and the two decisions. After a decision, or one that lost a race, the next report
// of the worklist opens.
import { useEffect, useState } from 'preact/hooks';
import { ProblemBox } from '../../../shared/fields.jsx';
import { ApiProblem, Offline } from '../../../shared/http.js';
import { formatDate, formatWib, t } from '../../../shared/i18n.js';
import { go } from '../../../shared/router.js';
import { consoleApi } from '../api.js';
import { decide } from '../decide.js';
import { nextReport } from '../filters.js';
import { ReportMap } from '../map/ReportMap.jsx';
import { announce } from '../notice.js';
import { bidangWords, kindWords, statusWords } from '../words.js';
import { DecisionForms } from './DecisionForms.jsx';
import { Shortcuts } from './Shortcuts.jsx';
import { Timeline } from './Timeline.jsx';

const TIER_OF = { lurah: 'kelurahan', camat: 'kecamatan', pemkot: 'kota' };

export function Report({ reportId, account, back }) {
  const [report, setReport] = useState(null);
  const [recent, setRecent] = useState([]);
  const [problem, setProblem] = useState('');

  useEffect(() => {
    consoleApi
      .report(reportId)
      .then((found) => {
        setReport(found);
        return consoleApi.recent(found.wilayah.rt_code);
      })
      .then((answer) => setRecent(answer.items.filter((item) => item.report_id !== reportId)))
      .catch((error) => setProblem(error instanceof Offline ? t('app.needsNetwork') : error.detail || String(error)));
  }, [reportId]);

  // → field errors for the forms, or nothing when the console moved on.
  async function onDecide(body) {
    try {
      const outcome = await decide(report, body);
      announce(outcome.text, outcome.raced ? 'warn' : 'ok');
      const here = location.hash;
      const next = await nextReport(consoleApi.queue, reportId);
      // The verifier went elsewhere (the inbox, the menu) while the next one was looked up: stay there.
      if (location.hash !== here) return null;
      if (next) go(`/report/${encodeURIComponent(next.report_id)}`);
      else {
        announce(`${outcome.text} ${t('decide.done')}`, outcome.raced ? 'warn' : 'ok');
        go('/worklist');
      }
      return null;
    } catch (error) {
      if (error instanceof Offline) setProblem(t('app.needsNetwork'));
      else if (error instanceof ApiProblem) {
        setProblem(error.detail);
        return error.byField();
      } else throw error;
      return null;
    }
  }

  if (!report) {
    return (
      <section aria-labelledby="screen-title">
        <h1 id="screen-title" tabIndex={-1}>{t('app.loading')}</h1>
        <ProblemBox message={problem} />
      </section>
    );
  }
  const waiting = report.status === `awaiting_${TIER_OF[account.post.role]}`;
  const { latitude, longitude } = report.location || {};
  return (
    <article aria-labelledby="screen-title" class="report">
      <p class="back">
        <a href={back.hash}>{t(`report.backTo.${back.name}`)}</a>
      </p>
      <Shortcuts reportId={reportId} />
      <h1 id="screen-title" tabIndex={-1}>{report.title}</h1>
      <ProblemBox message={problem} />
      <div class="columns">
        <div class="content">
          <dl class="facts">
            <dt>{t('report.rt')}</dt>
            <dd>{report.wilayah.rt_code.split('/')[1] ? `RT ${report.wilayah.rt_code.split('/')[1]}` : report.wilayah.rt_code}</dd>
            <dt>{t('report.kelurahan')}</dt>
            <dd>{report.wilayah.kelurahan_name}</dd>
            <dt>{t('report.kind')}</dt>
            <dd>{kindWords(report.kind)}</dd>
            <dt>{t('report.bidang')}</dt>
            <dd>{bidangWords(report.bidang)}</dd>
            <dt>{t('report.activityDate')}</dt>
            <dd>{formatDate(report.activity_date)}</dd>
            <dt>{t('report.submitted')}</dt>
            <dd>
              {formatWib(report.submitted_at)}
              {report.revision ? ` · ${t('report.revision', { n: report.revision })}` : ''}
            </dd>
            {report.due_at ? (
              <>
                <dt>{t('report.due')}</dt>
                <dd class={report.overdue ? 'late' : ''}>
                  {formatWib(report.due_at)}
                  {report.overdue ? ` · ${t('worklist.overdue')}` : ''}
                </dd>
              </>
            ) : null}
            <dt>{t('report.location')}</dt>
            <dd>{report.location ? t('report.coordinates', { lat: latitude.toFixed(5), lon: longitude.toFixed(5) }) : t('report.noLocation')}</dd>
            {report.fund ? (
              <>
                <dt>{t('report.fund')}</dt>
                <dd>
                  {report.fund.programme}: Rp {Number(report.fund.amount_rupiah).toLocaleString('id-ID')} ({report.fund.progress_percent}%)
                </dd>
              </>
            ) : null}
          </dl>
          {report.location ? <ReportMap single label={t('map.reportLabel')} points={[locationPoint(report)]} /> : null}
          <h2>{t('report.description')}</h2>
          <p class="description">{report.description}</p>
          <h2>{t('report.photos')}</h2>
          {report.photos.length ? (
            <ul class="photos">
              {report.photos.map((photo, index) => (
                <li key={photo.sha256}>
                  <a href={photo.url} target="_blank" rel="noopener">
                    <img src={photo.url} alt={t('report.photo', { n: index + 1, count: report.photos.length })} loading="lazy" />
                  </a>
                </li>
              ))}
            </ul>
          ) : (
            <p>{t('report.noPhotos')}</p>
          )}
          {report.last_decision?.decision === 'approve' && report.last_decision.note ? (
            <>
              <h2>{t('report.lowerTier')}</h2>
              <p>{report.last_decision.note}</p>
            </>
          ) : null}
        </div>
        <div class="side">
          {waiting ? <DecisionForms onDecide={onDecide} /> : <p class="warning">{t('report.notWaiting')} ({statusWords(report.status)})</p>}
          <h2>{t('report.timeline')}</h2>
          <Timeline entries={report.timeline || []} />
          <h2>{t('report.recent')}</h2>
          {recent.length ? (
            <ul class="recent">
              {recent.map((item) => (
                <li key={item.report_id}>
                  <span class="title">{item.title}</span> · {formatDate(item.activity_date)} · {statusWords(item.status)}
                </li>
              ))}
            </ul>
          ) : (
            <p>{t('report.recentNone')}</p>
          )}
        </div>
      </div>
    </article>
  );
}

// The report's location as the one point of its map; the popup says where in words.
function locationPoint(report) {
  const { latitude, longitude } = report.location;
  const rt = report.wilayah.rt_code.split('/')[1];
  return { id: report.report_id, lat: latitude, lon: longitude, title: report.title, lines: [`${rt ? `RT ${rt}` : report.wilayah.rt_code}, ${report.wilayah.kelurahan_name}`] };
}
