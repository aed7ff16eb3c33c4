/**
 * Progress and debug logging on stderr.
 *
 * Log lines carry stage names, counts, file names and timings, never a value
 * from a data row (DESIGN §2: raw rows never appear in a log).
 */
let debugEnabled = process.env.IPSLINK_DEBUG === '1';
let quiet = false;

export function setLogging(options: { debug?: boolean; quiet?: boolean }): void {
  if (options.debug !== undefined) debugEnabled = options.debug;
  if (options.quiet !== undefined) quiet = options.quiet;
}

export function logInfo(message: string): void {
  if (!quiet) process.stderr.write(`${message}\n`);
}

export function logDebug(message: string): void {
  if (debugEnabled) process.stderr.write(`[debug] ${message}\n`);
}
