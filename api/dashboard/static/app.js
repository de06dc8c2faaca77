/**
 * Mailroom's dashboard: campaigns with their funnels, the last days as a time series, and one
 * campaign's report with the emails that did not arrive and why. Plain DOM and SVG drawn here, no
 * framework. Data comes from the /v1 API with the API key the person signed in with, kept in
 * sessionStorage (this tab only). Text from the API is only ever set as text, never parsed as HTML.
 */
'use strict';

(() => {
  const KEY_ITEM = 'mailroom.apiKey';
  const REFRESH_MS = 15_000;
  const CAMPAIGNS_SHOWN = 20;
  const WORST_PER_STATUS = 50;
  const SVG_NS = 'http://www.w3.org/2000/svg';

  const LABELS = {
    sent: 'Sent',
    delivered: 'Delivered',
    opened: 'Opened',
    clicked: 'Clicked',
    bounced: 'Bounced',
    hardBounced: 'Hard bounces',
    dropped: 'Dropped',
    suppressed: 'Suppressed',
    rejected: 'Rejected',
    failed: 'Failed',
    unconfirmed: 'Unconfirmed',
    canceled: 'Canceled',
    deferred: 'Deferred',
    spamReports: 'Spam reports',
    unsubscribes: 'Unsubscribes',
  };
  const FUNNEL = ['sent', 'delivered', 'opened', 'clicked'];
  /** Beside the funnel: always the first three; the others when they happened. */
  const LOST = ['bounced', 'dropped', 'suppressed'];
  const LOST_IF_ANY = ['rejected', 'failed', 'unconfirmed', 'canceled'];
  /** The statuses of emails that did not arrive, worst first. */
  const WORST = ['bounced', 'dropped', 'suppressed', 'rejected', 'failed', 'unconfirmed'];
  const RATES = [
    ['delivery', 'Delivery', 'of sent'],
    ['bounce', 'Bounce', 'of sent'],
    ['open', 'Open', 'of delivered'],
    ['click', 'Click', 'of delivered'],
    ['spam', 'Spam reports', 'of delivered'],
  ];
  const SERIES = ['sent', 'delivered', 'opened', 'clicked', 'bounced', 'dropped', 'suppressed'];
  const SPANS = { day: 'Last 7 days', hour: 'Last 48 hours' };

  const $ = (id) => document.getElementById(id);
  const view = $('view');
  let interval = 'day';
  let generation = 0;
  let timer;

  /* Elements. Children are nodes or strings; strings become text nodes. */

  function build(ns, tag, attrs, children) {
    const el = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    for (const [name, value] of Object.entries(attrs ?? {})) {
      if (value !== undefined && value !== null && value !== false) el.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child !== undefined && child !== null && child !== false) el.append(child);
    }
    return el;
  }
  const h = (tag, attrs, ...children) => build(null, tag, attrs, children);
  const svg = (tag, attrs, ...children) => build(SVG_NS, tag, attrs, children);

  const number = (n) => n.toLocaleString('en-US');
  const rate = (r) => (r === null || r === undefined ? '—' : `${Number((r * 100).toFixed(2))}%`);
  const share = (part, whole) => (whole > 0 ? `${Math.round((part / whole) * 100)}%` : '');
  const when = (iso) => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : '—');
  const stateBadge = (state) => h('span', { class: `badge state-${state}`, 'data-testid': 'state' }, state);

  /* The API. */

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(path, key = sessionStorage.getItem(KEY_ITEM)) {
    const res = await fetch(path, {
      headers: { authorization: `Bearer ${key}`, accept: 'application/json' },
    });
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new ApiError(res.status, body?.error?.message ?? `the API answered ${res.status}`);
    return body;
  }

  /* Signing in and out. */

  function showSignIn(message) {
    clearInterval(timer);
    generation++;
    view.replaceChildren();
    $('notice').hidden = true;
    $('sign-in').hidden = false;
    $('sign-out').hidden = true;
    $('refresh').hidden = true;
    const error = $('sign-in-error');
    error.textContent = message ?? '';
    error.hidden = !message;
    $('api-key').focus();
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY_ITEM);
    showSignIn(message);
  }

  async function signIn(event) {
    event.preventDefault();
    const key = $('api-key').value.trim();
    if (!key) return;
    try {
      await api('/v1/campaigns?limit=1', key);
    } catch (err) {
      const why =
        err.status === 401
          ? `That API key was not accepted (401: ${err.message}).`
          : `Could not reach the API to check the key: ${err.message}.`;
      return showSignIn(why);
    }
    sessionStorage.setItem(KEY_ITEM, key);
    $('api-key').value = '';
    await signedIn();
  }

  function signedIn() {
    $('sign-in').hidden = true;
    $('sign-out').hidden = false;
    $('refresh').hidden = false;
    clearInterval(timer);
    timer = setInterval(() => document.hidden || void render(), REFRESH_MS);
    return render();
  }

  /* Rendering: the hash says which view; a newer render makes an older one's answers stale. */

  async function render() {
    if (!sessionStorage.getItem(KEY_ITEM)) return showSignIn();
    const mine = ++generation;
    const match = /^#\/campaigns\/(.+)$/.exec(location.hash);
    try {
      const content = match ? await campaignPage(decodeURIComponent(match[1])) : await overviewPage();
      if (mine !== generation) return;
      view.replaceChildren(...content);
      $('notice').hidden = true;
    } catch (err) {
      if (mine !== generation) return;
      if (err.status === 401) return signOut(`The API no longer accepts this key (401: ${err.message}).`);
      $('notice').textContent = `Could not load this view: ${err.message}. It is tried again shortly.`;
      $('notice').hidden = false;
    }
  }

  async function overviewPage() {
    const [list, summary] = await Promise.all([
      api(`/v1/campaigns?limit=${CAMPAIGNS_SHOWN}`),
      api(`/v1/reports/summary?interval=${interval}`),
    ]);
    return [seriesSection(summary), campaignsSection(list.campaigns)];
  }

  function seriesSection(summary) {
    const totals = Object.fromEntries(
      SERIES.map((metric) => [metric, summary.points.reduce((sum, p) => sum + p.counts[metric], 0)]),
    );
    const toggle = Object.entries(SPANS).map(([value, label]) =>
      h(
        'button',
        { type: 'button', class: value === interval ? 'on' : '', 'data-testid': `interval-${value}` },
        label,
      ),
    );
    toggle.forEach((button, i) =>
      button.addEventListener('click', () => {
        interval = Object.keys(SPANS)[i];
        void render();
      }),
    );
    return h(
      'section',
      { class: 'card', 'data-testid': 'series' },
      h('div', { class: 'row' }, h('h2', {}, SPANS[interval]), h('span', { class: 'spacer' }), toggle),
      lineChart(summary.points, interval),
      h(
        'ul',
        { class: 'legend' },
        SERIES.map((metric) =>
          h(
            'li',
            {},
            h('span', { class: `swatch m-${metric}` }),
            `${LABELS[metric]} `,
            h('strong', { 'data-testid': `series-total-${metric}` }, number(totals[metric])),
          ),
        ),
      ),
    );
  }

  function campaignsSection(campaigns) {
    const cards = campaigns.map((c) => {
      const href = `#/campaigns/${encodeURIComponent(c.id)}`;
      const card = h(
        'article',
        { class: 'card campaign', 'data-testid': 'campaign', 'data-campaign-id': c.id },
        h(
          'div',
          { class: 'row' },
          h('a', { href, 'data-testid': 'campaign-link' }, c.name),
          stateBadge(c.state),
        ),
        h(
          'p',
          { class: 'muted' },
          `${c.id} · created ${when(c.createdAt)} · `,
          h('span', { 'data-testid': 'started' }, number(c.started)),
          ' of ',
          h('span', { 'data-testid': 'total' }, number(c.total)),
          ' started',
          c.pauseReason ? ` · paused: ${c.pauseReason}` : '',
        ),
        outcomeCharts(c.progress, c.total),
      );
      card.addEventListener('click', (event) => {
        if (!event.target.closest('a')) location.hash = href;
      });
      return card;
    });
    return h(
      'section',
      { 'data-testid': 'campaigns' },
      h('h2', {}, 'Campaigns'),
      cards.length ? cards : h('p', { class: 'muted', 'data-testid': 'no-campaigns' }, 'No campaigns yet.'),
    );
  }

  async function campaignPage(id) {
    const path = encodeURIComponent(id);
    const [report, ...worst] = await Promise.all([
      api(`/v1/reports/campaigns/${path}`),
      ...WORST.map((status) =>
        api(`/v1/emails?campaignId=${path}&status=${status}&limit=${WORST_PER_STATUS}`),
      ),
    ]);
    const { counts } = report;
    return [
      h('a', { href: '#/', 'data-testid': 'back' }, '← All campaigns'),
      h(
        'section',
        { class: 'card', 'data-testid': 'report', 'data-campaign-id': report.campaignId },
        h(
          'div',
          { class: 'row' },
          h('h1', { 'data-testid': 'campaign-name' }, report.name),
          stateBadge(report.state),
        ),
        h(
          'p',
          { class: 'muted' },
          `${report.campaignId} · ${number(report.total)} recipients · as of `,
          h('time', { datetime: report.asOf, 'data-testid': 'as-of' }, when(report.asOf)),
        ),
        outcomeCharts(counts, report.total),
        h(
          'div',
          { class: 'tiles' },
          RATES.map(([name, label, over]) =>
            h(
              'div',
              { class: 'tile' },
              h('span', { class: 'muted' }, `${label} rate`),
              h('strong', { 'data-testid': `rate-${name}` }, rate(report.rates[name])),
              h('span', { class: 'muted' }, over),
            ),
          ),
        ),
        h(
          'dl',
          { class: 'counts' },
          Object.keys(LABELS).map((metric) =>
            h(
              'div',
              {},
              h('dt', {}, LABELS[metric]),
              h('dd', { 'data-testid': `count-${metric}` }, number(counts[metric])),
            ),
          ),
        ),
      ),
      worstSection(worst, counts),
    ];
  }

  function worstSection(pages, counts) {
    const rows = pages.flatMap((page, i) => {
      const shown = page.emails.map((email) =>
        h(
          'tr',
          { 'data-testid': 'worst-email', 'data-email-id': email.id, 'data-status': email.status },
          h('td', {}, h('span', { class: `badge status-${email.status}` }, email.status)),
          h('td', { 'data-testid': 'worst-to' }, email.to),
          h('td', { 'data-testid': 'why-not' }, email.outcome?.reason ?? '—'),
          h('td', { class: 'muted nowrap' }, when(email.outcome?.at ?? email.updatedAt)),
          h('td', { class: 'muted mono' }, email.id),
        ),
      );
      const more = counts[WORST[i]] - page.emails.length;
      if (page.nextCursor && more > 0) {
        shown.push(
          h('tr', {}, h('td', { colspan: 5, class: 'muted' }, `… and ${number(more)} more ${WORST[i]}`)),
        );
      }
      return shown;
    });
    return h(
      'section',
      { class: 'card', 'data-testid': 'worst' },
      h('h2', {}, 'Emails that did not arrive, and why'),
      h('p', { class: 'muted' }, `Worst first: ${WORST.join(', ')}.`),
      rows.length
        ? h(
            'table',
            { class: 'worst' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['Status', 'To', 'Why not', 'When', 'Email'].map((t) => h('th', {}, t)),
              ),
            ),
            h('tbody', {}, rows),
          )
        : h(
            'p',
            { 'data-testid': 'no-worst' },
            'None: every email sent so far arrived or is still on its way.',
          ),
    );
  }

  /* Charts. */

  /** The funnel (sent → delivered → opened → clicked) and, beside it, what did not arrive. */
  function outcomeCharts(counts, total) {
    const lost = [...LOST, ...LOST_IF_ANY.filter((metric) => counts[metric] > 0)];
    const scale = Math.max(total, ...FUNNEL.map((m) => counts[m]), ...lost.map((m) => counts[m]), 1);
    // Each step's share is over what the rates divide by: sent of recipients, the rest as in RATES.
    const over = { sent: 'recipients', delivered: 'sent', opened: 'delivered', clicked: 'delivered' };
    const wholes = { recipients: total, sent: counts.sent, delivered: counts.delivered };
    const row = (metric, of) => ({ metric, note: share(counts[metric], wholes[of]), of });
    return h(
      'div',
      { class: 'charts' },
      h(
        'figure',
        { class: 'funnel' },
        h('figcaption', {}, 'Funnel'),
        bars(
          FUNNEL.map((metric) => row(metric, over[metric])),
          counts,
          scale,
        ),
      ),
      h(
        'figure',
        { class: 'lost' },
        h('figcaption', {}, 'Did not arrive'),
        bars(
          lost.map((metric) => row(metric, 'recipients')),
          counts,
          scale,
        ),
      ),
    );
  }

  /** Horizontal bars on one scale: a label, the bar, the figure and its share. */
  function bars(rows, counts, scale) {
    const row = 28;
    const labelWidth = 92;
    const barSpace = 200;
    return svg(
      'svg',
      {
        viewBox: `0 0 ${labelWidth + barSpace + 170} ${rows.length * row}`,
        class: 'bars',
        role: 'img',
        'aria-label': rows.map(({ metric }) => `${LABELS[metric]} ${counts[metric]}`).join(', '),
      },
      rows.map(({ metric, note, of }, i) => {
        const y = i * row;
        const width = Math.max((counts[metric] / scale) * barSpace, counts[metric] > 0 ? 2 : 0);
        return svg(
          'g',
          { class: `m-${metric}` },
          svg('text', { x: 0, y: y + 18, class: 'label' }, LABELS[metric]),
          svg('rect', { x: labelWidth, y: y + 5, width: barSpace, height: 18, rx: 3, class: 'track' }),
          svg(
            'rect',
            { x: labelWidth, y: y + 5, width: width.toFixed(1), height: 18, rx: 3, class: 'bar' },
            svg('title', {}, `${LABELS[metric]}: ${counts[metric]}`),
          ),
          svg(
            'text',
            { x: labelWidth + barSpace + 8, y: y + 18, class: 'figure', 'data-testid': `figure-${metric}` },
            number(counts[metric]),
          ),
          note &&
            svg('text', { x: labelWidth + barSpace + 52, y: y + 18, class: 'note' }, `${note} of ${of}`),
        );
      }),
    );
  }

  /** One line per metric over the points of the summary, on a shared axis. */
  function lineChart(points, unit) {
    const [width, height, left, bottom, top] = [760, 180, 44, 26, 10];
    const plotWidth = width - left - 28; // room for the last label, centred on its point
    const plotHeight = height - bottom - top;
    const peak = Math.max(1, ...points.flatMap((p) => SERIES.map((m) => p.counts[m])));
    const ceiling = niceCeiling(peak);
    const x = (i) => left + (points.length > 1 ? (i / (points.length - 1)) * plotWidth : plotWidth / 2);
    const y = (v) => top + plotHeight - (v / ceiling) * plotHeight;
    const ticks = [0, ceiling / 2, ceiling].filter(
      (v, i, all) => all.indexOf(v) === i && Number.isInteger(v),
    );
    const labelEvery = unit === 'day' ? 1 : 6;
    const label = (iso) => (unit === 'day' ? iso.slice(5, 10) : `${iso.slice(11, 13)}:00`);
    return svg(
      'svg',
      {
        viewBox: `0 0 ${width} ${height}`,
        class: 'series',
        role: 'img',
        'aria-label': 'Emails per interval',
      },
      ticks.map((v) =>
        svg(
          'g',
          { class: 'grid' },
          svg('line', { x1: left, x2: left + plotWidth, y1: y(v), y2: y(v) }),
          svg('text', { x: left - 6, y: y(v) + 4, class: 'tick', 'text-anchor': 'end' }, number(v)),
        ),
      ),
      points.map((p, i) =>
        i % labelEvery === 0
          ? svg('text', { x: x(i), y: height - 8, class: 'tick', 'text-anchor': 'middle' }, label(p.start))
          : null,
      ),
      SERIES.map((metric) =>
        svg(
          'g',
          { class: `m-${metric}` },
          svg('polyline', {
            class: 'line',
            points: points.map((p, i) => `${x(i)},${y(p.counts[metric])}`).join(' '),
          }),
          points.map((p, i) =>
            p.counts[metric] > 0
              ? svg(
                  'circle',
                  { cx: x(i), cy: y(p.counts[metric]), r: 3.5, class: 'dot' },
                  svg('title', {}, `${when(p.start)}: ${p.counts[metric]} ${LABELS[metric].toLowerCase()}`),
                )
              : null,
          ),
        ),
      ),
    );
  }

  /** 1, 2, 5, 10, 20, 50, … at or above n, so the axis reads in round numbers. */
  function niceCeiling(n) {
    const magnitude = 10 ** Math.floor(Math.log10(n));
    const step = [1, 2, 5, 10].find((s) => s * magnitude >= n);
    return step * magnitude;
  }

  /* Start. */

  $('sign-in-form').addEventListener('submit', (event) => void signIn(event));
  $('sign-out').addEventListener('click', () => signOut());
  $('refresh').addEventListener('click', () => void render());
  window.addEventListener('hashchange', () => void render());

  if (sessionStorage.getItem(KEY_ITEM)) void signedIn();
  else showSignIn();
})();
