// A refused or failed call in the reader's words: never an answer's raw body or an address.
import { t } from '../../../shared/i18n.js';
import { ApiProblem, Offline } from '../../../shared/http.js';
import { SignedOut } from '../../../shared/session.js';

export function explain(error) {
  if (error instanceof Offline) return t('app.needsNetwork');
  if (error instanceof SignedOut) return error.message || t('dash.signedOut');
  if (!(error instanceof ApiProblem)) return t('dash.down');
  if (error.status === 403) return t('dash.refused');
  if (error.status === 503 && error.retryAfter) return t('dash.rebuilding');
  if (error.status >= 500) return t('dash.down');
  return t('dash.failed', { detail: error.detail });
}
