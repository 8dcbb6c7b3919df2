import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseFastest, measureGemm } from '../src/backend/auto.ts';
import { autoBackendName, getBackend } from '../src/backend/index.ts';
import type { Backend } from '../src/backend/types.ts';

const fake = (name: string): Backend => ({ name, description: name, gemm: () => {} });

describe('auto backend selection', () => {
  it('picks the candidate measured fastest and remembers it, measuring only once per machine', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmfinit-auto-'));
    const rates: Record<string, number> = { a: 3, b: 40, c: 12 };
    const measured: string[] = [];
    const measure = (b: Backend) => {
      measured.push(b.name);
      return rates[b.name];
    };
    const first = chooseFastest(['a', 'b', 'c'], fake, dir, measure);
    expect(first.chosen).toBe('b');
    expect(first.gflops).toEqual(rates);
    rates.a = 100; // a later measurement would differ, but the stored choice is kept
    expect(chooseFastest(['a', 'b', 'c'], fake, dir, measure).chosen).toBe('b');
    expect(measured).toEqual(['a', 'b', 'c']);
  });

  it('measures again when the candidates change or the stored choice is unreadable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmfinit-auto-'));
    const measure = (b: Backend) => ({ a: 1, b: 2, c: 3 })[b.name as 'a'];
    expect(chooseFastest(['a', 'b'], fake, dir, measure).chosen).toBe('b');
    expect(chooseFastest(['a', 'b', 'c'], fake, dir, measure).chosen).toBe('c');
    writeFileSync(join(dir, 'auto-backend.json'), '{ truncated');
    expect(chooseFastest(['a', 'b'], fake, dir, measure).chosen).toBe('b');
  });

  it('a backend that throws while measured is never chosen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmfinit-auto-'));
    const broken = (name: string): Backend => ({
      ...fake(name),
      gemm: () => {
        if (name === 'x') throw new Error('no context');
      },
    });
    expect(chooseFastest(['x', 'y'], broken, dir, (b) => (b.name === 'y' ? 1 : measureGemm(b))).chosen).toBe(
      'y',
    );
  });

  it('auto resolves to an available backend, and getBackend("auto") is that backend', () => {
    const name = autoBackendName();
    expect(getBackend('auto')).toBe(getBackend(name));
  });
});
