import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    // The package imports itself by name (as a user's plugin would); map that to the sources.
    alias: [
      { find: /^nmfinit$/, replacement: here('./src/index.ts') },
      { find: /^nmfinit\/testing$/, replacement: here('./src/testing/index.ts') },
      { find: /^nmfinit\/plugins$/, replacement: here('./plugins/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: one test file at a time on CI's two.
    // Most files keep one core busy, so two at once halve the wall time there.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
