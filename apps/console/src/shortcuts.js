// Keyboard shortcuts of the report page, for a verifier at a desk: one key each, never while
// typing (a field, a list or an editable area has the key), never with Ctrl, Alt or Meta (the
// browser's and the screen reader's own). The keys are named once here, for the handler, the
// help dialog and the aria-keyshortcuts of the controls they reach.
import { currentFilters } from './filters.js';

export const KEYS = {
  approve: 'a',
  reject: 'r',
  next: 'j',
  nextAlt: 'n',
  previous: 'k',
  previousAlt: 'p',
  worklist: 'w',
  help: '?',
};

const TYPING = new Set(['INPUT', 'TEXTAREA', 'SELECT']);

export function typing(target) {
  return !!target && (TYPING.has(target.tagName) || target.isContentEditable);
}

// What a key press asks for ('approve', 'next', …), or null when it is not a shortcut here.
export function actionOf(event) {
  if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented) return null;
  if (event.key === 'Escape') return 'escape';
  if (typing(event.target)) return null;
  const key = event.key === '?' ? '?' : event.key.toLowerCase();
  if (key === KEYS.nextAlt) return 'next';
  if (key === KEYS.previousAlt) return 'previous';
  return Object.keys(KEYS).find((name) => KEYS[name] === key) || null;
}

// The reports before and after `reportId` in the worklist as the verifier filtered it (the
// API's order: overdue first, then due soonest). A report not in the first page has no
// previous, and the worklist's first as its next.
export async function neighbours(queue, reportId) {
  const { items } = await queue(currentFilters());
  const at = items.findIndex((item) => item.report_id === reportId);
  if (at < 0) return { previous: null, next: items[0] || null };
  return { previous: items[at - 1] || null, next: items[at + 1] || null };
}
