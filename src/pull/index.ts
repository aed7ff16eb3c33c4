/**
 * `ipslink pull`: fetches deliveries from an HTTP(S) source into the landing
 * directory, each complete or not at all.
 *
 * Source layout, relative to `pull.url` (its query string is not used):
 *   index.json           the deliveries on offer, in order: ["<id>", ...], or
 *                        {"deliveries": [<id> or {"delivery_id": <id>, ...}, ...]}
 *   <id>/delivery.json   the delivery's manifest (src/contracts/delivery.ts)
 *   <id>/<file name>     every file the manifest lists
 * An id must match delivery.json's delivery_id pattern and not start with a
 * dot; index.json listing anything else is refused, so no id reaches outside
 * the landing directory or hides among the staging directories.
 *
 * A delivery is fetched into `<landing>/.pull-<id>-<pid>/` (ingest ignores
 * dot directories): each file under a `.partial` name, streamed to disk while
 * its sha256 and data rows are computed in the same pass, and renamed only
 * when both match delivery.json; delivery.json is written last, then the
 * staging directory is renamed to `<landing>/<id>` in one step. The staging
 * directory is owner-only (0700) from its creation and its files are made
 * 0600 before the rename (src/file-modes.ts). A delivery
 * already in the landing directory is never fetched again; staging
 * directories of processes that are gone are removed at start.
 *
 * Every request has an idle timeout (no headers, or no further body bytes,
 * for timeout_seconds) and is retried with exponential backoff and jitter
 * after a network error, a timeout, a cut-off body, HTTP 429 or 5xx. A retry
 * after a partial body asks for the rest (Range) and starts the file over
 * when the source answers with anything but that range. A file whose sha256
 * or row count is wrong is downloaded once more from scratch, then its
 * delivery is refused. Redirects are refused rather than followed, so the
 * bearer token goes to pull.url's origin only; the token is never written to
 * a log line, a message or a file.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createGunzip, type Gunzip } from 'node:zlib';
import pLimit from 'p-limit';
import pRetry from 'p-retry';
import { z } from 'zod';
import type { StudyConfig } from '../config/study-config.js';
import { type DeliveryFile, type DeliveryManifest, deliveryManifest } from '../contracts/delivery.js';
import { Database } from '../db/database.js';
import { fail, PipelineFailure } from '../errors.js';
import { ensurePrivateDir, makePrivate, PRIVATE_FILE_MODE } from '../file-modes.js';
import { CsvRecordCounter } from '../ingest/count-csv-records.js';
import { describeManifestIssues } from '../ingest/delivery-manifest.js';
import { logInfo, logWarning } from '../log.js';
import { startProgress } from '../progress.js';

export type PullConfig = NonNullable<StudyConfig['pull']>;

export interface PullOptions {
  pull: PullConfig;
  landing: string;
  /** 'all', or the ids to pull; other deliveries on offer are left alone. */
  deliveries: 'all' | readonly string[];
  /** Delay before the first retry in ms (default 1000), doubled for each further one; tests make it small. */
  backoffMs?: number;
}

export interface PullResult {
  /** Deliveries this pull placed in the landing directory, in index order. */
  fetched: string[];
  /** Deliveries on offer (and asked for) that were in the landing directory already. */
  present: string[];
}

const DEFAULT_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
const STAGING_PREFIX = '.pull-';
const STAGING_DIR = /^\.pull-.+-(\d+)$/;
const PARTIAL_SUFFIX = '.partial';
const NOT_FOUND = 'listed by the source but not found there (HTTP 404)';
/** For requests no other request's failure should cancel. */
const NEVER_ABORTED = new AbortController().signal;

