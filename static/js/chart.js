// Requests-per-minute chart: inline SVG drawn by us (area + line + hover targets).

import { h, s, fmtNumber } from './dom.js';

const W = 600;
const H = 160;

/** values: numbers, oldest first (one per minute). */
export function requestsChart(values, { testid = 'requests-chart' } = {}) {
  const data = (Array.isArray(values) ? values : []).map((v) => (Number.isFinite(Number(v)) ? Number(v) : 0));
  const n = data.length;
  const max = Math.max(1, ...data);
  const niceMax = niceCeil(max);
  const latest = n ? data[n - 1] : 0;
  const peak = n ? Math.max(...data) : 0;
  const total = data.reduce((a, b) => a + b, 0);

  const x = (i) => (n <= 1 ? W : (i / (n - 1)) * W);
  const y = (v) => H - (v / niceMax) * (H - 8) - 1;

  const svg = s('svg', {
    class: 'chart-svg', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none',
    role: 'img', 'aria-label': `Requests per minute over the last ${n} minutes: latest ${latest}, peak ${peak}, total ${total}.`,
  });
  for (const frac of [0.25, 0.5, 0.75, 1]) {
    svg.appendChild(s('line', { class: 'chart-grid', x1: 0, x2: W, y1: y(niceMax * frac), y2: y(niceMax * frac) }));
  }
  if (n > 0) {
    const pts = data.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`);
    svg.appendChild(s('path', { class: 'chart-area', d: `M0,${H} L${pts.join(' L')} L${W},${H} Z` }));
    svg.appendChild(s('path', { class: 'chart-line', d: `M${pts.join(' L')}` }));
    const step = W / Math.max(1, n);
    data.forEach((v, i) => {
      const ago = n - 1 - i;
      svg.appendChild(s('rect', { class: 'chart-hit', x: Math.max(0, x(i) - step / 2), y: 0, width: step, height: H },
        s('title', null, `${ago === 0 ? 'this minute' : `${ago} min ago`}: ${fmtNumber(v)} requests`)));
    });
  }

  return h('figure', { class: 'chart', testid },
    h('div', { class: 'chart-plot' },
      h('div', { class: 'chart-yaxis', 'aria-hidden': 'true' },
        h('span', null, fmtNumber(niceMax)), h('span', null, fmtNumber(niceMax / 2)), h('span', null, '0')),
      svg),
    h('div', { class: 'chart-xaxis', 'aria-hidden': 'true' },
      h('span', null, `${n} min ago`), h('span', null, 'now')),
    h('figcaption', { class: 'chart-caption' },
      h('span', null, 'Latest ', h('strong', { testid: 'rpm-latest', 'data-value': latest }, fmtNumber(latest)), ' /min'),
      h('span', null, 'Peak ', h('strong', { testid: 'rpm-peak' }, fmtNumber(peak))),
      h('span', null, 'Last hour ', h('strong', { testid: 'rpm-total' }, fmtNumber(total)))));
}

function niceCeil(v) {
  if (v <= 4) return 4;
  const mag = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) {
    if (m * mag >= v) return m * mag;
  }
  return v;
}
