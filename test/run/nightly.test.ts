/**
 * Three nights of `ipslink run` against a flaky local source, as a scheduler
 * would run it: the first delivery arrives, then its correction a day later,
 * then nothing. Each night pulls what is new (through 503s and a cut-off
 * body), loads only that, and publishes; the third night is a no-op.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readRunHistory } from '../../src/run/history.js';
import { synthesizeDelivery } from '../../src/synth/index.js';
import { makeTempDir } from '../support/delivery.js';
import { type SourceServer, startDeliverySource } from '../support/delivery-source.js';
import { startCli } from '../support/run-cli.js';
import { makeSmallWorld, type SmallWorld } from '../support/small-world.js';
import { TEST_THREADS } from '../support/threads.js';

const FIRST = 'synth-23.1';
const SECOND = 'synth-23.2';

interface Night {
  status: number | null;
  seconds: number;
  events: { event: string; stage?: string; run_id?: string; message: string }[];
}

let sourceRoot: string;
let offered: string[] = [];
let source: SourceServer;
let world: SmallWorld;
const nights: Night[] = [];

/** One night's `ipslink run`, in a child process: the source is served from this process, so never block it (no spawnSync). */
async function runNight(): Promise<Night> {
  const night = await startCli(['run', '--config', world.config, '--log-format', 'json']).finished;
  return { status: night.code, seconds: night.durationMs / 1000, events: night.lines as Night['events'] };
}

beforeAll(async () => {
  sourceRoot = makeTempDir('ipslink-nightly-source-');
  await synthesizeDelivery({ outDir: join(sourceRoot, 'synth-23'), persons: 2000, seed: 23, deliveries: 2, threads: TEST_THREADS });
  source = await startDeliverySource((path) => {
    if (path === 'index.json') return Buffer.from(JSON.stringify(offered));
    const file = join(sourceRoot, path);
    return existsSync(file) ? readFileSync(file) : undefined;
  });
  world = await makeSmallWorld({
    synthesize: false,
    configText: (text) => `${text}\npull:\n  url: ${source.url}\n  timeout_seconds: 5\n  retries: 3\n`,
  });

  offered = [FIRST];
  source.misbehave(`${FIRST}/persons.csv.gz`, { failFirst: 2 });
  source.misbehave(`${FIRST}/employment_periods.csv.gz`, { truncateAfterBytes: 20_000 });
  nights.push(await runNight());
  offered = [FIRST, SECOND];
  source.misbehave(`${SECOND}/benefit_spells.csv.gz`, { failFirst: 1 });
  nights.push(await runNight());
  nights.push(await runNight());
}, 240_000);

afterAll(async () => {
  await source?.close();
});

describe('three nights against a flaky source', () => {
  test('the first two nights pull through the failures and publish; the third is a no-op', () => {
    expect(
      nights.map((night) => night.status),
      JSON.stringify(nights.map((night) => night.events.at(-1))),
    ).toEqual([0, 0, 0]);
    expect(source.requestsFor(`${FIRST}/persons.csv.gz`).map((request) => request.status)).toEqual([503, 503, 200]);
    const employment = source.requestsFor(`${FIRST}/employment_periods.csv.gz`);
    expect(employment.map((request) => [request.status, request.range !== undefined])).toEqual([
      [200, false],
      [206, true],
    ]);
    expect(readdirSync(world.landing).sort()).toEqual([FIRST, SECOND]);
    const history = readRunHistory(world.output);
    expect(history.map((record) => record.status)).toEqual(['published', 'published', 'no_op']);
    expect(history[2]!.same_as).toBe(history[1]!.run_id);
  });

  test('each night loads only the delivery that is new', () => {
    const [first, second] = readRunHistory(world.output);
    expect(nights.slice(0, 2).map((night) => night.events.find((event) => event.run_id)?.run_id)).toEqual([first!.run_id, second!.run_id]);
    const loadedDeliveries = (night: Night) =>
      new Set(
        night.events
          .filter((event) => event.stage === 'ingest' && /^\S+\.csv\.gz: \d+ read/.test(event.message))
          .map((event) => event.message.split('/')[0]),
      );
    expect(loadedDeliveries(nights[0]!)).toEqual(new Set([FIRST]));
    expect(loadedDeliveries(nights[1]!)).toEqual(new Set([SECOND]));
  });

  test('the third night runs no stage, publishes nothing and leaves current', () => {
    const [, second] = readRunHistory(world.output);
    const third = nights[2]!;
    expect(third.events.some((event) => event.event === 'stage_started')).toBe(false);
    expect(third.events.some((event) => event.event === 'run_no_op')).toBe(true);
    expect(readdirSync(join(world.output, 'runs')).filter((name) => !name.startsWith('.'))).toHaveLength(2);
    expect(readlinkSync(join(world.output, 'current'))).toBe(join('runs', second!.run_id));
    // The source is asked for its index and nothing else.
    expect(source.requests.at(-1)?.path).toBe('index.json');
  });
});
