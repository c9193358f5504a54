// The worklist's filters, kept while the verifier moves between the list and the reports, so
// "the next report" after a decision is the next one of the same filtered list.
let filters = { kind: '', bidang: '', kelurahan: '', rt: '' };

export const currentFilters = () => filters;
export const setFilters = (next) => {
  filters = next;
};

// Which area filters a tier may use: a lurah's area is one kelurahan (RT only); a camat and the
// city office narrow to a kelurahan or an RT.
export const areaFilters = (role) => (role === 'lurah' ? ['rt'] : ['kelurahan', 'rt']);

// Reports decided from this console (by us, or by whoever won a race): skipped as "next" even
// if the worklist read just after the decision does not show the change yet.
const decided = new Set();

// The report after `reportId` in the filtered worklist (overdue first, then due soonest, as the
// API orders it), or null when none is left.
export async function nextReport(queue, reportId) {
  decided.add(reportId);
  const answer = await queue(filters);
  return answer.items.find((item) => !decided.has(item.report_id)) || null;
}