export async function pullDeliveries(options: PullOptions): Promise<PullResult> {
  const source = openSource(options.pull, options.backoffMs ?? DEFAULT_BACKOFF_MS);
  const { landing } = options;
  await mkdir(landing, { recursive: true });
  await removeAbandonedStaging(landing);
  const wanted = selectDeliveries(await fetchIndex(source), options.deliveries, landing);
  const result: PullResult = { fetched: [], present: [] };
  for (const id of wanted) {
    const isPlaced = !isInLanding(landing, id) && (await pullDelivery(source, landing, id));
    result[isPlaced ? 'fetched' : 'present'].push(id);
  }
  return result;
}

// --- the source and its requests -------------------------------------------------------------

interface Source {
  base: URL;
  /** pull.url as messages and logs name it. */
  label: string;
  headers: Record<string, string>;
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  concurrency: number;
}

function openSource(pull: PullConfig, backoffMs: number): Source {
  const base = new URL(pull.url);
  base.search = '';
  base.hash = '';
  // A base without a final slash would resolve `index.json` next to its last segment rather than under it.
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return {
    base,
    label: base.href,
    headers: authorizationHeader(pull.token_env),
    timeoutMs: pull.timeout_seconds * 1000,
    retries: pull.retries,
    backoffMs,
    concurrency: pull.concurrency,
  };
}

function authorizationHeader(tokenEnv: string | undefined): Record<string, string> {
  if (tokenEnv === undefined) return {};
  const token = process.env[tokenEnv];
  if (!token) fail({ code: 'pull_token_missing', variable: tokenEnv });
  return { authorization: `Bearer ${token}` };
}

/** A failure worth another attempt: a network error, a timeout, a cut-off body, HTTP 429 or 5xx. */
class TransientError extends Error {}

/** Runs `attempt` until it succeeds, fails for good, or transient failures use up pull.retries. */
async function withRetries<T>(source: Source, path: string, stop: AbortSignal, attempt: () => Promise<T>): Promise<T> {
  try {
    return await pRetry(attempt, {
      retries: source.retries,
      factor: 2,
      minTimeout: source.backoffMs,
      maxTimeout: MAX_BACKOFF_MS,
      randomize: true,
      signal: stop,
      shouldRetry: ({ error }) => error instanceof TransientError && !stop.aborted,
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        if (error instanceof TransientError && retriesLeft > 0 && !stop.aborted) logRetry(path, error.message, attemptNumber);
      },
    });
  } catch (error) {
    if (!(error instanceof TransientError)) throw error;
    const detail = `${path}: ${error.message} (${source.retries + 1} attempts)`;
    return fail({ code: 'pull_source_unavailable', source: source.label, detail });
  }
}

function logRetry(path: string, detail: string, attempt: number): void {
  logInfo(`pull: ${path}: attempt ${attempt} failed (${detail}); retrying`, { event: 'pull_retry', path, attempt, detail });
}

interface IdleTimeout {
  signal: AbortSignal;
  hasExpired(): boolean;
  /** Restarts the timeout: called on every chunk received. */
  touch(): void;
  clear(): void;
}

/** Aborts `signal` when `touch` is not called for `ms`, or when `outer` aborts. */
function startIdleTimeout(ms: number, outer: AbortSignal): IdleTimeout {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  return {
    signal: AbortSignal.any([outer, controller.signal]),
    hasExpired: () => controller.signal.aborted,
    touch: () => timer.refresh(),
    clear: () => clearTimeout(timer),
  };
}

/** Streams a response body into `take`, chunk by chunk: the next chunk is read once `take` is done with this one. */
type ReceiveBody = (take: (chunk: Buffer) => Promise<void> | void) => Promise<void>;

/** One GET of `path` under the source; `read` takes the response and its body under the same idle timeout. */
async function getOnce<T>(
  source: Source,
  path: string,
  headers: Record<string, string>,
  stop: AbortSignal,
  read: (response: Response, receive: ReceiveBody) => Promise<T>,
): Promise<T> {
  const idle = startIdleTimeout(source.timeoutMs, stop);
  try {
    const url = new URL(path, source.base);
    const response = await fetch(url, { headers: { ...source.headers, ...headers }, redirect: 'manual', signal: idle.signal });
    return await read(response, (take) => receiveBody(response, idle, take));
  } catch (error) {
    if (stop.aborted) throw stop.reason;
    if (idle.hasExpired()) throw new TransientError(`no data for ${source.timeoutMs / 1000} s`);
    throw asRetryable(error);
  } finally {
    idle.clear();
  }
}

