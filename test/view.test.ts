import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
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

  it('answers only Host headers naming the bound address (DNS rebinding), 403 otherwise', async () => {
    const server = await serveReport(join(root, 'none'), { regenerate: async () => {}, log: () => {} });
    const p = server.port;
    try {
      for (const host of [`127.0.0.1:${p}`, `localhost:${p}`, `LOCALHOST:${p}`, `[::1]:${p}`]) {
        const r = await get(p, '/', host);
        expect({ host, status: r.status }).toEqual({ host, status: 200 });
        expect(r.body).toContain('No report yet');
      }
      for (const host of [
        `evil.example:${p}`,
        'evil.example',
        `127.0.0.1.evil.example:${p}`,
        `localhost:${p + 1}`,
        '127.0.0.1',
        `localhost.:${p}`,
      ]) {
        const r = await get(p, '/', host);
        expect({ host, status: r.status }).toEqual({ host, status: 403 });
        expect(r.body).not.toContain('No report yet');
      }
      // The event stream is guarded too.
      expect((await get(p, '/__nmfinit/events', `rebound.example:${p}`)).status).toBe(403);
    } finally {
      await server.close();
    }
  });

  it('does not follow a report.html symlink out of the study directory', async () => {
    const dir = join(root, 'linked');
    mkdirSync(dir, { recursive: true });
    const secret = join(root, 'secret.txt');
    writeFileSync(secret, 'SECRET-OUTSIDE');
    symlinkSync(secret, join(dir, 'report.html'));
    const logged: string[] = [];
    const server = await serveReport(dir, { regenerate: async () => {}, log: (m) => logged.push(m) });
    try {
      for (const path of ['/', '/report.html']) {
        const r = await get(server.port, path, `127.0.0.1:${server.port}`);
        expect(r.status).toBe(403);
        expect(r.body).not.toContain('SECRET-OUTSIDE');
      }
      expect(logged.join('\n')).toContain('leads outside');
      // A link that stays inside the directory is still served.
      rmSync(join(dir, 'report.html'));
      writeFileSync(join(dir, 'real.html'), '<html><body>INSIDE</body></html>');
      symlinkSync(join(dir, 'real.html'), join(dir, 'report.html'));
      const ok = await get(server.port, '/', `127.0.0.1:${server.port}`);
      expect(ok.status).toBe(200);
      expect(ok.body).toContain('INSIDE');
    } finally {
      await server.close();
    }
  });
});

/** GET with an explicit Host header (fetch will not send a forged one). */
function get(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
        // The event stream never ends: its first bytes are enough.
        if (res.statusCode === 200 && path.includes('events')) req.destroy();
      });
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
      res.on('close', () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    req.end();
  });
}
