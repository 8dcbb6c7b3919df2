import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

// `nmfinit view`: serves a study's report.html on 127.0.0.1 and reloads the page as runs finish.
// It polls runs/ and failed/ (fs.watch misses events on some file systems), redraws the report
// when they change, and tells every open page over server-sent events.

export interface ViewOptions {
  /** 0 (the default) takes a free port. */
  port?: number;
  /** How often runs/ is looked at, in ms (default 1000). */
  pollMs?: number;
  /** Redraws the report from the stored runs (loadStudy + writeReport). */
  regenerate: () => Promise<void>;
  log?: (message: string) => void;
}

export interface ViewServer {
  readonly url: string;
  readonly port: number;
  /** Resolves after the next redraw-and-notify (for tests). */
  nextReload(): Promise<void>;
  close(): Promise<void>;
}

const EVENTS = '/__nmfinit/events';
// Appended to the served page only: the file itself stays free of any network code.
const LIVE_SCRIPT = `<script>new EventSource('${EVENTS}').addEventListener('reload', () => location.reload());</script>`;
const WAITING =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>nmfinit view</title></head>' +
  '<body><p>No report yet: it appears when the first run has finished.</p></body></html>';

/** Names and sizes/mtimes of the files in runs/ and failed/: changes when a run is stored. */
function runsSignature(dir: string): string {
  const parts: string[] = [];
  for (const sub of ['runs', 'failed']) {
    const d = join(dir, sub);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d).sort()) {
      try {
        const s = statSync(join(d, f));
        parts.push(`${sub}/${f}:${s.size}:${s.mtimeMs}`);
      } catch {
        // Removed between the listing and the stat: the next poll sees it.
      }
    }
  }
  return parts.join('\n');
}

/**
 * Whether a Host header names the address the server is bound to. A page on another site whose
 * name is re-pointed at 127.0.0.1 (DNS rebinding) sends its own name, and is refused.
 */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  const names = ['127.0.0.1', 'localhost', '[::1]'];
  const h = host.toLowerCase();
  return names.some((n) => h === `${n}:${port}` || (port === 80 && h === n));
}

/**
 * The report page's text, or undefined when there is none; refuses (throws) a report.html that
 * resolves, through a symbolic link, outside the study directory.
 */
function readReportPage(dir: string, html: string): string | undefined {
  if (!existsSync(html)) return undefined;
  const real = realpathSync(html);
  const rel = relative(realpathSync(dir), real);
  if (rel === '' || rel.split(sep)[0] === '..' || isAbsolute(rel))
    throw new Error(`${html} leads outside ${dir} (to ${real}); not served`);
  return readFileSync(real, 'utf8');
}

const mtime = (path: string) => (existsSync(path) ? statSync(path).mtimeMs : 0);

export async function serveReport(dirArg: string, options: ViewOptions): Promise<ViewServer> {
  const dir = resolve(dirArg);
  const log = options.log ?? ((m: string) => console.log(m));
  const html = join(dir, 'report.html');
  const clients = new Set<ServerResponse>();
  let waiters: (() => void)[] = [];

  let boundPort = 0;
  const server = createServer((req, res) => {
    if (!isLoopbackHost(req.headers.host, boundPort)) {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end(
        `forbidden: Host '${req.headers.host ?? ''}' is not 127.0.0.1:${boundPort} or localhost:${boundPort}\n`,
      );
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path === EVENTS) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write(': connected\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    if (path === '/' || path === '/report.html') {
      let page: string;
      try {
        page = readReportPage(dir, html) ?? WAITING;
      } catch (e) {
        log(`view: ${(e as Error).message}`);
        res.writeHead(403, { 'content-type': 'text/plain' });
        res.end('forbidden: report.html leads outside the study directory\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(page.replace(/<\/body>(?![\s\S]*<\/body>)/, `${LIVE_SCRIPT}</body>`));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: the report is one page, at /\n');
  });

  const notify = () => {
    for (const c of clients) c.write('event: reload\ndata: {}\n\n');
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };

  let signature = runsSignature(dir);
  let pageTime = mtime(html);
  let busy = false;
  const redraw = async () => {
    try {
      await options.regenerate();
    } catch (e) {
      log(`view: the report could not be redrawn yet: ${(e as Error).message}`);
    }
  };
  if (!existsSync(html) && signature !== '') await redraw();
  pageTime = mtime(html);

  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const now = runsSignature(dir);
      if (now !== signature) {
        signature = now;
        await redraw();
      }
      // A report written by someone else (the running study's own final report) reloads too.
      const t = mtime(html);
      if (t !== pageTime) {
        pageTime = t;
        notify();
      }
    } finally {
      busy = false;
    }
  }, options.pollMs ?? 1000);

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    // Loopback only: a report is nobody else's business.
    server.listen(options.port ?? 0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  boundPort = port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    nextReload: () => new Promise<void>((ok) => waiters.push(ok)),
    close: () =>
      new Promise<void>((ok) => {
        clearInterval(timer);
        for (const c of clients) c.end();
        clients.clear();
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
