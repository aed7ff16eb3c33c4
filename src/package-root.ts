/**
 * Where the package is, whether it runs from the sources (src/package-root.ts,
 * through tsx) or from the build (dist/src/package-root.js, after `make build`).
 *
 * Files that ship beside the code (sql/, package.json, package-lock.json) are
 * found from PACKAGE_ROOT, the nearest directory at or above this module that
 * holds a package.json. The code that runs is under CODE_ROOT: the directory
 * holding this module's `src/` folder, which is PACKAGE_ROOT for the sources
 * and PACKAGE_ROOT/dist for the build.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC_DIR = dirname(fileURLToPath(import.meta.url));

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json in ${start} or any directory above it`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(SRC_DIR);

/** The directory holding the running code's src/ and pipelines/: PACKAGE_ROOT, or PACKAGE_ROOT/dist when compiled. */
export const CODE_ROOT = dirname(SRC_DIR);
