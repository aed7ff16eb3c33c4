/**
 * The order vitest starts test files in: the files that run whole commands
 * (a synthesis, a study run, the CLI) first, then the rest, each group in
 * vitest's own order (by the durations it recorded, or the largest file
 * first in a fresh clone, as in CI). By size alone, a short file that runs
 * whole studies (the simulation study, 43 s in CI) started among the last
 * and ran on alone after the other worker had run out of files.
 */
import { readFileSync } from 'node:fs';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const RUNS_WHOLE_COMMANDS = /\b(?:synthesizeDelivery|makeSmallWorld|runSimulation|runStudy|runCli|startCli|spawnSync|execFileSync)\(/;

export default class WholeCommandsFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const first = new Set(sorted.filter((file) => RUNS_WHOLE_COMMANDS.test(readFileSync(file.moduleId, 'utf8'))));
    return [...sorted.filter((file) => first.has(file)), ...sorted.filter((file) => !first.has(file))];
  }
}
