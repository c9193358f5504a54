// The words for the API's codes, from GET /v1/config (sipokat.events.labels on the server, the
// one source): kinds, bidang, report statuses, rejection reasons. Neither app keeps its own copy;
// a code the config does not name (or a config not loaded yet) shows as the code. Listeners
// hear when the config arrives, so a screen drawn before it is drawn again with words.
import { label } from './i18n.js';

let config = null;
const events = new EventTarget();

export function setLabels(answer) {
  config = answer;
  events.dispatchEvent(new Event('change'));
}
export const onLabels = (listener) => {
  events.addEventListener('change', listener);
  return () => events.removeEventListener('change', listener);
};

const list = (name) => config?.[name] || [];
const words = (name, code) => label(list(name).find((entry) => entry.code === code)?.label, code);

export const kinds = () => list('kinds');
export const bidangs = () => list('bidang');
// The codes a rejection may give, even without the config (then shown as codes): they are the
// API's contract, not words.
const REASON_CODES = ['incomplete', 'not_rt_work', 'duplicate', 'no_evidence', 'wrong_field', 'other'];
export const reasonCodes = () => (list('rejection_reasons').length ? list('rejection_reasons').map((entry) => entry.code) : REASON_CODES);
export const kindWords = (code) => words('kinds', code);
export const bidangWords = (code) => words('bidang', code);
export const statusWords = (code) => words('statuses', code);
export const reasonWords = (code) => words('rejection_reasons', code);
