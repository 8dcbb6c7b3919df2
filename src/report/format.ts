/** Mean and sample standard deviation (n − 1) of the finite values; `nonFinite` counts the rest. */
export function meanSd(values: readonly number[]): {
  mean: number;
  sd: number;
  n: number;
  nonFinite: number;
} {
  const finite = values.filter(Number.isFinite);
  const n = finite.length;
  const mean = n > 0 ? finite.reduce((s, v) => s + v, 0) / n : Number.NaN;
  const sd = n > 1 ? Math.sqrt(finite.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, n, nonFinite: values.length - n };
}

/** The mark for a value that is not there (no runs, a test not run), in report.md and report.html alike. */
export const MISSING_MARK = '—';

/**
 * "mean ± sd" for a table cell, e.g. [0.0211, 0.0215] → "0.0213 ± 0.0003": the mean to `digits`
 * significant digits and the sd to the same decimal place. A single value has no "± sd".
 * Non-finite values (diverged runs) are left out and counted: "0.0213 ± 0.0003 (1/3 non-finite)".
 */
export function formatMeanSd(values: readonly number[], digits = 3): string {
  if (!(Number.isInteger(digits) && digits >= 1 && digits <= 15)) {
    throw new RangeError(`formatMeanSd: digits must be an integer in 1..15, got ${digits}`);
  }
  if (values.length === 0) return MISSING_MARK;
  const { mean, sd, n, nonFinite } = meanSd(values);
  const note = nonFinite > 0 ? ` (${nonFinite}/${values.length} non-finite)` : '';
  if (n === 0) return `non-finite (${nonFinite}/${values.length})`;
  const magnitude = mean === 0 ? 0 : Math.floor(Math.log10(Math.abs(mean)));
  const decimals = Math.min(20, Math.max(0, digits - 1 - magnitude));
  const body = n > 1 ? `${mean.toFixed(decimals)} ± ${sd.toFixed(decimals)}` : mean.toFixed(decimals);
  return body + note;
}

/**
 * User-given text (a description, a title) as Markdown that shows it literally: `&`, `<` and `>`
 * become entities, so raw HTML in it stays text in report.md as it does in report.html.
 */
export function escapeMarkdownText(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/**
 * What every report says under a column of wall-clock seconds. Runs share the machine's cores with
 * other workers and run in grid order, so a run's seconds measure the load it met as much as its
 * own work: they must never read as a property of an initializer or a configuration.
 */
export const WALL_TIME_NOTE =
  'Times are wall-clock seconds: they depend on machine load and run order (runs share the cores ' +
  'with the other workers), so they are not a property of the initializer or configuration.';

/** A column label for wall-clock seconds, e.g. wallLabel('one epoch') → "one epoch (s, wall)". */
export const wallLabel = (what: string): string => `${what} (s, wall)`;
