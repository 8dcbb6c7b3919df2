import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  runTiny,
  tinyAutoencoderSpec,
  tinyNmfDataSpec,
  tinyNmfIdentitySpec,
  tinySaeSpec,
  tinyShallowPcaSpec,
} from './helpers/tiny-studies.ts';

// report.html in a real browser: Debian's Chromium (installed by .ci/run), driven by
// playwright-core, which downloads no browser. Without Chromium the test fails, here as in CI,
// saying how to install it: a browser test that skips itself would pass without testing anything.
const CHROMIUM = process.env.NMFINIT_CHROMIUM ?? '/usr/bin/chromium';
/** Screenshots stay here after the run, to be looked at. */
const SCREENSHOT_DIR = resolve('.cache/screenshots');

const root = mkdtempSync(join(tmpdir(), 'nmfinit-html-'));
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `report.html browser test: no Chromium at ${CHROMIUM}; install it with 'apt-get install -y chromium' ` +
        '(.ci/run does) or point NMFINIT_CHROMIUM at a Chromium binary',
    );
  await runTiny(tinyAutoencoderSpec(join(root, 'ae')), root);
  await runTiny(tinyNmfIdentitySpec(join(root, 'nmf')), root);
  await runTiny(tinyNmfDataSpec(join(root, 'nmf-data')), root);
  await runTiny(tinySaeSpec(join(root, 'sae')), root);
  await runTiny(tinyShallowPcaSpec(join(root, 'shallow-pca')), root);
  // Root in a container has no user namespaces for Chromium's sandbox.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
afterAll(async () => {
  await browser?.close();
  rmSync(root, { recursive: true, force: true });
});

interface Opened {
  page: Page;
  errors: string[];
  requests: string[];
}

/** Opens a study's report.html from file:// and waits until every chart on it is drawn. */
async function open(study: string): Promise<Opened> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(join(root, study, 'report.html')).href);
  await page.waitForSelector('body[data-ready]', { timeout: 30_000 });
  return { page, errors, requests };
}

/** The charts the page was given, from its own embedded data. */
async function chartIds(page: Page): Promise<string[]> {
  return page.$eval('#nmfinit-data', (el) => {
    const data = JSON.parse(el.textContent ?? '{}') as {
      sections: { blocks: { type: string; id?: string }[] }[];
    };
    return data.sections.flatMap((s) => s.blocks.filter((b) => b.type === 'chart').map((b) => b.id!));
  });
}

/** Waits until a chart has been drawn more than `renders` times. */
async function redrawn(page: Page, id: string, renders: number): Promise<void> {
  // A string: it runs in the page, and this project's type check has no DOM types.
  await page.waitForFunction(
    `Number(document.querySelector('[data-chart="${id}"]')?.getAttribute('data-renders')) > ${renders}`,
  );
}

const renders = (page: Page, id: string) =>
  page.$eval(`[data-chart="${id}"]`, (el) => Number(el.getAttribute('data-renders')));
const lineCount = (page: Page, id: string) =>
  page.$$eval(`[data-chart="${id}"] .vega svg g.mark-line path`, (ps) => ps.length);
const markCount = (page: Page, id: string) =>
  page.$$eval(`[data-chart="${id}"] .vega svg :is(g.mark-line, g.mark-rect) path`, (ps) => ps.length);

async function screenshot(page: Page, name: string): Promise<PNG> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return PNG.sync.read(readFileSync(path));
}

