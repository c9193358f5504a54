// "My decisions": what this verifier approved and rejected, newest first, each with the report's
// status now; the search looks in titles and RT codes (the API's `q`).
import { useEffect, useState } from 'preact/hooks';
import { ProblemBox } from '../../../shared/fields.jsx';
import { formatWib, t } from '../../../shared/i18n.js';
import { consoleApi } from '../api.js';
import { problemText } from '../components/filters.jsx';
import { reasonWords, statusWords } from '../words.js';

export function Decisions() {
  const [text, setText] = useState('');
  const [q, setQ] = useState('');
  const [page, setPage] = useState(null);
  const [problem, setProblem] = useState('');

  useEffect(() => {
    consoleApi
      .decisions(q)
      .then((answer) => {
        setPage(answer);
        setProblem('');
      })
      .catch((error) => setProblem(problemText(error)));
  }, [q]);

  function search(event) {
    event.preventDefault();
    setQ(text.trim());
  }

  return (
    <section aria-labelledby="screen-title">
      <h1 id="screen-title" tabIndex={-1}>{t('decisions.title')}</h1>
      <form role="search" class="search" onSubmit={search}>
        <label for="q">{t('decisions.search')}</label>
        <div class="row">
          <input id="q" type="search" value={text} onInput={(event) => setText(event.currentTarget.value)} />
          <button type="submit" class="secondary">{t('decisions.searchButton')}</button>
        </div>
      </form>
      <ProblemBox message={problem} />
      {page && !page.items.length ? <p class="empty">{q ? t('decisions.none') : t('decisions.empty')}</p> : null}
      {page && page.items.length ? (
        <ul class="cards" aria-label={t('decisions.list')} data-testid="decisions">
          {page.items.map((item) => (
            <li key={item.decision_id} class={item.decision}>
              <span class="title">{item.title}</span>
              <span class="meta">
                <strong>{t(`decisions.${item.decision}`)}</strong>
                {item.reason_code ? ` (${reasonWords(item.reason_code)})` : ''} · {formatWib(item.decided_at)}
              </span>
              {item.note ? <span class="note">{item.note}</span> : null}
              <span class="meta">
                RT {item.rt_code.split('/')[1]}, {item.kelurahan_name} · {t('decisions.statusNow', { status: statusWords(item.status) })}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
