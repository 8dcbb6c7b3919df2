import { type DocImage, imageGrid, type LossSeries, meanSd, panelFigure } from 'nmfinit';
import type { DisplaySet } from './data.ts';
import { fileBase, type ResultSet, recipeText, samplesText } from './grid.ts';
import { reconstructionRows } from './recon-grid.ts';
import { type RunResult, valCurve } from './result.ts';

// The autoencoder report's drawn figures: the loss plot's series, the reconstruction grid of a
// result set, and the one-page panel of a data set's loss plots.

/** Per initializer with runs, the mean validation loss across seeds and a band from the lowest to the highest seed. */
export function lossSeries(
  byInit: readonly { label: string; runs: RunResult[] }[],
  epochs: number,
): LossSeries[] {
  return byInit
    .filter((g) => g.runs.length > 0)
    .map((g) => {
      const curves = g.runs.map((r) => valCurve(r, epochs));
      const stats = Array.from({ length: epochs + 1 }, (_, e) => meanSd(curves.map((c) => c[e])));
      // Where the line ends: the first recorded divergence, or an earlier non-finite point
      // (a loss that is already infinite at initialization).
      const firstNonFinite = stats.findIndex((x) => !Number.isFinite(x.mean));
      const divergedAt = [
        ...g.runs.map((r) => r.diverged?.epoch),
        firstNonFinite >= 0 ? firstNonFinite : undefined,
      ]
        .filter((e): e is number => e !== undefined && e <= epochs)
        .sort((a, b) => a - b)[0];
      const s: LossSeries = {
        label: g.label,
        epochs: stats.map((_, e) => e),
        mean: stats.map((x) => x.mean),
      };
      if (g.runs.length > 1) {
        // The band spans the seeds (min to max): honest when one seed is stuck, and always
        // positive on the log axis, which mean − sd is not.
        const finiteAt = (e: number) => curves.map((c) => c[e]).filter(Number.isFinite);
        s.lower = stats.map((_, e) => Math.min(...finiteAt(e)));
        s.upper = stats.map((_, e) => Math.max(...finiteAt(e)));
      }
      if (divergedAt !== undefined) s.divergedAtEpoch = divergedAt;
      return s;
    });
}

/**
 * The reconstruction grid: the originals, then per initializer its first seed at epoch 0 and
 * after set.epochs, each row with its MSE on the images shown.
 */
export function reconstructionImage(
  set: ResultSet,
  byInit: readonly { label: string; runs: RunResult[] }[],
  shown: DisplaySet,
  shownName: string,
): DocImage {
  const groups = byInit.filter((g) => g.runs[0]).map((g) => ({ label: g.label, run: g.runs[0] }));
  const seedsShown = [...new Set(groups.map((g) => g.run.config.seed))];
  const { rows } = reconstructionRows(
    shown.originals,
    shown.imageShape as [number, number],
    groups.map((g) => ({
      label: seedsShown.length > 1 ? `${g.label} (seed ${g.run.config.seed})` : g.label,
      snapshots: g.run.snapshots,
    })),
    [0, set.epochs],
  );
  const grid = imageGrid({
    rows,
    imageShape: shown.imageShape as [number, number],
    scale: 3,
    columnLabels: shown.columnLabels,
    title: `${shownName}: reconstructions at initialization and after ${set.epochs} epochs (${samplesText(set.samples)} samples${recipeText(set)}${seedsShown.length === 1 ? `, seed ${seedsShown[0]}` : ''})`,
  });
  const file = fileBase(set, 'reconstruction');
  return { type: 'image', file, alt: 'reconstructions', title: file, ...grid };
}

/** One data set's (and recipe's) loss plots on one page: samples down, epochs across, as the seed's README lays them out. */
export function lossPanels(
  list: readonly { set: ResultSet; svg: string }[],
  names: ReadonlyMap<string, string>,
): DocImage {
  const samples = [...new Set(list.map((p) => p.set.samples))];
  const epochs = [...new Set(list.map((p) => p.set.epochs))].sort((a, b) => a - b);
  const first = list[0].set;
  const figure = panelFigure({
    title: `${names.get(first.datasetLabel) ?? first.datasetLabel}: validation MSE per epoch${recipeText(first)}`,
    panels: samples.map((n) =>
      epochs.map((e) => list.find((p) => p.set.samples === n && p.set.epochs === e)?.svg ?? null),
    ),
    rowLabels: samples.map((n) => `${samplesText(n)} training samples`),
    columnLabels: epochs.map((e) => `${e} epochs`),
  });
  return {
    type: 'image',
    file: `${first.datasetLabel}_loss_panels${first.recipe ? `_${first.recipe}` : ''}`,
    alt: `${names.get(first.datasetLabel) ?? first.datasetLabel}: all loss plots`,
    ...figure,
  };
}
