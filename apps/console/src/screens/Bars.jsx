// A bar chart as a list: each row a name, its value in words and a bar drawn in CSS, the whole
// row one link to the reports behind it (when there is a list that matches it exactly). A
// screen reader reads the name and the value; the bar is only for the eye.
import { t } from '../../../shared/i18n.js';

// rows: [{key, label, value, display, href?, tone?}]; max: the value of a full bar.
export function Bars({ rows, max, label, testid }) {
  if (!rows.length) return <p class="nodata">{t('dash.noData')}</p>;
  const top = max || Math.max(...rows.map((row) => row.value), 0) || 1;
  return (
    <ul class="bars" aria-label={label} data-testid={testid}>
      {rows.map((row) => {
        const width = `${Math.max(0, Math.min(100, (100 * row.value) / top))}%`;
        const inner = (
          <>
            <span class="bar-text">
              <span class="bar-label">{row.label}</span>
              <span class="bar-value">{row.display}</span>
            </span>
            <span class={`bar ${row.tone || ''}`} style={{ width }} aria-hidden="true" />
          </>
        );
        return (
          <li key={row.key} data-key={row.key}>
            {row.href ? (
              <a href={row.href} class="bar-row">
                {inner}
              </a>
            ) : (
              <span class="bar-row">{inner}</span>
            )}
          </li>
        );
      })}
    </ul>
  );
}
