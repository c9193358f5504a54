// The filter and pager parts the console's lists share (the worklist, the map, the report list,
// the dashboard): a labelled choice with "all", a month field, and "load more". One markup for
// all, so the tests' labels and the styles hold on every screen.
import { Offline } from '../../../shared/http.js';
import { t } from '../../../shared/i18n.js';
import { bidangWords, bidangs, kindWords, kinds } from '../words.js';

// options: [[code, words]]; the first choice is "all" (no filter).
export function FilterSelect({ id, label, value, onChange, options }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={onChange}>
        <option value="">{t('worklist.all')}</option>
        {options.map(([code, words]) => (
          <option key={code} value={code}>
            {words}
          </option>
        ))}
      </select>
    </div>
  );
}

export const kindOptions = () => kinds().map((k) => [k.code, kindWords(k.code)]);
export const bidangOptions = () => bidangs().map((b) => [b.code, bidangWords(b.code)]);

// A month (YYYY-MM); `onChange` or `onInput`, as the screen reacts.
export function MonthField({ id, label, value, onChange, onInput }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} type="month" value={value} onChange={onChange} onInput={onInput} />
    </div>
  );
}

// The next page by cursor, while there is one.
export function MoreButton({ cursor, busy, label, onMore }) {
  if (!cursor) return null;
  return (
    <button type="button" class="secondary" disabled={busy} onClick={() => onMore(cursor)}>
      {label}
    </button>
  );
}

// A failed read in words: no network, or the API's own `detail`.
export const problemText = (error) => (error instanceof Offline ? t('app.needsNetwork') : error.detail || String(error));
