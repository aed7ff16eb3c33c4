// Started by test/run/allocator-env.test.ts as `probe.ts run <exit code | signal>`: relaunches itself under the
// allocator settings, and the relaunched process prints them (as JSON) and ends with the code or signal asked for.
// With `wait` it prints its pid and keeps running, to be stopped by killing the launcher.
import { ALLOCATOR_ENV, followLauncher, needsAllocatorEnv, relaunchWithAllocatorEnv } from '../../src/run/allocator-env.js';

if (needsAllocatorEnv()) {
  relaunchWithAllocatorEnv();
} else {
  followLauncher();
  const end = process.argv[3]!;
  if (end === 'wait') {
    process.stdout.write(`${process.pid}\n`);
    setTimeout(() => process.exit(0), 60_000);
  } else {
    process.stdout.write(`${JSON.stringify(Object.fromEntries(Object.keys(ALLOCATOR_ENV).map((name) => [name, process.env[name]])))}\n`);
    if (end.startsWith('SIG')) process.kill(process.pid, end as NodeJS.Signals);
    else process.exit(Number(end));
  }
}
