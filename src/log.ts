/**
 * Progress and debug logging on stderr, as text lines or (`--log-format
 * json`) one JSON object per line with its `level`.
 *
 * Log lines carry stage names, counts, file names, table names and timings,
 * never a value from a data row (DESIGN §2: raw rows never appear in a log).
 * Debug lines (`--debug`) are off by default; callers that would do work
 * only for a debug line (counting rows) ask `isDebugEnabled()` first.
 */
export type LogFormat = 'text' | 'json';

export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

/** Structured fields of a log line: names, counts and durations only. */
export type LogFields = Record<string, string | number | Record<string, number>>;

let debugEnabled = process.env.IPSLINK_DEBUG === '1';
let quiet = false;
let format: LogFormat = 'text';

export function setLogging(options: { debug?: boolean; quiet?: boolean; format?: LogFormat }): void {
  if (options.debug !== undefined) debugEnabled = options.debug;
  if (options.quiet !== undefined) quiet = options.quiet;
  if (options.format !== undefined) format = options.format;
}

export function isDebugEnabled(): boolean {
  return debugEnabled;
}

export function logInfo(message: string): void {
  if (!quiet) write('info', message);
}

/** `fields` go into the JSON object; in text they are expected to be in `message` already. */
export function logDebug(message: string, fields: LogFields = {}): void {
  if (debugEnabled) write('debug', message, fields);
}

/** A failure's one line (src/cli/ only), whatever --quiet says. */
export function logError(message: string, fields: LogFields = {}): void {
  write('error', message, fields);
}

function write(level: 'info' | 'debug' | 'error', message: string, fields: LogFields = {}): void {
  if (format === 'json') {
    process.stderr.write(`${JSON.stringify({ level, message: message.trim(), ...fields })}\n`);
  } else if (level === 'debug') {
    process.stderr.write(`[debug] ${message}\n`);
  } else {
    process.stderr.write(`${message}\n`);
  }
}
