// One report: its status in words, what was reported, the photos (signed URLs an <img> can load
// without a token), and its timeline; "Perbaiki" when the lurah (or camat, city) rejected it.
import { useEffect, useState } from 'preact/hooks';
import { reportsApi } from '../api.js';
import { ProblemBox } from '../components.jsx';
import { Offline } from '../../../shared/http.js';
import { formatDate, t } from '../i18n.js';
import { bidangWords, kindWords, reasonWords, statusWords } from '../../../shared/labels.js';

export function ReportDetail({ reportId }) {
  const [report, setReport] = useState(null);
  const [problem, setProblem] = useState('');

  useEffect(() => {
    reportsApi
      .get(reportId)
      .then(setReport)
      .catch((error) => setProblem(error instanceof Offline ? t('app.needsNetwork') : error.detail || t('app.failed')));
  }, [reportId]);

  if (!report) {
    return (
      <section aria-labelledby="screen-title">
        <h1 id="screen-title" tabIndex={-1}>{t('detail.title')}</h1>
        {problem ? <ProblemBox message={problem} /> : <p>{t('app.loading')}</p>}
      </section>
    );
  }
  const content = report.content || report;
  const rejected = report.status === 'awaiting_revision';
  const lastRejection = [...(report.timeline || [])].reverse().find((e) => e.event === 'ReportRejected');
  return (
    <section aria-labelledby="screen-title">
      <h1 id="screen-title" tabIndex={-1}>{content.title}</h1>
      <p class="status">
        <strong>{statusWords(report.status)}</strong>
        {report.status === 'verified' && report.counts_for_performance != null ? (
          <> · {t(report.counts_for_performance ? 'status.counts' : 'status.doesNotCount')}</>
        ) : null}
      </p>
      {rejected && lastRejection ? (
        <div class="reason-box">
          <p>
            <strong>{reasonWords(lastRejection.reason_code)}</strong>
          </p>
          <p>{lastRejection.note}</p>
          <a class="button primary" href={`#/compose/${report.report_id}`}>{t('reports.revise')}</a>
        </div>
      ) : null}
      <dl class="facts">
        <dt>{t('compose.kind')}</dt>
        <dd>{kindWords(content.kind)}</dd>
        <dt>{t('compose.bidang')}</dt>
        <dd>{bidangWords(content.bidang)}</dd>
        <dt>{t('compose.date')}</dt>
        <dd>{formatDate(content.activity_date)}</dd>
        {content.fund ? (
          <>
            <dt>{t('compose.fund')}</dt>
            <dd>
              {content.fund.programme} · Rp {Number(content.fund.amount_rupiah).toLocaleString('id-ID')} · {content.fund.progress_percent}%
            </dd>
          </>
        ) : null}
      </dl>
      <p class="description">{content.description}</p>
      {report.photos?.length ? (
        <ul class="thumbs">
          {report.photos.map((photo, index) => (
            <li key={photo.sha256}>
              <a href={photo.url}>
                <img src={photo.url} alt={t('compose.photoN', { n: index + 1 })} width="96" height="96" loading="lazy" />
              </a>
            </li>
          ))}
        </ul>
      ) : null}
      <h2>{t('detail.timeline')}</h2>
      <ol class="timeline">
        {(report.timeline || []).map((entry) => (
          <li key={entry.version}>
            <span class="when">{formatDate(entry.at, true)}</span> {timelineWords(entry)}
          </li>
        ))}
      </ol>
      <p>
        <a href="#/reports">{t('detail.back')}</a>
      </p>
    </section>
  );
}

function timelineWords(entry) {
  const tier = entry.tier ? t(`tier.${entry.tier}`) : '';
  switch (entry.event) {
    case 'ReportSubmitted':
      return t('timeline.submitted');
    case 'ReportRevised':
      return t('timeline.revised', { n: entry.revision });
    case 'ReportApproved':
      return t('timeline.approved', { tier });
    case 'ReportRejected':
      return t('timeline.rejected', {
        tier,
        reason: reasonWords(entry.reason_code),
        note: entry.note,
      });
    case 'ReportVerified':
      return t('timeline.verified');
    case 'VerificationOverdue':
      return t('timeline.overdue', { tier });
    default:
      return entry.event;
  }
}
