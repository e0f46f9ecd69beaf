// State shared by the views: the last /api/v1/status answer and the page-wide
// empty state (shown while the hot store has no metric rows).

import { getJson } from './api.js';

export const shared = { status: null };

/** Remember a status answer (and optionally a live answer) and toggle the empty state. */
export function noteStatus(st, live) {
  shared.status = st;
  const empty = !st.first_hour && !st.last_hour && !(live && live.hour);
  const el = document.getElementById('empty');
  if (el.hidden === empty) el.hidden = !empty;
  document.body.dataset.empty = empty ? '1' : '0';
}

export async function loadStatus() {
  const st = await getJson('/api/v1/status');
  noteStatus(st);
  return st;
}
