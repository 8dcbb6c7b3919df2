import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nmfIdentityDocument } from '../plugins/studies/nmf-identity/index.ts';
import { dirArtifacts } from '../src/experiment/artifacts.ts';
import { STORED_RUN_SCHEMA } from '../src/experiment/study-kind.ts';
import type { DocCell, DocTable, ReportDocument } from '../src/report/document.ts';
import { documentToHtml } from '../src/report/html/document.ts';
import { parseHtmlReport } from '../src/report/html/model.ts';
import { renderMarkdown, type SharedSections } from '../src/report/markdown.ts';

// The report pipeline's two renderers, on documents built in memory: no disk, no figures drawn.

const PNG_1x1 = Uint8Array.from(
  Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64',
  ),
);

const shared: SharedSections = {
  missing: [{ id: 'run-b', why: 'Error: boom' }],
  writtenBy: 'nmfinit 9.9.9, commit 0123456789ab',
  exports: ['metrics.csv (3 rows)'],
};

const doc: ReportDocument = {
  title: 'tiny',
  description: 'What it is for.',
  intro: [{ type: 'text', text: 'Intro **bold**.' }],
  sections: [
    {
      title: 'Numbers',
      blocks: [
        {
          type: 'table',
          id: 'numbers',
          columns: [
            { key: 'name', label: 'name' },
            { key: 'p', label: 'p', align: 'right' },
          ],
          rows: [
            { name: 'a', p: { value: 0.001, text: '0.0010', bold: true } },
            { name: 'b', p: { value: 0.5, text: '0.50' } },
          ],
        },
        { type: 'figure', file: 'curve', alt: 'the curve', spec: { mark: 'line', data: { values: [] } } },
      ],
      subsections: [
        {
          title: 'Detail',
          blocks: [
            { type: 'list', items: ['one', 'two'] },
            { type: 'image', file: 'grids/g', png: PNG_1x1, alt: 'a grid', title: 'The grid' },
          ],
        },
      ],
    },
  ],
  results: { schema: 'test/1', n: 2 },
};

describe('renderMarkdown', () => {
  it('prints the title, description, blocks, sections, then missing runs and provenance', () => {
    expect(renderMarkdown(doc, shared)).toBe(
      [
        '# tiny',
        '',
        'What it is for.',
        '',
        'Intro **bold**.',
        '',
        '## Numbers',
        '',
        '| name | p |',
        '| --- | ---: |',
        '| a | **0.0010** |',
        '| b | 0.50 |',
        '',
        '![the curve](curve.png)',
        '',
        '### Detail',
        '',
        '- one',
        '- two',
        '',
        '![a grid](grids/g.png)',
        '',
        '## Missing runs (1)',
        '',
        '- run-b: Error: boom',
        '',
        '## Provenance',
        '',
        'Written by nmfinit 9.9.9, commit 0123456789ab.',
        '',
        'Also written:',
        '',
        '- metrics.csv (3 rows)',
        '',
      ].join('\n'),
    );
  });

  it("shows the user's description and section titles literally: raw HTML stays text", () => {
    const md = renderMarkdown(
      { ...doc, description: '<img src=x> & co', sections: [{ title: '<b>data</b>', blocks: [] }] },
      shared,
    );
    expect(md).toContain('\n&lt;img src=x&gt; &amp; co\n');
    expect(md).toContain('\n## &lt;b&gt;data&lt;/b&gt;\n');
    expect(md).not.toContain('<img');
  });

  it('leaves a column only report.html shows out of report.md', () => {
    const t: DocTable = {
      type: 'table',
      id: 't',
      columns: [
        { key: 'a', label: 'a' },
        { key: 'n', label: 'seeds', only: 'html' },
      ],
      rows: [{ a: 'x', n: 3 }],
    };
    const d: ReportDocument = { ...doc, intro: [], sections: [{ title: 'T', blocks: [t] }] };
    expect(renderMarkdown(d, shared)).toContain('## T\n\n| a |\n| --- |\n| x |\n');
    const html = documentToHtml(d, shared, { label: 'runs', value: '0' }).sections[0].blocks[0];
    expect(html.type === 'table' && html.columns.map((c) => c.label)).toEqual(['a', 'seeds']);
  });

  it('leaves out an empty description and, with nothing missing, the missing runs', () => {
    const md = renderMarkdown({ ...doc, description: '' }, { ...shared, missing: [] });
    expect(md.startsWith('# tiny\n\nIntro **bold**.\n')).toBe(true);
    expect(md).not.toContain('Missing runs');
  });
});

