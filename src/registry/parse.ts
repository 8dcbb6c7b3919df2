import type { z } from 'zod';
import { formatZodIssues } from './zod-errors.ts';

export interface ParseOptions {
  /** Prefixed to every field path in the message (e.g. 'params'). */
  root?: string;
  /** The error class to throw (default: ValidationError), so callers keep their own error types. */
  error?: new (
    message: string,
  ) => Error;
}

/** Bad input, with a message that names each bad field and what was expected. */
export class ValidationError extends Error {
  override name = 'ValidationError';
}

/**
 * The one parse-or-throw: validates `raw` with `schema` (defaults filled in) or throws
 * "`where`: path.to.field: message; …". Every spec, plugin parameter and stored file goes
 * through here.
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  where: string,
  options: ParseOptions = {},
): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const Err = options.error ?? ValidationError;
  throw new Err(`${where}: ${formatZodIssues(result.error.issues, options.root ?? '')}`);
}
