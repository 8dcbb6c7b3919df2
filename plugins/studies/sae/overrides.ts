import type { CliOverride } from 'nmfinit';
import type { SaeSpecInput } from './spec.ts';

// The SAE kind's grid flags. `--latents` keeps part of the grid, so a long study can train its
// cheap runs first (a run's cost grows with n) into the same folder; the full spec later skips them.
// A run's config names its data set entry by index, so no entry may be dropped: that would change
// the hash of every run after it, and the full spec would train them again.

/** Keeps the latent counts given, in the spec's grid and in each entry's own; every entry must keep one. */
export function keepLatents(spec: SaeSpecInput, keep: readonly number[]): SaeSpecInput {
  const ownOf = (d: SaeSpecInput['datasets'][number]) => d.latents ?? spec.latents;
  const all = [...new Set([...spec.latents, ...spec.datasets.flatMap(ownOf)])].sort((a, b) => a - b);
  const unknown = keep.filter((n) => !all.includes(n));
  if (unknown.length > 0)
    throw new Error(`--latents: ${unknown.join(', ')} not in the spec (it has ${all.join(', ')})`);
  const kept = (ns: readonly number[]) => ns.filter((n) => keep.includes(n));
  const emptied = spec.datasets.filter((d) => kept(ownOf(d)).length === 0);
  if (emptied.length > 0)
    throw new Error(
      `--latents ${keep.join(' ')} leaves no runs to data set entr${emptied.length > 1 ? 'ies' : 'y'} ${emptied
        .map((d) => `'${d.label ?? d.name}' (n = ${ownOf(d).join(', ')})`)
        .join(', ')}; runs name their entry by position, so an entry cannot be left out: keep one of its n`,
    );
  const top = kept(spec.latents);
  return {
    ...spec,
    // Entries that use the spec's grid get it written out, so emptying the spec's own list cannot reach them.
    latents: top.length > 0 ? top : kept(all),
    datasets: spec.datasets.map((d) => ({ ...d, latents: kept(ownOf(d)) })),
  };
}

export const saeOverrides: readonly CliOverride<SaeSpecInput>[] = [
  {
    flag: 'latents',
    type: 'counts',
    describe: 'latent counts n to keep from the grid (the runs keep their ids and hashes)',
    apply: keepLatents,
  },
];
