// The sluice dashboard (docs/dashboard.md): three views behind hash routes,
// #/live (default), #/history?from=..&to=..&source=..&instance=.., #/health.
// Only the shown view polls or loads.

import { initHealth } from './health.js';
import { initHistory } from './history.js';
import { initLive } from './live.js';

const views = { live: initLive(), history: initHistory(), health: initHealth() };
let current = null;

function route() {
  const m = /^#\/([a-z]+)(?:\?(.*))?$/.exec(location.hash);
  const name = m && views[m[1]] ? m[1] : 'live';
  const params = new URLSearchParams(m && m[2] ? m[2] : '');
  if (current && current !== name) views[current].stop();
  for (const v of Object.keys(views)) {
    const sec = document.getElementById(`view-${v}`);
    const show = v === name;
    if (sec.hidden === show) sec.hidden = !show;
    const tab = document.querySelector(`.tabs a[data-view="${v}"]`);
    if (show) tab.setAttribute('aria-current', 'page'); else tab.removeAttribute('aria-current');
  }
  document.body.dataset.view = name;
  current = name;
  views[name].start(params);
}

window.addEventListener('hashchange', route);
route();
