import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { columnRows, columnTable } from '../src/report/columns.ts';
import { runsIndex } from '../src/report/html/runs.ts';

// A table declared column by column (every kind's run index and per-configuration tables).
describe('columnTable', () => {
  const items = [
    { name: 'a', x: 1 },
    { name: 'b', x: 2.5 },
  ];
  const columns = [
    { key: 'name', label: 'name', value: (i: (typeof items)[number]) => i.name },
    {
      key: 'x2',
      label: 'twice x',
      align: 'right' as const,
      only: 'html' as const,
      value: (i: (typeof items)[number]) => i.x * 2,
    },
  ];

  it('keeps each column as declared without its reader, and reads one row per item', () => {
    expect(columnTable('t', columns, items, 'T')).toEqual({
      type: 'table',
      id: 't',
      title: 'T',
      columns: [
        { key: 'name', label: 'name' },
        { key: 'x2', label: 'twice x', align: 'right', only: 'html' },
      ],
      rows: [
        { name: 'a', x2: 2 },
        { name: 'b', x2: 5 },
      ],
    });
    expect('title' in columnTable('t', columns, items)).toBe(false);
  });

  it('gives every row exactly the column keys, in column order, whatever the items', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer()),
        // Keys are names (an integer-like key would be moved first by JavaScript's own key order).
        fc.uniqueArray(fc.stringMatching(/^[a-z][A-Za-z0-9]*$/), { minLength: 1 }),
        (xs, keys) => {
          const cols = keys.map((key, j) => ({ key, label: key, value: (x: number) => x + j }));
          const rows = columnRows(cols, xs);
          expect(rows).toHaveLength(xs.length);
          rows.forEach((row, i) => {
            expect(Object.keys(row)).toEqual(keys);
            for (const [j, k] of keys.entries()) expect(row[k]).toBe(xs[i] + j);
          });
        },
      ),
    );
  });

  it('runsIndex leads with the linked run id and keeps only key and label of the kind’s columns', () => {
    const runs = [
      { id: 'r1', loss: 0.5 },
      { id: 'r2', loss: 0.25 },
    ];
    const index = runsIndex(
      runs,
      [{ key: 'loss', label: 'loss', align: 'right', value: (r) => r.loss }],
      (r) => ({
        config: { id: r.id },
        result: {},
      }),
    );
    expect(index.table.columns).toEqual([
      { key: 'id', label: 'run', link: 'run' },
      { key: 'loss', label: 'loss' },
    ]);
    expect(index.table.rows).toEqual([
      { id: 'r1', loss: 0.5 },
      { id: 'r2', loss: 0.25 },
    ]);
    expect(Object.keys(index.details)).toEqual(['r1', 'r2']);
  });
});