async function receiveBody(response: Response, idle: IdleTimeout, take: (chunk: Buffer) => Promise<void> | void): Promise<void> {
  // fetch's ReadableStream and node:stream/web's are the same class, typed apart.
  const body = (response.body ?? new ReadableStream()) as WebReadableStream<Uint8Array>;
  // The signal goes to Readable.fromWeb as well: aborting the fetch alone did not always end a body being read.
  await pipeline(Readable.fromWeb(body, { signal: idle.signal }), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) {
      idle.touch();
      await take(chunk);
    }
  });
}

/** Errors from the network become transient; refusals and local file errors (a full disk) stay as they are. */
function asRetryable(error: unknown): unknown {
  const isLocalFileError = error instanceof Error && 'path' in error && 'syscall' in error;
  if (error instanceof PipelineFailure || error instanceof TransientError || isLocalFileError) return error;
  if (!(error instanceof Error)) return new TransientError(String(error));
  // undici says `fetch failed` or `terminated`; the cause says why (ECONNREFUSED, other side closed).
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return new TransientError(`${error.message}${cause}`);
}

/** Passes 200 and 206; `onNotFound` says what a 404 means for this path. */
async function checkStatus(source: Source, path: string, response: Response, onNotFound: () => never): Promise<void> {
  const { status } = response;
  if (status === 200 || status === 206) return;
  await response.body?.cancel();
  if (status === 429 || status >= 500) throw new TransientError(`HTTP ${status}`);
  if (status === 404) onNotFound();
  const detail =
    status === 401 || status === 403
      ? `access refused (HTTP ${status}); check the token`
      : status >= 300 && status < 400
        ? `${path} redirects elsewhere (HTTP ${status}), which pull does not follow (the token goes to pull.url only); set pull.url to where the files are`
        : `${path}: HTTP ${status}`;
  fail({ code: 'pull_source_unavailable', source: source.label, detail });
}

/** A small JSON document (index.json, delivery.json) as text. */
async function fetchText(source: Source, path: string, onNotFound: () => never): Promise<string> {
  return withRetries(source, path, NEVER_ABORTED, () =>
    getOnce(source, path, {}, NEVER_ABORTED, async (response, receive) => {
      await checkStatus(source, path, response, onNotFound);
      const chunks: Buffer[] = [];
      await receive((chunk) => {
        chunks.push(chunk);
      });
      return Buffer.concat(chunks).toString('utf8');
    }),
  );
}

// --- index.json and delivery.json ------------------------------------------------------------

const indexEntry = z.union([z.string(), z.looseObject({ delivery_id: z.string() })]);
const sourceIndex = z.union([z.array(z.string()), z.looseObject({ deliveries: z.array(indexEntry) })]);

async function fetchIndex(source: Source): Promise<string[]> {
  const text = await fetchText(source, 'index.json', () =>
    fail({ code: 'pull_source_unavailable', source: source.label, detail: 'index.json not found (HTTP 404); check pull.url' }),
  );
  const parsed = sourceIndex.safeParse(parseJson(text));
  if (!parsed.success) {
    const detail = 'index.json is not a JSON array of delivery ids nor {"deliveries": [...]}';
    fail({ code: 'pull_source_unavailable', source: source.label, detail });
  }
  const entries = Array.isArray(parsed.data) ? parsed.data : parsed.data.deliveries;
  const ids = entries.map((entry) => (typeof entry === 'string' ? entry : entry.delivery_id));
  for (const id of ids) {
    if (!isDeliveryId(id)) {
      refuse(JSON.stringify(id).slice(0, 40), 'index.json', 'not a delivery id (1–100 of [A-Za-z0-9_.-], not starting with a dot)');
    }
  }
  return [...new Set(ids)];
}

