// #/map: the verified reports with a location in the verifier's jurisdiction (GET
// /v1/reports/map, GeoJSON, at most 2,000), filtered by kind, bidang and period; each marker's
// popup opens its report. The same reports are listed below the map.
import { useEffect, useState } from 'preact/hooks';
import { ProblemBox } from '../../../shared/fields.jsx';
import { formatDate, t } from '../../../shared/i18n.js';
import { consoleApi } from '../api.js';
import { FilterSelect, MonthField, bidangOptions, kindOptions, problemText } from '../components/filters.jsx';
import { ReportMap } from '../map/ReportMap.jsx';
import { bidangWords, kindWords } from '../words.js';

const EMPTY = { kind: '', bidang: '', from: '', to: '' };
let kept = EMPTY; // the filters, while the console stays open (back from a report keeps them)

export const rtWords = (rtCode) => (rtCode.split('/')[1] ? `RT ${rtCode.split('/')[1]}` : rtCode);

// A GeoJSON feature of /v1/reports/map as a point of ReportMap (GeoJSON: longitude first).
export function pointOf({ geometry, properties: p }) {
  return {
    id: p.report_id,
    lon: geometry.coordinates[0],
    lat: geometry.coordinates[1],
    title: p.title,
    href: `#/report/${encodeURIComponent(p.report_id)}`,
    lines: [`${rtWords(p.rt_code)}, ${p.kelurahan_name}`, `${kindWords(p.kind)} · ${bidangWords(p.bidang)}`, formatDate(p.activity_date)],
  };
}

export function MapScreen() {
  const [filters, setFilters] = useState(kept);
  const [answer, setAnswer] = useState(null);
  const [problem, setProblem] = useState('');

  useEffect(() => {
    kept = filters;
    if (filters.from && filters.to && filters.from > filters.to) return;
    consoleApi
      .map(filters)
      .then((found) => {
        setAnswer(found);
        setProblem('');
      })
      .catch((error) => setProblem(problemText(error)));
  }, [filters]);

  const change = (name) => (event) => setFilters({ ...filters, [name]: event.currentTarget.value });
  const points = answer ? answer.features.map(pointOf) : [];
  const backwards = filters.from && filters.to && filters.from > filters.to;
  return (
    <section aria-labelledby="screen-title">
      <h1 id="screen-title" tabIndex={-1}>
        {t('map.title')}
      </h1>
      <fieldset class="filters map-filters">
        <legend>{t('worklist.filters')}</legend>
        <FilterSelect id="m-kind" label={t('worklist.kind')} value={filters.kind} onChange={change('kind')} options={kindOptions()} />
        <FilterSelect id="m-bidang" label={t('worklist.bidang')} value={filters.bidang} onChange={change('bidang')} options={bidangOptions()} />
        <MonthField id="m-from" label={t('map.from')} value={filters.from} onChange={change('from')} />
        <MonthField id="m-to" label={t('map.to')} value={filters.to} onChange={change('to')} />
      </fieldset>
      <ProblemBox message={backwards ? t('map.backwards') : problem} />
      {answer ? (
        <p class="counts" data-testid="map-count">
          {t('map.count', { count: points.length })}
          {answer.truncated ? ` ${t('map.truncated', { limit: answer.limit })}` : ''}
        </p>
      ) : null}
      {points.length ? <ReportMap points={points} label={t('map.label')} /> : null}
      {answer && !points.length ? <p class="empty">{t('map.empty')}</p> : null}
      {points.length ? (
        <>
          <h2 id="map-list-title">{t('map.list')}</h2>
          <ul class="map-list" aria-labelledby="map-list-title" data-testid="map-list">
            {points.map((point) => (
              <li key={point.id} data-report-id={point.id}>
                <a href={point.href}>{point.title}</a>
                <br />
                {point.lines.join(' · ')}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
