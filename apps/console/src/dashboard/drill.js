// Which reports stand behind each figure, as GET /v1/reports filters. Each follows how
// analytics counts (services/analytics, queries.py and domain/counters.py):
// - the work (reports, by kind and bidang, per kelurahan, per month, verified) counts in the
//   month of its activity date: period_by=activity;
// - "reports" are every submitted report whatever its status; "verified" only verified ones;
// - RT performance counts verified reports the city office counted for performance;
// - "waiting" per tier is a gauge of now, whatever the period;
// - decisions and overdue notices count in the WIB month they happened: event=… with
//   period_by=event (a report rejected twice in the months is one report of the list).

// The list's filter for a dashboard area code: kota 16.73, kecamatan 16.73.02, kelurahan
// 16.73.02.1019, RT 16.73.02.1019/007.
export function areaFilter(code) {
  if (!code) return {};
  if (code.includes('/')) return { rt: code };
  const level = ['', 'kota', 'kecamatan', 'kelurahan'][code.split('.').length - 1];
  return level ? { [level]: code } : {};
}

// scope: {wilayah, from, to} of the dashboard.
export function work(scope, extra = {}) {
  const period = scope.from || scope.to ? { from: scope.from, to: scope.to, period_by: 'activity' } : {};
  return { ...areaFilter(scope.wilayah), ...period, ...extra };
}

export const byBidang = (scope, bidang) => work(scope, { bidang });
export const byKind = (scope, kind) => work(scope, { kind });
export const inKelurahan = (scope, kelurahan) => ({ ...work(scope), ...areaFilter(kelurahan) });
export const verified = (scope) => work(scope, { status: 'verified' });
export const month = (scope, m, extra = {}) => ({ ...work({ wilayah: scope.wilayah }), from: m, to: m, period_by: 'activity', ...extra });
export const rtPerformance = (scope, rt) => ({ ...work(scope, { status: 'verified', counts_for_performance: 'true' }), ...areaFilter(rt) });
export const fundWork = (scope) => work(scope, { kind: 'progres_dana', status: 'verified' });
export const waiting = (scope, tier) => ({ ...areaFilter(scope.wilayah), status: `awaiting_${tier}` });
// event: approved_<tier>, rejected_<tier>, overdue_<tier>, or overdue (any tier).
export function happened(scope, event, area = '') {
  const period = scope.from || scope.to ? { from: scope.from, to: scope.to, period_by: 'event' } : {};
  return { ...areaFilter(scope.wilayah), ...areaFilter(area), ...period, event };
}

export const link = (filters) => {
  const found = Object.entries(filters).filter(([, value]) => value !== '' && value != null);
  return `#/reports${found.length ? `?${new URLSearchParams(found)}` : ''}`;
};
