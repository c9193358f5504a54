// What the last action did ("approved", "already decided by …"), said once in the frame's live
// region. Kept outside the screens because the next report's screen replaces the one that acted.
export const noticeEvents = new EventTarget();

export function announce(text, kind = 'ok') {
  noticeEvents.dispatchEvent(new CustomEvent('notice', { detail: { text, kind } }));
}
