import { studies } from './kinds.ts';
import type { CliOverrideType, CliOverrideValues, StudyKind } from './study-kind.ts';
import { ExperimentSpecError } from './validate.ts';

// The grid flags of `nmfinit run` and experiment files (`--datasets`, `--samples`, …) belong to
// the kinds that declare them (`StudyKind.cliOverrides`). The CLI offers the flags of every
// registered kind; each value is checked here by its declared type and handed to the chosen kind,
// which alone knows what it changes in its spec. A flag the chosen kind does not declare is refused.

type Kind = Pick<StudyKind, 'name' | 'cliOverrides'>;

/** A flag as the CLI offers it: its type, its help text (the first declaring kind's) and the kinds that take it. */
export interface DeclaredFlag {
  readonly type: CliOverrideType;
  readonly describe: string;
  readonly kinds: readonly string[];
}

/** Every grid flag the kinds declare; one name must have one type across kinds, or the CLI could not parse it. */
export function declaredFlags(kinds: readonly Kind[] = studies.list()): Map<string, DeclaredFlag> {
  const flags = new Map<string, DeclaredFlag>();
  for (const kind of kinds)
    for (const o of kind.cliOverrides ?? []) {
      const seen = flags.get(o.flag);
      if (seen && seen.type !== o.type)
        throw new Error(
          `study kind '${kind.name}' declares --${o.flag} as ${o.type}, but ${seen.kinds.map((k) => `'${k}'`).join(', ')} declare it as ${seen.type}; one flag has one type`,
        );
      flags.set(o.flag, {
        type: o.type,
        describe: seen?.describe ?? o.describe,
        kinds: [...(seen?.kinds ?? []), kind.name],
      });
    }
  return flags;
}

const positiveInteger = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v);
const isPositiveInteger = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0;
const quoted = (v: unknown) => (typeof v === 'string' ? `'${v}'` : String(v));

/** A flag's value checked against its type; errors name the flag and the bad value. */
export function parseFlagValue<T extends CliOverrideType>(
  flag: string,
  type: T,
  raw: unknown,
): CliOverrideValues[T] {
  if (type === 'count') {
    // yargs makes an array of a flag given twice; a second value must not silently win.
    if (Array.isArray(raw))
      throw new RangeError(`--${flag} was given ${raw.length} times (${raw.join(', ')}); give it once`);
    const n = positiveInteger(raw);
    if (!isPositiveInteger(n)) throw new RangeError(`--${flag} takes a positive integer, got ${raw}`);
    return n as CliOverrideValues[T];
  }
  const values: unknown[] = Array.isArray(raw) ? raw : [raw];
  if (type === 'names') {
    const bad = values.find((v) => typeof v !== 'string' || v === '');
    if (bad !== undefined) throw new RangeError(`--${flag} takes names, got ${quoted(bad)}`);
    return values as CliOverrideValues[T];
  }
  return values.map((v) => {
    if (type === 'sizes' && v === 'all') return 'all';
    const n = positiveInteger(v);
    if (isPositiveInteger(n)) return n;
    throw new RangeError(
      type === 'sizes'
        ? `--${flag} takes positive integers or 'all', got ${quoted(v)}`
        : `--${flag} takes positive integers, got ${v}`,
    );
  }) as CliOverrideValues[T];
}

/**
 * The grid flags given (flag name → value; undefined: not given) applied to a raw spec by the
 * kind, in the order the kind declares them. A flag the kind does not declare is an error naming
 * the flag, the kind, and the kinds that do take it.
 */
export function applyCliOverrides(
  kind: Kind,
  spec: unknown,
  given: Readonly<Record<string, unknown>>,
  kinds: readonly Kind[] = studies.list(),
): unknown {
  const own = kind.cliOverrides ?? [];
  for (const [flag, value] of Object.entries(given)) {
    if (value === undefined || own.some((o) => o.flag === flag)) continue;
    const takers = declaredFlags(kinds).get(flag)?.kinds ?? [];
    throw new ExperimentSpecError(
      `--${flag}: not supported by study kind '${kind.name}' (${
        own.length > 0
          ? `its grid flags: ${own.map((o) => `--${o.flag}`).join(', ')}`
          : 'it takes no grid flags'
      }); ${takers.length > 0 ? `--${flag} is a flag of ${takers.map((k) => `'${k}'`).join(', ')}` : 'no study kind declares it'}`,
    );
  }
  let out = spec;
  for (const o of own) {
    const value = given[o.flag];
    if (value === undefined) continue;
    // The union of flag types narrows per declaration; each apply gets its own type's value.
    out = (o.apply as (s: unknown, v: unknown) => unknown)(out, parseFlagValue(o.flag, o.type, value));
  }
  return out;
}
