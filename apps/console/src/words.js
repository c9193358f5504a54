// The catalogue's codes in words: kinds and bidang from GET /v1/config (the API's own labels);
// statuses, rejection reasons and tiers from the console's locales (the API has no labels for them).
import { label, t } from '../../shared/i18n.js';

let config = null;
export const setConfig = (answer) => {
  config = answer;
};
export const kinds = () => config?.kinds || [];
export const bidangs = () => config?.bidang || [];
export const baseMap = () => config?.map || null; // {tile_url, attribution, max_zoom}

const find = (list, code) => list.find((entry) => entry.code === code)?.label;
export const kindWords = (code) => label(find(kinds(), code), code);
export const bidangWords = (code) => label(find(bidangs(), code), code);
export const statusWords = (code) => t(`status.${code}`, { defaultValue: code });
export const reasonWords = (code) => t(`reason.${code}`, { defaultValue: code });
export const REASONS = ['incomplete', 'not_rt_work', 'duplicate', 'no_evidence', 'wrong_field', 'other'];
