/**
 * Logging on stderr, for people (text lines) or for log shippers
 * (`--log-format json`: one JSON object per line).
 *
 * Every JSON line has `time`, `level`, `event` and `message`, the run id and
 * stage when there is one (`setLogContext`, `withLogContext`), and where they apply `counts`
 * and `duration_ms`. Log lines carry stage names, counts, file names, table
 * names and timings, never a value from a data row (DESIGN §2). Debug lines
 * (`--debug`) are off by default; callers that would do work only for a
 * debug line (counting rows) ask `isDebugEnabled()` first.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export type LogFormat = 'text' | 'json';

export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

export type LogLevel = 'info' | 'warn' | 'debug' | 'error';

/** Structured fields of a log line: names, counts and durations only. */
export interface LogFields {
  /** What happened, as a stable snake_case name (stage_finished, run_published, ...). */
  event?: string;
  counts?: Record<string, number>;
  duration_ms?: number;
  [field: string]: string | number | boolean | Record<string, number> | undefined;
}

/** Where the process is: added to every JSON line. */
export interface LogContext {
  run_id?: string;
  stage?: string;
}

/** Fields of the async flow at hand (withLogContext): two stages running at once each log their own name. */
const flowContext = new AsyncLocalStorage<LogContext>();

/** Where text lines go while a progress display owns the terminal (src/progress.ts). */
type TextSink = (line: string) => void;

let debugEnabled = process.env.IPSLINK_DEBUG === '1';
let quiet = false;
let format: LogFormat = 'text';
let context: LogContext = {};
let textSink: TextSink | null = null;

export function setLogging(options: { debug?: boolean; quiet?: boolean; format?: LogFormat }): void {
  if (options.debug !== undefined) debugEnabled = options.debug;
  if (options.quiet !== undefined) quiet = options.quiet;
  if (options.format !== undefined) format = options.format;
}

export function loggingSettings(): { quiet: boolean; format: LogFormat } {
  return { quiet, format };
}

/** Sets (or, with undefined, clears) fields of the context every following line carries. */
export function setLogContext(fields: LogContext): void {
  context = { ...context, ...fields };
  for (const key of Object.keys(context) as (keyof LogContext)[]) if (context[key] === undefined) delete context[key];
}

/** Runs `work` with `fields` added to every line it logs, however its awaits interleave with other work's. */
export function withLogContext<T>(fields: LogContext, work: () => Promise<T>): Promise<T> {
  return flowContext.run({ ...flowContext.getStore(), ...fields }, work);
}

export function setTextSink(sink: TextSink | null): void {
  textSink = sink;
}

export function isDebugEnabled(): boolean {
  return debugEnabled;
}

export function logInfo(message: string, fields: LogFields = {}): void {
  if (!quiet) write('info', message, fields);
}

/** Something an operator should read even with --quiet. */
export function logWarning(message: string, fields: LogFields = {}): void {
  write('warn', message, fields);
}

/** `fields` go into the JSON object; in text they are expected to be in `message` already. */
export function logDebug(message: string, fields: LogFields = {}): void {
  if (debugEnabled) write('debug', message, fields);
}

/** A failure's one line (src/cli/ only), whatever --quiet says. */
export function logError(message: string, fields: LogFields = {}): void {
  write('error', message, fields);
}

function write(level: LogLevel, message: string, fields: LogFields): void {
  if (format === 'json') {
    const { event = level === 'debug' ? 'debug' : 'message', ...rest } = fields;
    const line = { time: new Date().toISOString(), level, ...context, ...flowContext.getStore(), event, message: message.trim(), ...rest };
    process.stderr.write(`${JSON.stringify(line)}\n`);
    return;
  }
  const text = level === 'debug' ? `[debug] ${message}` : level === 'warn' ? `warning: ${message}` : message;
  if (textSink) textSink(text);
  else process.stderr.write(`${text}\n`);
}
