import { nmfinitProvenance } from '../provenance.ts';

/** The facts every report.html shows under its title: nmfinit's version and commit, and when. */
export function reportMeta(
  extra: { label: string; value: string }[] = [],
): { label: string; value: string }[] {
  const p = nmfinitProvenance();
  const commit =
    p.commit === null
      ? 'not a git checkout'
      : `${p.commit.slice(0, 12)}${p.dirty ? ' (with uncommitted changes)' : ''}`;
  return [
    { label: 'nmfinit', value: p.version },
    { label: 'commit', value: commit },
    { label: 'written', value: new Date().toISOString() },
    ...extra,
  ];
}
