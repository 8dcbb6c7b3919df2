// report.md shows user-given text literally (issue 21, "report.md keeps raw HTML"): a description
// or a title holding HTML is written with entities, as report.html already escapes it, for every
// kind; escapeMarkdownText is the one function that does it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { escapeMarkdownText } from '../src/report/format.ts';
import {
  runTiny,
  tinyAutoencoderSpec,
  tinyNmfDataSpec,
  tinyNmfIdentitySpec,
  tinySaeSpec,
  tinyShallowPcaSpec,
} from './helpers/tiny-studies.ts';

const root = mkdtempSync(join(tmpdir(), 'nmfinit-report-md-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const HOSTILE = 'Before <script>alert(1)</script> <img src=x onerror="alert(2)"> & after';
const ESCAPED =
  'Before &lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror="alert(2)"&gt; &amp; after';

const readEntities = (s: string) =>
  s.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');

describe('escapeMarkdownText', () => {
  it('leaves no < or >, and reading the entities back gives the text', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('<', '>', '&', 'a', ' ', ';', 'l', 't', 'g', '#') }),
        (s) => {
          const e = escapeMarkdownText(s);
          expect(e).not.toMatch(/[<>]/);
          expect(readEntities(e)).toBe(s);
        },
      ),
    );
    expect(escapeMarkdownText(HOSTILE)).toBe(ESCAPED);
  });
});

describe('report.md of every kind writes a hostile description as text', () => {
  const kinds: [string, (dir: string) => Record<string, unknown>][] = [
    ['autoencoder-init', tinyAutoencoderSpec],
    ['nmf-identity', tinyNmfIdentitySpec],
    ['nmf-data', tinyNmfDataSpec],
    ['sae', tinySaeSpec],
    [
      'shallow-pca',
      (dir) => {
        const spec = tinyShallowPcaSpec(dir) as { datasets: Record<string, unknown>[] };
        spec.datasets[0].title = '<b onmouseover="alert(3)">blobs</b>';
        return spec;
      },
    ],
  ];
  for (const [kind, make] of kinds)
    it(kind, async () => {
      const dir = join(root, kind);
      await runTiny({ ...make(dir), description: HOSTILE } as unknown as { outputs: { dir: string } }, root);
      const md = readFileSync(join(dir, 'report.md'), 'utf8');
      expect(md).toContain(ESCAPED);
      expect(md).not.toMatch(/<script|<img|<b /);
      if (kind === 'shallow-pca') expect(md).toContain('## &lt;b onmouseover="alert(3)"&gt;blobs&lt;/b&gt;');
    }, 120_000);
});
