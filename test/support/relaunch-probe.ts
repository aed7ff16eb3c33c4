// Started by test/run/allocator-env.test.ts as `probe.ts run <exit code | signal>`: relaunches itself under the
// allocator settings, and the relaunched process prints them and ends with the code or signal asked for.
// With `wait` it prints its pid and keeps running, to be stopped by killing the launcher.
import { followLauncher, needsAllocatorEnv, relaunchWithAllocatorEnv } from '../../src/run/allocator-env.js';

if (needsAllocatorEnv()) {
  relaunchWithAllocatorEnv();
} else {
  followLauncher();
  const end = process.argv[3]!;
  if (end === 'wait') {
    process.stdout.write(`${process.pid}\n`);
    setTimeout(() => process.exit(0), 60_000);
  } else {
    process.stdout.write(`${process.env.MALLOC_ARENA_MAX} ${process.env.MALLOC_MMAP_THRESHOLD_}\n`);
    if (end.startsWith('SIG')) process.kill(process.pid, end as NodeJS.Signals);
    else process.exit(Number(end));
  }
}
