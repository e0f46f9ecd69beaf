// The sluice dashboard (docs/dashboard.md): views behind hash routes,
// #/live (default), #/history?from=..&to=..&source=..&instance=.., #/instance?source=..&id=..&from=..&to=..
// (the history view for one instance), #/health.  Only the shown view polls or loads.

import { initDownloads } from './download.js';
import { initHealth } from './health.js';
import { applyHelp } from './help.js';
import { initHistory } from './history.js';
import { initLive } from './live.js';

applyHelp();
initDownloads();
const history = initHistory();
const views = { live: initLive(), history, instance: history, health: initHealth() };
const SECTIONS = { live: 'live', history: 'history', instance: 'history', health: 'health' };
let current = null;

function route() {
  const m = /^#\/([a-z]+)(?:\?(.*))?$/.exec(location.hash);
  const name = m && views[m[1]] ? m[1] : 'live';
  const params = new URLSearchParams(m && m[2] ? m[2] : '');
  if (current && current !== name) views[current].stop();
  for (const v of ['live', 'history', 'health']) {
    const sec = document.getElementById(`view-${v}`);
    const show = v === SECTIONS[name];
    if (sec.hidden === show) sec.hidden = !show;
    const tab = document.querySelector(`.tabs a[data-view="${v}"]`);
    if (show) tab.setAttribute('aria-current', 'page'); else tab.removeAttribute('aria-current');
  }
  document.body.dataset.view = name;
  current = name;
  views[name].start(params, name);
}

window.addEventListener('hashchange', route);
route();
