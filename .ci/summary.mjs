// Prints "tests: N passed, M failed" from vitest's JSON report (or says why there is none).
import { existsSync, readFileSync } from 'node:fs';

const [report, status] = process.argv.slice(2);
if (!existsSync(report)) {
  console.log(
    `tests: 0 passed, 0 failed (no test report: the type check or the runner failed, exit ${status})`,
  );
  process.exit(0);
}
const r = JSON.parse(readFileSync(report, 'utf8'));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
console.log(
  `tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`,
);
