import type { z } from 'zod';

/** Formats zod issues as "path.to.field: message" joined by "; ", so errors name the bad field. */
/** The most issues one message names: a result with a NaN in every record would otherwise list thousands. */
export const MAX_NAMED_ISSUES = 10;

export function formatZodIssues(issues: readonly z.core.$ZodIssue[], root = ''): string {
  const more = issues.length - MAX_NAMED_ISSUES;
  return issues
    .slice(0, MAX_NAMED_ISSUES)
    .map((issue) => {
      const path = [root, ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))]
        .filter((s) => s !== '')
        .join('.')
        .replace(/\.\[/g, '[');
      // Unknown keys are named in the path, with the keys that are allowed.
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((k) => `${path ? `${path}.` : ''}${k}: unknown key`).join('; ');
      }
      return `${path || '(root)'}: ${issue.message}`;
    })
    .concat(more > 0 ? [`… and ${more} more`] : [])
    .join('; ');
}
