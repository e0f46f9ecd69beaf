// Short explanations of the metrics (docs/metrics.md section 4), shown where a metric is:
// every element with data-help="KEY" gets the text as its title (tooltip) and aria-label,
// so a "?" next to a heading or a column explains it on hover or focus.

export const HELP = {
  queue: 'Queue score (q_score): Σqueue / Σ(queue + compile + exec) over the events arriving in the hour; 0 when the denominator is 0.',
  compile: 'Compile score (c_score): Σcompile / Σ(queue + compile + exec) over the events arriving in the hour. Compile time by joins: select, uncached queries, by number of joins.',
  spill: 'Spill score (s_score): spilled / queries over the events arriving in the hour. A query spills when it writes intermediate results to disk (mbytes_spilled > 0).',
  parallel: 'Parallel score (p_score): min(1, avg_concurrency / slots), with avg_concurrency = busy_ms / 3,600,000 and slots = 5 by default.',
  composite: 'Composite score: the weighted mean of the queue, spill, parallel and compile scores (equal weights by default). An instance-hour is oversubscribed when composite >= threshold (default 0.5).',
  fp_groups: 'Fingerprint groups: select queries of the hour (uncached, not aborted, exec >= 1 ms) grouped by feature_fingerprint; only groups with at least 2 events count.',
  slowdown: 'Slowdown: Σ exec / Σ (count × fastest exec) over the fingerprint groups of the hour; each group\'s fastest run stands in for the expected time, so slowdown >= 1. Empty when there are no groups.',
  cache: 'Cache hit rate: cached / queries (queries answered from the result cache).',
  top_tables: 'Top tables: per (source, instance, table id) the reads summed over each hour\'s top-k rows of that instance; table ids only mean something within one instance, so they are never summed across instances.',
  provisional: 'Provisional: the hour is still open (after the last final hour); its values can still change, so a low newest hour is not a drop.',
};

/** Fill the title of every [data-help] element under root. */
export function applyHelp(root = document) {
  for (const el of root.querySelectorAll('[data-help]')) {
    const text = HELP[el.dataset.help];
    if (!text) continue;
    if (el.title !== text) el.title = text;
    el.setAttribute('aria-label', text);
    if (!el.hasAttribute('tabindex') && el.classList.contains('help')) el.tabIndex = 0;
  }
}
