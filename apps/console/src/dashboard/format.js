// Numbers in the reader's locale: id-ID writes 1,857 and Rp 2.200.000.000, English 1.857 and
// IDR 2,200,000,000; months by name.
import { language, t } from '../../../shared/i18n.js';

const locale = () => (language() === 'id' ? 'id-ID' : 'en-GB');

export const num = (n, digits = 3) => new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(n);
export const pct = (p) => new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(p / 100);
export const money = (n) =>
  new Intl.NumberFormat(locale(), { style: 'currency', currency: 'IDR', minimumFractionDigits: 0, maximumFractionDigits: 0 }).format(n);
// The last bucket of analytics' histogram is open: over 720 hours there is no number.
export const hours = (h) => (h === null || h === undefined ? t('dash.over') : t('dash.hours', { n: num(h, 1) }));

export function monthName(month) {
  const [year, m] = month.split('-').map(Number);
  return new Intl.DateTimeFormat(locale(), { month: 'short', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(year, m - 1, 1)));
}