function isDeliveryId(id: string): boolean {
  return deliveryManifest.shape.delivery_id.safeParse(id).success && !id.startsWith('.');
}

/** JSON.parse, or undefined for text that is not JSON (which no schema here accepts). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function selectDeliveries(offered: string[], wanted: 'all' | readonly string[], landing: string): string[] {
  if (wanted === 'all') return offered;
  const missing = wanted.filter((id) => !offered.includes(id) && !isInLanding(landing, id));
  if (missing.length) {
    logWarning(`pull: the config asks for ${missing.join(', ')}, which the source does not offer and the landing directory lacks`, {
      event: 'pull_not_offered',
    });
  }
  return offered.filter((id) => wanted.includes(id));
}

function parseManifest(id: string, text: string): DeliveryManifest {
  const raw = parseJson(text);
  if (raw === undefined) refuse(id, 'delivery.json', 'not valid JSON');
  const parsed = deliveryManifest.safeParse(raw);
  if (!parsed.success) refuse(id, 'delivery.json', describeManifestIssues(parsed.error.issues));
  if (parsed.data.delivery_id !== id) {
    refuse(id, 'delivery.json', `its delivery_id is ${parsed.data.delivery_id}, but index.json lists it as ${id}`);
  }
  return parsed.data;
}

function refuse(delivery: string, file: string, reason: string): never {
  fail({ code: 'pull_delivery_refused', delivery, file, reason });
}

// --- the landing directory -------------------------------------------------------------------

function isInLanding(landing: string, id: string): boolean {
  return existsSync(join(landing, id, 'delivery.json'));
}

/** Staging directories whose process is gone: what a killed pull left behind. */
async function removeAbandonedStaging(landing: string): Promise<void> {
  for (const name of await readdir(landing)) {
    const pid = STAGING_DIR.exec(name)?.[1];
    if (pid !== undefined && !isProcessAlive(Number(pid))) await rm(join(landing, name), { recursive: true, force: true });
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Fetches one delivery and places it; false when another pull placed it meanwhile. */
async function pullDelivery(source: Source, landing: string, id: string): Promise<boolean> {
  const started = performance.now();
  const target = join(landing, id);
  if (existsSync(target)) refuseOccupied(id, target);
  const manifestText = await fetchText(source, `${id}/delivery.json`, () => refuse(id, 'delivery.json', NOT_FOUND));
  const manifest = parseManifest(id, manifestText);
  const staging = join(landing, `${STAGING_PREFIX}${id}-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  // Person-level data: owner-only from the start (0700), and every file in it 0600 before it is placed.
  ensurePrivateDir(staging);
  try {
    const counts = await fetchDeliveryFiles(source, manifest, staging);
    await writeFile(join(staging, 'delivery.json'), manifestText, { mode: PRIVATE_FILE_MODE });
    makePrivate(staging);
    if (!(await placeDelivery(staging, landing, id))) {
      logInfo(`pull: ${id}: placed by another pull meanwhile; this copy was discarded`, { event: 'delivery_present' });
      return false;
    }
    const durationMs = Math.round(performance.now() - started);
    logInfo(`pull: ${id}: ${counts.files} files, ${counts.bytes} bytes, ${counts.rows} data rows in ${durationMs} ms`, {
      event: 'delivery_pulled',
      delivery: id,
      counts,
      duration_ms: durationMs,
    });
    return true;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Renames the staging directory to the delivery's; false when the delivery appeared there meanwhile. */
async function placeDelivery(staging: string, landing: string, id: string): Promise<boolean> {
  const target = join(landing, id);
  try {
    await rename(staging, target);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    if (isInLanding(landing, id)) return false;
    return refuseOccupied(id, target);
  }
}

function refuseOccupied(id: string, target: string): never {
  refuse(id, 'delivery.json', `${target} exists without a delivery.json; move it aside and pull again`);
}

// --- files ----------------------------------------------------------------------------------

/** A type, not an interface, so that it fits a log line's `counts`. */
type FileCounts = { bytes: number; rows: number };

/** Every file of the delivery, `concurrency` at a time; the first failure cancels the others. */
async function fetchDeliveryFiles(source: Source, manifest: DeliveryManifest, staging: string): Promise<FileCounts & { files: number }> {
  const { delivery_id: id, files } = manifest;
  const limit = pLimit(source.concurrency);
  const stop = new AbortController();
  const totals = { files: files.length, bytes: 0, rows: 0 };
  const progress = startProgress(`pull ${id}`, files.length, 'files');
  let filesDone = 0;
  const fetchOne = async (file: DeliveryFile) => {
    stop.signal.throwIfAborted();
    try {
      const counts = await fetchDeliveryFile(source, id, file, staging, stop.signal);
      totals.bytes += counts.bytes;
      totals.rows += counts.rows;
      progress.update(++filesDone, file.name);
    } catch (error) {
      stop.abort(error);
      throw error;
    }
  };
  try {
    await Promise.allSettled(files.map((file) => limit(() => fetchOne(file))));
  } finally {
    progress.stop();
  }
  if (stop.signal.aborted) throw stop.signal.reason;
  return totals;
}

/** A file being fetched: `path` under the source, written to `partial` in the staging directory. */
interface Download {
  path: string;
  partial: string;
  kind: FileKind;
  /** Aborted when another file of the delivery failed. */
  stop: AbortSignal;
  onNotFound: () => never;
}

/** Downloads a file into the staging directory and checks it; a wrong copy is fetched once more, then refused. */
async function fetchDeliveryFile(source: Source, id: string, file: DeliveryFile, staging: string, stop: AbortSignal): Promise<FileCounts> {
  const download: Download = {
    path: `${id}/${file.name}`,
    partial: join(staging, `${file.name}${PARTIAL_SUFFIX}`),
    kind: fileKind(file.name),
    stop,
    onNotFound: () => refuse(id, file.name, NOT_FOUND),
  };
  let checked = await downloadAndCheck(source, download, file);
  if (checked.problem !== undefined) {
    logRetry(download.path, `${checked.problem}; downloading it again from the start`, 1);
    await rm(download.partial, { force: true });
    checked = await downloadAndCheck(source, download, file);
  }
  if (checked.problem !== undefined) refuse(id, file.name, `${checked.problem} (downloaded twice)`);
  await rename(download.partial, join(staging, file.name));
  return checked;
}

/** The file's bytes and data rows, with what does not match delivery.json, if anything. */
async function downloadAndCheck(source: Source, download: Download, file: DeliveryFile): Promise<FileCounts & { problem?: string }> {
  const digest = await downloadFile(source, download);
  const { bytes } = digest;
  const { sha256, dataRecords } = await digest.finish();
  if (sha256 !== file.sha256) return { bytes, rows: 0, problem: `sha256 is ${short(sha256)}, delivery.json says ${short(file.sha256)}` };
  const rows = download.kind === 'parquet' ? await countParquetRows(download.partial) : dataRecords;
  if (rows === undefined) return { bytes, rows: 0, problem: `not readable as ${download.kind === 'parquet' ? 'Parquet' : 'gzip'}` };
  if (rows !== file.row_count) return { bytes, rows, problem: `${rows} data rows, delivery.json says ${file.row_count}` };
  return { bytes, rows };
}

function short(hex: string): string {
  return `${hex.slice(0, 12)}…`;
}

/**
 * Streams a file to its partial name, resuming what an earlier attempt left there: a retry asks for
 * the bytes after it and appends only when the source answers with exactly that range.
 */
async function downloadFile(source: Source, download: Download): Promise<FileDigest> {
  const { path, partial, kind, stop } = download;
  return withRetries(source, path, stop, async () => {
    const written = await sizeOf(partial);
    // Digested again from disk: that is what the next bytes are appended to.
    const resumed = written > 0 ? await digestOfFile(partial, kind) : undefined;
    const range: Record<string, string> = written > 0 ? { range: `bytes=${written}-` } : {};
    return getOnce(source, path, range, stop, async (response, receive) => {
      await checkStatus(source, path, response, download.onNotFound);
      const isAppending = resumed !== undefined && isRangeFrom(response, written);
      if (response.status === 206 && !isAppending) {
        await response.body?.cancel();
        await rm(partial, { force: true });
        throw new TransientError('the source answered with a byte range not asked for; starting the file over');
      }
      const digest = isAppending ? resumed : new FileDigest(kind);
      const output = await open(partial, isAppending ? 'a' : 'w', PRIVATE_FILE_MODE);
      try {
        // Written before the next chunk is read, so a cut-off body leaves all it brought for the retry to resume.
        await receive(async (chunk) => {
          await output.write(chunk);
          await digest.update(chunk);
        });
      } finally {
        await output.close();
      }
      return digest;
    });
  });
}

function isRangeFrom(response: Response, offset: number): boolean {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
  return response.status === 206 && Number(match?.[1]) === offset;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

async function digestOfFile(path: string, kind: FileKind): Promise<FileDigest> {
  const digest = new FileDigest(kind);
  for await (const chunk of createReadStream(path)) await digest.update(chunk as Buffer);
  return digest;
}

type FileKind = 'csv' | 'csv.gz' | 'parquet';

function fileKind(name: string): FileKind {
  return name.endsWith('.parquet') ? 'parquet' : name.endsWith('.gz') ? 'csv.gz' : 'csv';
}

/** The sha256, size and (CSV) data records of a file's bytes, fed in order. */
class FileDigest {
  bytes = 0;
  private readonly hash = createHash('sha256');
  private readonly records = new CsvRecordCounter();
  private readonly gunzip: Gunzip | undefined;
  private isGzipBroken = false;

  constructor(private readonly kind: FileKind) {
    if (kind !== 'csv.gz') return;
    this.gunzip = createGunzip();
    this.gunzip.on('data', (chunk: Buffer) => this.records.push(chunk));
    this.gunzip.on('error', () => {
      this.isGzipBroken = true;
    });
  }

  /** Resolves once the chunk is counted; through gunzip, so a slow decompression holds the download back. */
  update(chunk: Buffer): Promise<void> {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (this.kind === 'csv') this.records.push(chunk);
    const { gunzip } = this;
    if (!gunzip || this.isGzipBroken) return Promise.resolve();
    return new Promise((resolve) => gunzip.write(chunk, () => resolve()));
  }

  /** dataRecords is undefined for Parquet (DuckDB counts those) and for a file that is not valid gzip. */
  async finish(): Promise<{ sha256: string; dataRecords: number | undefined }> {
    if (this.gunzip && !this.isGzipBroken) {
      this.gunzip.end();
      await finished(this.gunzip).catch(() => {
        this.isGzipBroken = true;
      });
    }
    const isCounted = this.kind === 'csv' || (this.kind === 'csv.gz' && !this.isGzipBroken);
    return { sha256: this.hash.digest('hex'), dataRecords: isCounted ? this.records.dataRecords : undefined };
  }
}

/** Rows of a Parquet file from its footer; undefined when DuckDB cannot read it as Parquet. */
async function countParquetRows(path: string): Promise<number | undefined> {
  const db = await Database.open(':memory:');
  try {
    const [row] = await db.query<{ rows: number }>(
      'pull: Parquet rows',
      'select sum(num_rows)::double as rows from parquet_file_metadata($path)',
      { path },
    );
    return row?.rows;
  } catch {
    return undefined;
  } finally {
    db.close();
  }
}