describe.each(['ae', 'nmf', 'nmf-data', 'sae', 'shallow-pca'])('report.html of the %s study', (study) => {
  it('loads from file:// with no console error and no request but the page itself, and draws every chart', async () => {
    const { page, errors, requests } = await open(study);
    expect(errors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(join(root, study, 'report.html')).href]);
    const ids = await chartIds(page);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) {
      expect(await page.$eval(`[data-chart="${id}"]`, (el) => el.getAttribute('data-error'))).toBeNull();
      expect(await renders(page, id)).toBe(1);
      // Drawn: an SVG with lines (curves) or cells (heat maps) in it, not an empty frame.
      expect(await markCount(page, id)).toBeGreaterThan(0);
    }
    // Every image block is decoded (a broken data: URI has no natural size); the kinds with
    // reconstruction, component, atom or weight grids show them.
    const images = await page.$$eval('figure.image img', (imgs) =>
      imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth),
    );
    if (study !== 'nmf') expect(images.length).toBeGreaterThan(0);
    for (const w of images) expect(w).toBeGreaterThan(0);
    // The screenshot is not blank: it has dark text and coloured lines on white.
    const png = await screenshot(page, `report-${study}`);
    const colours = new Set<number>();
    for (let i = 0; i < png.data.length; i += 4 * 97) colours.add(png.data.readUInt32BE(i));
    expect(colours.size).toBeGreaterThan(20);
    await page.close();
  });
});

/** report.md's text before its Provenance section, without Markdown's bold marks. */
function markdownBody(study: string): { text: string; bold: number } {
  const md = readFileSync(join(root, study, 'report.md'), 'utf8');
  const body = md.slice(0, md.indexOf('\n## Provenance\n'));
  return { text: body.replaceAll('**', ''), bold: (body.match(/\*\*[^*]+\*\*/g) ?? []).length };
}

/** Every p-value report.md prints: "p = x" / "p < x" in sentences, and the cells of p columns. */
function printedPValues(md: string): string[] {
  const out = [...md.matchAll(/\bp (?:=|<) ?[0-9.e+-]+/g)].map((m) => m[0]);
  const lines = md.split('\n');
  lines.forEach((line, i) => {
    if (!line.startsWith('|') || !/^\|( *:?-+:? *\|)+$/.test(lines[i + 1] ?? '')) return;
    const header = line
      .slice(1, -1)
      .split('|')
      .map((h) => h.trim());
    const columns = header.flatMap((h, c) => (/(^|\s)p(\s|$)/.test(h) ? [c] : []));
    for (let r = i + 2; lines[r]?.startsWith('|'); r++) {
      const cells = lines[r]
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim());
      for (const c of columns) if (cells[c] !== undefined && cells[c] !== '') out.push(cells[c]);
    }
  });
  return out;
}

describe.each(['ae', 'nmf', 'nmf-data', 'sae', 'shallow-pca'])(
  'report.html against report.md, %s',
  (study) => {
    it('shows every p-value report.md prints, and bold exactly where report.md has it', async () => {
      const { page, errors } = await open(study);
      const md = markdownBody(study);
      const shown = await page.locator('#main').innerText();
      const flat = (t: string) => t.replace(/\s+/g, ' ');
      const pValues = printedPValues(md.text);
      // The tiny autoencoder and SAE studies have two seeds: their verdicts carry p-values.
      if (study === 'ae' || study === 'sae') expect(pValues.length).toBeGreaterThan(0);
      for (const p of pValues) expect(flat(shown), `p-value '${p}'`).toContain(flat(p));
      expect(await page.locator('#main p strong, #main td strong').count()).toBe(md.bold);
      expect(errors).toEqual([]);
      await page.close();
    });

    it('fits a 1,400-px window: a wide table scrolls inside its box, the page does not', async () => {
      const { page } = await open(study);
      await page.setViewportSize({ width: 1400, height: 900 });
      // A string: it runs in the page, and this project's type check has no DOM types.
      const clipped = await page.evaluate(`[...document.querySelectorAll('#main table')]
      .filter((t) => t.scrollWidth > t.parentElement.clientWidth + 1)
      .filter((t) => !['auto', 'scroll'].includes(getComputedStyle(t.parentElement).overflowX))
      .map((t) => t.getAttribute('data-table'))`);
      expect(clipped).toEqual([]);
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1400);
      await page.close();
    });
  },
);

