import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serveReport } from '../src/cli/view-server.ts';
import { loadStudy, writeReport } from '../src/experiment/study.ts';
import { runTiny, tinyNmfIdentitySpec } from './helpers/tiny-studies.ts';

// `nmfinit view`: the report on 127.0.0.1, redrawn and reloaded when a run is stored.
const root = mkdtempSync(join(tmpdir(), 'nmfinit-view-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Reads server-sent events from `url` until `count` 'reload' events came (or the signal aborts). */
async function reloads(url: string, count: number, signal: AbortSignal): Promise<number> {
  const res = await fetch(url, { signal });
  const reader = res.body!.getReader();
  let seen = 0;
  let text = '';
  while (seen < count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    seen = text.split('event: reload').length - 1;
  }
  await reader.cancel();
  return seen;
}

/** The ids in the index of runs of a served report.html. */
function runIds(html: string): string[] {
  const json = /<script type="application\/json" id="nmfinit-data">(.*?)<\/script>/s.exec(html)?.[1];
  const data = JSON.parse(json ?? '{}') as { runs?: { table: { rows: { id: string }[] } } };
  return (data.runs?.table.rows ?? []).map((r) => r.id);
}

describe('nmfinit view', () => {
  it('serves report.html with a reload hook, and reloads it when a run is stored', async () => {
    const dir = join(root, 'study');
    const spec = tinyNmfIdentitySpec(dir);
    await runTiny(spec, root);
    // Take one run away, as if it were still running.
    const [gone] = readdirSync(join(dir, 'runs')).sort();
    const id = gone.replace(/\.json$/, '');
    rmSync(join(dir, 'runs', gone));
    await writeReport(loadStudy([dir]), { allowPartial: true, log: () => {} });

    const server = await serveReport(dir, {
      pollMs: 100,
      regenerate: async () => {
        await writeReport(loadStudy([dir]), { allowPartial: true, log: () => {} });
      },
      log: () => {},
    });
    const stop = new AbortController();
    const timeout = setTimeout(() => stop.abort(), 60_000);
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const before = await (await fetch(server.url)).text();
      expect(before).toContain('nmfid-tiny');
      expect(before).toContain('/__nmfinit/events');
      // The missing run has no row in the index of runs; the Missing runs section names it.
      expect(runIds(before)).not.toContain(id);
      expect(before).toContain(`"id":"${id}","why":"not run"`);
      expect((await fetch(`${server.url}elsewhere`)).status).toBe(404);

      const events = reloads(`${server.url}__nmfinit/events`, 1, stop.signal);
      const reloaded = server.nextReload();
      await runTiny(spec, root); // runs only the missing run, stores it
      await reloaded;
      expect(await events).toBe(1);
      const after = await (await fetch(server.url)).text();
      expect(runIds(after)).toContain(id);
      expect(after).not.toContain(`"id":"${id}","why":"not run"`);
    } finally {
      clearTimeout(timeout);
      stop.abort();
      await server.close();
    }
  });

  it('binds to the loopback address only', async () => {
    const server = await serveReport(join(root, 'none'), { regenerate: async () => {}, log: () => {} });
    try {
      const page = await (await fetch(server.url)).text();
      expect(page).toContain('No report yet');
      // Not reachable on another address of this machine: the socket is 127.0.0.1's.
      await expect(fetch(`http://[::1]:${server.port}/`)).rejects.toThrow();
    } finally {
      await server.close();
    }
  });
});
