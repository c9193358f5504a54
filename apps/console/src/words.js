// The catalogue's codes in words: kinds, bidang, statuses and rejection reasons all come from
// GET /v1/config (shared/labels.js); only the tiers' names are the console's own (locales).
export { bidangWords, bidangs, kindWords, kinds, reasonCodes, reasonWords, setLabels as setConfig, statusWords } from '../../shared/labels.js';
