// Sends a decision and says what came of it. A decision checked against a version another
// verifier moved on (409 `concurrent` or `stale`; `closed` or `wrong_tier` when the report left
// this tier meanwhile) is not an error to fix: the report is read again to name who decided and
// how, and the console moves on like after its own decision.
import { ApiProblem } from '../../shared/http.js';
import { t } from '../../shared/i18n.js';
import { consoleApi } from './api.js';
import { statusWords } from './words.js';

const DECISIONS = new Set(['ReportApproved', 'ReportRejected']);

// → {done: true, text} for our decision, {raced: true, text} for one that lost; other problems throw.
export async function decide(report, body) {
  try {
    await consoleApi.decide(report.report_id, { ...body, expected_version: report.version });
    return { done: true, text: t(body.decision === 'approve' ? 'decide.approved' : 'decide.rejected', { title: report.title }) };
  } catch (error) {
    if (!(error instanceof ApiProblem) || error.status !== 409) throw error;
    const now = await consoleApi.report(report.report_id).catch(() => null);
    const winner = now?.timeline?.filter((entry) => DECISIONS.has(entry.event) && entry.version > report.version)[0];
    const who = winner?.verifier?.name || t('decide.racedNobody');
    const what = statusWords(now?.status || error.body?.current?.status || '');
    return { raced: true, text: t('decide.raced', { title: report.title, who, what }) };
  }
}