describe('report.html interactions', () => {
  it('hiding a series draws fewer lines, showing it again restores them', async () => {
    const { page, errors } = await open('ae');
    const [id] = await chartIds(page);
    const before = await lineCount(page, id);
    // 3 initializers × train and validation.
    expect(before).toBe(6);
    const svgBefore = await page.$eval(`[data-chart="${id}"] .vega svg`, (s) => s.outerHTML);
    const box = page.locator(
      `[data-chart="${id}"] input[data-toggle-field="series"][data-toggle-value="zeros"]`,
    );
    let n = await renders(page, id);
    await box.uncheck();
    await redrawn(page, id, n);
    expect(await lineCount(page, id)).toBe(4);
    expect(await page.$eval(`[data-chart="${id}"] .vega svg`, (s) => s.outerHTML)).not.toBe(svgBefore);
    n = await renders(page, id);
    await page
      .locator(`[data-chart="${id}"] input[data-toggle-field="split"][data-toggle-value="train"]`)
      .uncheck();
    await redrawn(page, id, n);
    expect(await lineCount(page, id)).toBe(2);
    n = await renders(page, id);
    await box.check();
    await redrawn(page, id, n);
    expect(await lineCount(page, id)).toBe(3);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the log/linear switch changes the y axis', async () => {
    const { page, errors } = await open('nmf');
    const [id] = await chartIds(page);
    const ticks = () =>
      page.$$eval(`[data-chart="${id}"] .vega svg g.role-axis-label text`, (ts) =>
        ts.map((t) => t.textContent),
      );
    const logTicks = await ticks();
    const n = await renders(page, id);
    await page.locator(`[data-chart="${id}"] [data-scale-switch] input[value="linear"]`).check();
    await redrawn(page, id, n);
    expect(await page.$eval(`[data-chart="${id}"]`, (el) => el.getAttribute('data-scale'))).toBe('linear');
    expect(await ticks()).not.toEqual(logTicks);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('sorting a table by a column orders its rows by that column, both ways', async () => {
    const { page } = await open('ae');
    const column = async (key: string) => {
      const index = await page.$$eval('table[data-table="runs"] thead th', (ths) =>
        ths.map((th) => th.getAttribute('data-key')),
      );
      const i = index.indexOf(key);
      return page.$$eval(
        'table[data-table="runs"] tbody tr',
        (trs, i) => trs.map((tr) => tr.children[i].textContent ?? ''),
        i,
      );
    };
    const ids = await column('id');
    const header = page.locator('table[data-table="runs"] th[data-key="val"] button');
    await header.click();
    const up = (await column('val')).map(Number);
    expect(up).toEqual([...up].sort((a, b) => a - b));
    expect(await column('id')).not.toEqual(ids); // the runs came sorted by id, not by loss
    await header.click();
    const down = (await column('val')).map(Number);
    expect(down).toEqual([...up].reverse());
    expect(
      await page.$eval('table[data-table="runs"] th[data-key="val"]', (th) => th.getAttribute('aria-sort')),
    ).toBe('descending');
    await page.close();
  });

  it("a run's detail view shows its configuration and one row per epoch", async () => {
    const { page, errors } = await open('ae');
    const link = page.locator('table[data-table="runs"] a[data-run-link]').first();
    const id = await link.getAttribute('data-run-link');
    await link.click();
    await page.waitForSelector('#run-detail:not([hidden]) [data-chart][data-renders="1"]');
    const config = JSON.parse(await page.locator('#run-detail [data-run-config]').innerText()) as {
      id: string;
    };
    expect(config.id).toBe(id);
    // Epochs 0..4 of the tiny study.
    expect(await page.locator('#run-detail table tbody tr').count()).toBe(5);
    expect(await page.locator('#main').isHidden()).toBe(true);
    await screenshot(page, 'report-ae-run');
    await page.locator('#run-detail a[href="#runs"]').click();
    await page.waitForSelector('#run-detail[hidden]', { state: 'attached' });
    expect(await page.locator('#main').isVisible()).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });
});
