import type { DocCell, DocColumn, DocTable } from './document.ts';
import { MISSING_MARK } from './format.ts';

// A table declared column by column: each column says once which field it is, what it is called
// and how its cell is read from one item (a run, a configuration). Every kind's run index and
// per-configuration tables are built this way, so no row repeats the column keys.

/** A column of a table and how its cell is read from one item. */
export type ValueColumn<T> = DocColumn & { readonly value: (item: T) => DocCell };

/** One row per item, with a field per column, in column order. */
export function columnRows<T>(
  columns: readonly ValueColumn<T>[],
  items: readonly T[],
): Record<string, DocCell>[] {
  return items.map((item) => Object.fromEntries(columns.map((c) => [c.key, c.value(item)])));
}

/** A table of the items: its columns as declared (without their readers) and a row per item. */
export function columnTable<T>(
  id: string,
  columns: readonly ValueColumn<T>[],
  items: readonly T[],
  title?: string,
): DocTable {
  return {
    type: 'table',
    id,
    ...(title !== undefined && { title }),
    columns: columns.map(({ value: _, ...column }) => column),
    rows: columnRows(columns, items),
  };
}

/** A right-aligned column (numbers; report.md aligns it so). */
export function rightColumn<T>(key: string, label: string, value: (item: T) => DocCell): ValueColumn<T> {
  return { key, label, align: 'right', value };
}

/** A cell that sorts by the number and prints the text (e.g. a fixed number of decimals). */
export const numberCell = (value: number, text: string): DocCell => ({ value, text });

/** A number printed by `format`, or the missing mark where it is not finite (a test that was not run). */
export const finiteCell = (value: number, format: (v: number) => string): DocCell =>
  Number.isFinite(value) ? numberCell(value, format(value)) : { value: null, text: MISSING_MARK };
