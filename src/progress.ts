/**
 * A progress display for long work (the stages of a run, the bytes of a
 * pull), drawn by cli-progress on stderr when stderr is a terminal, text
 * logging is on and --quiet is not given; otherwise nothing is drawn and
 * the log lines say what happens. While a display is up, text log lines
 * are printed above it rather than through it.
 */
import { MultiBar, Presets } from 'cli-progress';
import { loggingSettings, setTextSink } from './log.js';

export interface Progress {
  /** Sets the bar to `value` of its total, with what is being done now. */
  update(value: number, label?: string): void;
  stop(): void;
}

const NO_PROGRESS: Progress = { update: () => {}, stop: () => {} };

/** Whether a progress display would be drawn: a terminal, text logs, not --quiet. */
export function progressEnabled(stream: NodeJS.WriteStream = process.stderr): boolean {
  const { quiet, format } = loggingSettings();
  return Boolean(stream.isTTY) && !quiet && format === 'text';
}

/** A bar from 0 to `total` (in `unit`s), labelled with what is in progress; a no-op when progress is not enabled. */
export function startProgress(title: string, total: number, unit: string): Progress {
  if (!progressEnabled()) return NO_PROGRESS;
  const bars = new MultiBar(
    {
      format: `${title} {bar} {value}/{total} ${unit} | {duration_formatted} | {label}`,
      hideCursor: true,
      clearOnComplete: true,
      stream: process.stderr,
    },
    Presets.shades_classic,
  );
  const bar = bars.create(total, 0, { label: '' });
  setTextSink((line) => bars.log(`${line}\n`));
  return {
    update: (value, label) => bar.update(value, label === undefined ? {} : { label }),
    stop: () => {
      setTextSink(null);
      bars.stop();
    },
  };
}
