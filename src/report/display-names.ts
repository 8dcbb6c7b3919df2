// One title style in every kind's figures and headings: a data set by its plugin's displayName
// ("MNIST digits"), not its plugin name or label ("mnist"). The kind passes the lookup (src/report
// never reads the data registry).

/**
 * Each entry's name in titles, by label (label ?? name): `title` where the entry gives one, else its
 * plugin's displayName, else its label. Entries that would share a name keep their label in brackets.
 */
export function displayNames(
  refs: readonly { name: string; label?: string; title?: string }[],
  lookup: (name: string) => { displayName?: string } | undefined,
): Map<string, string> {
  const labelOf = (r: { name: string; label?: string }) => r.label ?? r.name;
  const base = refs.map((r) => r.title ?? lookup(r.name)?.displayName ?? labelOf(r));
  return new Map(
    refs.map((r, i) => [
      labelOf(r),
      base.filter((b) => b === base[i]).length > 1 && base[i] !== labelOf(r)
        ? `${base[i]} (${labelOf(r)})`
        : base[i],
    ]),
  );
}
