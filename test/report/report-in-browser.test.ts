/**
 * Opens a published report.html in headless Chromium (Debian's chromium;
 * .ci/run installs it when missing): it must render with no console errors,
 * without touching the network, and show every figure. Saves a screenshot
 * to test/output/report.png for people to look at.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadStudyConfig } from '../../src/config/study-config.js';
import { runStudy } from '../../src/run/run-study.js';
import { synthesizeDelivery } from '../../src/synth/index.js';
import { makeTempDir } from '../support/delivery.js';
import { TEST_THREADS } from '../support/threads.js';

const CHROMIUM = '/usr/bin/chromium';
let reportPath: string;

beforeAll(async () => {
  const work = makeTempDir('ipslink-report-');
  await synthesizeDelivery({ outDir: join(work, 'landing', 'synth-5'), persons: 6000, seed: 5, threads: TEST_THREADS });
  const { runDir } = await runStudy({
    loaded: loadStudyConfig('config/demo-nearest.yaml'),
    landing: join(work, 'landing'),
    output: join(work, 'out'),
    threads: TEST_THREADS,
    force: true,
  });
  reportPath = join(runDir, 'export', 'report.html');
}, 180_000);

describe.skipIf(!existsSync(CHROMIUM))('report.html in headless Chromium', () => {
  test('renders every section and figure with no console error and no network request', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('request', (request) => {
        if (!request.url().startsWith('file:')) requests.push(request.url());
      });
      await page.goto(`file://${reportPath}`);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      for (const section of ['settings', 'table1_baseline', 'table2_effects', 'table3_costs', 'attrition', 'table4_subgroups', 'figures']) {
        expect(await page.locator(`section#${section}`).count(), section).toBe(1);
      }
      // with the PS distributions, the subgroup forest plot, the cost-effectiveness plane and acceptability curve, and monitoring
      expect(await page.locator('figure svg').count()).toBe(10);
      for (const title of ['Cost-effectiveness plane', 'Cost-effectiveness acceptability curve']) {
        const figure = page.locator('figure', { hasText: title });
        expect(await figure.count(), title).toBe(1);
        const box = await figure.locator('svg').boundingBox();
        expect(box!.width * box!.height, title).toBeGreaterThan(10_000);
      }
      // every bootstrap replicate is a point on the plane (Vega draws points as paths)
      expect(await page.locator('figure', { hasText: 'Cost-effectiveness plane' }).locator('path').count()).toBeGreaterThan(99);
      mkdirSync('test/output', { recursive: true });
      await page.screenshot({ path: 'test/output/report.png', fullPage: true });
    } finally {
      await browser.close();
    }
  });
});

test('report.html is self-contained: no script, stylesheet or image is loaded from elsewhere', () => {
  const html = readFileSync(reportPath, 'utf8');
  expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|<img[^>]+src="(?!data:)/);
});
