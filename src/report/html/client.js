// The script of report.html: draws the report data (JSON in #nmfinit-data, see model.ts) with
// the inlined vega-embed. Plain browser JavaScript with no imports: it must run from file://.
// Tests read its state from data- attributes: body[data-ready] once every chart of the page
// is drawn, [data-chart][data-renders] counts the draws of a chart.
(() => {
  const report = JSON.parse(document.getElementById('nmfinit-data').textContent);
  const embed = window.vegaEmbed;

  /** Creates an element with attributes (on* are listeners) and children (strings become text). */
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs ?? {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null) continue;
      node.append(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return node;
  }

  function formatNumber(x) {
    if (!Number.isFinite(x)) return String(x);
    if (Number.isInteger(x)) return String(x);
    const a = Math.abs(x);
    return a !== 0 && (a < 1e-3 || a >= 1e6) ? x.toExponential(3) : x.toPrecision(4);
  }
  const cellValue = (c) => (c !== null && typeof c === 'object' ? c.value : c);
  const cellText = (c) => {
    if (c !== null && typeof c === 'object') return c.text;
    if (c === null || c === undefined) return '–';
    return typeof c === 'number' ? formatNumber(c) : c;
  };

  /** Sorts nulls last in both directions; numbers by value, text by natural order. */
  function compareCells(a, b, dir) {
    const x = cellValue(a);
    const y = cellValue(b);
    const xNull = x === null || x === undefined || (typeof x === 'number' && Number.isNaN(x));
    const yNull = y === null || y === undefined || (typeof y === 'number' && Number.isNaN(y));
    if (xNull || yNull) return xNull === yNull ? 0 : xNull ? 1 : -1;
    const c =
      typeof x === 'number' && typeof y === 'number'
        ? x - y
        : String(x).localeCompare(String(y), undefined, { numeric: true });
    return dir === 'ascending' ? c : -c;
  }

  function tableBlock(t) {
    const rows = t.rows.map((row, index) => ({ row, index }));
    const tbody = h('tbody');
    const heads = [];
    const state = { key: null, dir: 'ascending' };
    function fill() {
      tbody.replaceChildren(
        ...rows.map(({ row }) =>
          h(
            'tr',
            null,
            t.columns.map((c) => {
              const cell = row[c.key];
              const v = cellValue(cell);
              const text = cellText(cell);
              const content =
                c.link === 'run' && v !== null && v !== undefined
                  ? h(
                      'a',
                      { href: `#run=${encodeURIComponent(String(v))}`, 'data-run-link': String(v) },
                      text,
                    )
                  : inline(String(text));
              const shown =
                cell !== null && typeof cell === 'object' && cell.bold ? h('strong', null, content) : content;
              return h('td', { class: typeof v === 'number' ? 'num' : null }, shown);
            }),
          ),
        ),
      );
    }
    function sortBy(key) {
      state.dir = state.key === key && state.dir === 'ascending' ? 'descending' : 'ascending';
      state.key = key;
      // Ties keep the order the kind gave (the original index breaks them).
      rows.sort((a, b) => compareCells(a.row[key], b.row[key], state.dir) || a.index - b.index);
      for (const th of heads) th.setAttribute('aria-sort', th.dataset.key === key ? state.dir : 'none');
      fill();
    }
    for (const c of t.columns) {
      const th = h(
        'th',
        { 'data-key': c.key, 'aria-sort': 'none', scope: 'col' },
        h('button', { type: 'button', onclick: () => sortBy(c.key), title: `sort by ${c.label}` }, c.label),
      );
      heads.push(th);
    }
    fill();
    return h(
      'div',
      { class: 'block table-block' },
      t.title ? h('h3', null, t.title) : null,
      h(
        'div',
        { class: 'scroll' },
        h('table', { 'data-table': t.id }, h('thead', null, h('tr', null, heads)), tbody),
      ),
      t.caption ? h('p', { class: 'caption' }, t.caption) : null,
    );
  }

  /** The spec as drawn: toggled-off rows removed from every inline data set, the y scales' type set. */
  function specFor(chart, hidden, yScale) {
    const keep = (row) =>
      chart.toggles.every((t) => !(row && t.field in row && hidden[t.field].has(String(row[t.field]))));
    const walk = (node) => {
      if (Array.isArray(node)) return node.map(walk);
      if (node === null || typeof node !== 'object') return node;
      const out = {};
      for (const [k, v] of Object.entries(node)) out[k] = walk(v);
      if (out.data && Array.isArray(out.data.values))
        out.data = { ...out.data, values: out.data.values.filter(keep) };
      const y = out.encoding?.y;
      if (yScale && y && y.type === 'quantitative') {
        const scale = { ...(y.scale ?? {}), type: yScale };
        // A log axis has no zero; a linear one fits the data rather than starting at 0.
        if (yScale === 'log') delete scale.zero;
        else scale.zero = false;
        // A fixed domain was fitted to the first view; any other view fits its own data.
        if (yScale !== chart.yScale || chart.toggles.some((t) => hidden[t.field].size > 0))
          delete scale.domain;
        out.encoding = { ...out.encoding, y: { ...y, scale } };
      }
      return out;
    };
    return walk(chart.spec);
  }

  /** The distinct values of `field` over every inline data set of the spec, in order of appearance. */
  function valuesOf(spec, field) {
    const seen = new Set();
    const walk = (node) => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (node === null || typeof node !== 'object') return;
      if (node.data && Array.isArray(node.data.values))
        for (const row of node.data.values) if (row && field in row) seen.add(String(row[field]));
      for (const v of Object.values(node)) walk(v);
    };
    walk(spec);
    return [...seen];
  }

  function chartBlock(chart) {
    const hidden = Object.fromEntries(chart.toggles.map((t) => [t.field, new Set()]));
    let yScale = chart.yScale;
    const target = h('div', { class: 'vega' });
    const box = h('div', { class: 'block chart', 'data-chart': chart.id, 'data-renders': '0' });
    let view = null;
    let renders = 0;
    let queue = Promise.resolve();
    const draw = () => {
      queue = queue.then(async () => {
        view?.finalize();
        try {
          const result = await embed(target, specFor(chart, hidden, yScale), {
            renderer: 'svg',
            actions: { export: true, source: false, compiled: false, editor: false },
          });
          view = result.view;
          renders += 1;
          box.dataset.renders = String(renders);
          box.dataset.scale = yScale ?? '';
        } catch (e) {
          box.dataset.error = String(e);
          console.error(`chart ${chart.id}: ${e}`);
        }
      });
      return queue;
    };
    const controls = h('div', { class: 'controls' });
    for (const t of chart.toggles) {
      const group = h('fieldset', { 'data-toggle-group': t.field }, h('legend', null, t.label));
      for (const value of valuesOf(chart.spec, t.field)) {
        const input = h('input', {
          type: 'checkbox',
          checked: true,
          'data-toggle-field': t.field,
          'data-toggle-value': value,
          onchange: (ev) => {
            if (ev.target.checked) hidden[t.field].delete(value);
            else hidden[t.field].add(value);
            draw();
          },
        });
        group.append(h('label', null, input, ` ${value}`));
      }
      controls.append(group);
    }
    if (chart.yScale) {
      const group = h('fieldset', { 'data-scale-switch': '' }, h('legend', null, 'y axis'));
      for (const s of ['linear', 'log']) {
        const input = h('input', {
          type: 'radio',
          name: `scale-${chart.id}`,
          value: s,
          checked: s === yScale,
          onchange: () => {
            yScale = s;
            draw();
          },
        });
        group.append(h('label', null, input, ` ${s}`));
      }
      controls.append(group);
    }
    box.append(
      ...(chart.title ? [h('h3', null, chart.title)] : []),
      ...(controls.childElementCount > 0 ? [controls] : []),
      target,
      ...(chart.caption ? [h('p', { class: 'caption' }, chart.caption)] : []),
    );
    return { node: box, ready: draw() };
  }

  function imageBlock(img) {
    return h(
      'figure',
      { class: 'block image' },
      img.title ? h('h3', null, img.title) : null,
      h('img', { src: img.src, alt: img.alt }),
      img.caption ? h('figcaption', null, img.caption) : null,
    );
  }

  /** The Markdown a report's text may hold, as nodes: **bold**, `code`, [text](href); the rest is text. */
  function inline(text) {
    const out = [];
    const re = /\*\*(.+?)\*\*|`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\)/g;
    let at = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      if (m.index > at) out.push(text.slice(at, m.index));
      if (m[1] !== undefined) out.push(h('strong', null, m[1]));
      else if (m[2] !== undefined) out.push(h('code', null, m[2]));
      // Relative paths and http(s) only: a report never carries a script URL.
      else if (/^[a-z][a-z0-9+.-]*:/i.test(m[4]) && !/^https?:/i.test(m[4])) out.push(m[0]);
      else out.push(h('a', { href: m[4] }, m[3]));
      at = m.index + m[0].length;
    }
    if (at < text.length) out.push(text.slice(at));
    return out;
  }

  /** Draws blocks into `parent`; resolves when every chart in them is drawn. */
  function blocks(parent, list) {
    const pending = [];
    for (const b of list) {
      if (b.type === 'text') parent.append(h('p', null, inline(b.text)));
      else if (b.type === 'table') parent.append(tableBlock(b));
      else if (b.type === 'image') parent.append(imageBlock(b));
      else if (b.type === 'chart') {
        const c = chartBlock(b);
        parent.append(c.node);
        pending.push(c.ready);
      }
    }
    return Promise.all(pending);
  }

  const main = document.getElementById('main');
  const detail = document.getElementById('run-detail');
  const nav = h('nav', null, h('strong', null, 'Contents'));
  const header = h(
    'header',
    null,
    h('h1', null, report.title),
    report.description ? h('p', { class: 'description' }, report.description) : null,
    report.meta.length > 0
      ? h(
          'dl',
          { class: 'meta' },
          report.meta.flatMap((m) => [h('dt', null, m.label), h('dd', null, m.value)]),
        )
      : null,
  );
  main.append(header, nav);
  const pending = [];
  report.sections.forEach((s, i) => {
    const id = `section-${i + 1}`;
    nav.append(h('a', { href: `#${id}` }, s.title));
    const section = h('section', { id }, h('h2', null, s.title));
    main.append(section);
    pending.push(blocks(section, s.blocks));
  });
  if (report.runs) {
    nav.append(h('a', { href: '#runs' }, 'Runs'));
    const section = h(
      'section',
      { id: 'runs' },
      h('h2', null, 'Runs'),
      h('p', null, 'Click a run for its configuration and per-epoch numbers.'),
    );
    main.append(section);
    pending.push(blocks(section, [report.runs.table]));
  }

  function showDetail() {
    const m = /^#run=(.+)$/.exec(location.hash);
    const id = m ? decodeURIComponent(m[1]) : null;
    const d = id === null ? undefined : report.runs?.details[id];
    if (!d) {
      detail.hidden = true;
      detail.replaceChildren();
      main.hidden = false;
      return Promise.resolve();
    }
    main.hidden = true;
    detail.hidden = false;
    detail.dataset.run = id;
    detail.replaceChildren(h('p', null, h('a', { href: '#runs' }, '← all runs')), h('h2', null, `Run ${id}`));
    const list = [];
    if (d.chart) list.push(d.chart);
    if (d.epochs) list.push(d.epochs);
    const ready = blocks(detail, list);
    detail.append(
      h('h3', null, 'Configuration'),
      h('pre', { 'data-run-config': '' }, JSON.stringify(d.config, null, 2)),
    );
    if (d.result !== undefined)
      detail.append(h('h3', null, 'Result'), h('pre', null, JSON.stringify(d.result, null, 2)));
    window.scrollTo(0, 0);
    return ready;
  }
  window.addEventListener('hashchange', () => {
    showDetail();
  });
  pending.push(showDetail());
  Promise.all(pending).then(() => {
    document.body.dataset.ready = 'true';
  });
})();
