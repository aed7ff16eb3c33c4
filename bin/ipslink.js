#!/usr/bin/env node
// Installed entry point. After `make build` it runs the compiled CLI
// (dist/src/cli/main.js) and loads no TypeScript tooling at all, so it starts
// fast. In a checkout without a build (no dist/) it falls back to registering
// tsx and running the sources, as `npm run ipslink` does in development.
// On Linux it first starts itself once more under the allocator settings of
// src/run/allocator-env.ts (glibc's and DuckDB's jemalloc's), which are only
// read at process start.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/src/cli/main.js', import.meta.url);
const built = existsSync(compiled);

if (!built) {
  const { register } = await import('tsx/esm/api');
  register();
}
const allocator = await import(built ? '../dist/src/run/allocator-env.js' : '../src/run/allocator-env.ts');
if (allocator.needsAllocatorEnv()) {
  allocator.relaunchWithAllocatorEnv();
} else {
  allocator.followLauncher();
  await import(built ? compiled.href : '../src/cli/main.ts');
}