describe('documentToHtml', () => {
  const html = parseHtmlReport(documentToHtml(doc, shared, { label: 'runs', value: '1 stored, 1 missing' }));
  const blocks = html.sections.flatMap((s) => s.blocks);

  it('is a valid report.html with the same sections, the subsection flattened, and the shared ones', () => {
    expect(html.sections.map((s) => s.title)).toEqual([
      'About',
      'Numbers',
      'Detail',
      'Missing runs',
      'Provenance',
    ]);
    expect(html.meta.at(-1)).toEqual({ label: 'runs', value: '1 stored, 1 missing' });
  });

  it('keeps every table cell and its bold, draws figures with tooltips and inlines images', () => {
    const numbers = blocks.find((b) => b.type === 'table' && b.id === 'numbers');
    expect(numbers?.type === 'table' && numbers.rows).toEqual([
      { name: 'a', p: { value: 0.001, text: '0.0010', bold: true } },
      { name: 'b', p: { value: 0.5, text: '0.50' } },
    ]);
    const chart = blocks.find((b) => b.type === 'chart');
    expect(chart?.type === 'chart' && chart.id).toBe('figure-curve');
    expect(chart?.type === 'chart' && chart.spec.mark).toEqual({ type: 'line', tooltip: true });
    const image = blocks.find((b) => b.type === 'image');
    expect(image?.type === 'image' && image.src.startsWith('data:image/png;base64,')).toBe(true);
    expect(image?.type === 'image' && image.title).toBe('The grid');
    const missing = blocks.find((b) => b.type === 'table' && b.id === 'missing-runs');
    expect(missing?.type === 'table' && missing.rows).toEqual([{ id: 'run-b', why: 'Error: boom' }]);
    const texts = blocks.flatMap((b) => (b.type === 'text' ? [b.text] : []));
    expect(texts).toEqual(
      expect.arrayContaining([
        'Intro **bold**.',
        '• one',
        'Written by nmfinit 9.9.9, commit 0123456789ab.',
        '• metrics.csv (3 rows)',
      ]),
    );
  });
});

describe('report.md and report.html from one document', () => {
  const text = fc
    .string({ minLength: 1, maxLength: 12 })
    .filter((s) => !/[|*\n\r]/.test(s) && s.trim() === s);
  const cell: fc.Arbitrary<DocCell> = fc.oneof(
    text,
    fc.integer(),
    fc.record({ value: fc.double({ noNaN: true }), text, bold: fc.boolean() }),
  );
  const table = fc.integer({ min: 1, max: 4 }).chain((columns) =>
    fc.record({
      type: fc.constant('table' as const),
      id: fc.constant('t'),
      columns: fc.constant(
        Array.from({ length: columns }, (_, c) => ({ key: `c${c}`, label: `column ${c}` })),
      ),
      rows: fc.array(
        fc
          .tuple(...Array.from({ length: columns }, () => cell))
          .map((cells) => Object.fromEntries(cells.map((v, c) => [`c${c}`, v]))),
        { maxLength: 6 },
      ),
    }),
  );

  it('print the same cells, bold in both or in neither', () => {
    fc.assert(
      fc.property(table, (t: DocTable) => {
        const d: ReportDocument = { ...doc, intro: [], sections: [{ title: 'T', blocks: [t] }] };
        const md = renderMarkdown(d, { ...shared, missing: [] }).split('\n');
        const html = documentToHtml(d, { ...shared, missing: [] }, { label: 'runs', value: '0' });
        const shown = html.sections[0].blocks[0];
        if (shown.type !== 'table') throw new Error('expected the table first');
        const header = md.indexOf(`| ${t.columns.map((c) => c.label).join(' | ')} |`);
        expect(header).toBeGreaterThan(0);
        t.rows.forEach((_, r) => {
          const line = md[header + 2 + r];
          const cells = line.slice(2, -2).split(' | ');
          t.columns.forEach((c, i) => {
            const h = shown.rows[r][c.key];
            const text = h !== null && typeof h === 'object' ? h.text : String(h);
            const bold = h !== null && typeof h === 'object' && h.bold === true;
            expect(cells[i]).toBe(bold ? `**${text}**` : text);
          });
        });
      }),
      { numRuns: 200 },
    );
  });
});

describe('a kind describes its report without a disk', () => {
  it('nmf-identity: one row per n × k × method, the mean over seeds, and the results', () => {
    const run = (n: number, k: number, seed: number, error: number) => {
      const config = {
        id: `n${n}__k${k}__cd__random__seed${seed}`,
        seed,
        backend: 'reference',
        n,
        k,
        solver: 'cd' as const,
        init: 'random' as const,
        maxIter: 10,
        tol: 0,
      };
      return {
        schema: STORED_RUN_SCHEMA,
        kind: 'nmf-identity',
        id: config.id,
        configHash: '',
        config,
        result: { error, bound: Math.sqrt(n - k), iterations: 10, converged: true, seconds: 0.5 },
        timing: { seconds: 1, startedAt: '', finishedAt: '' },
      };
    };
    const d = nmfIdentityDocument({
      dir: '/nowhere',
      spec: {
        name: 'x',
        description: '',
        kind: 'nmf-identity',
        backend: 'reference',
        firstSeed: 0,
        sizes: [4],
        ranks: [2],
        solvers: ['cd'],
        inits: ['random'],
        seeds: 2,
        maxIter: 10,
        tol: 0,
        outputs: { dir: '/nowhere' },
      },
      runs: [run(4, 2, 0, Math.sqrt(2)), run(4, 2, 1, 2 * Math.sqrt(2))],
      missing: [],
      failed: [],
      artifacts: dirArtifacts('/nowhere'),
    });
    const table = d.sections[0].blocks.find((b) => b.type === 'table');
    expect(table?.type === 'table' && table.rows).toHaveLength(1);
    // Ratios 1 and 2: mean 1.5.
    expect(table?.type === 'table' && table.rows[0].ratio).toEqual({ value: 1.5, text: '1.50000' });
    expect(d.results).toMatchObject({ schema: 'nmfinit.nmf-identity/1', rows: [{ n: 4, k: 2, seeds: 2 }] });
    expect(
      d.sections[0].blocks.filter((b) => b.type === 'figure').map((b) => b.type === 'figure' && b.file),
    ).toEqual(['nmf-identity_error', 'nmf-identity_time']);
  });
});
