/**
 * `ipslink tables --run DIR`: rebuilds the study tables of a published run
 * from its export/ files and says whether they match the published bytes.
 */

import { join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { readManifest } from '../publish/manifest.js';

interface TablesArgs {
  run?: string;
  config?: string;
}

export const tablesCommand: CommandModule<object, TablesArgs> = {
  command: 'tables',
  describe: 'rebuild the study tables (export/tables/) and export/report.html of a published run and compare them with the published bytes',
  builder: (yargs) =>
    yargs
      .options({
        run: { type: 'string', describe: 'published run directory, e.g. out/demo/current' },
        config: { type: 'string', describe: 'study config; uses the current run of its output directory' },
      })
      .check((args) => {
        if (Boolean(args.run) === Boolean(args.config)) throw new Error('give exactly one of --run and --config');
        return true;
      }),
  handler: async (args) => {
    // Loaded when the command runs, so that --help does not load DuckDB or Vega.
    const [{ loadStudyConfig, parseStudyConfig }, { sha256OfFile }, { writeStudyReport }] = await Promise.all([
      import('../config/study-config.js'),
      import('../ingest/delivery-manifest.js'),
      import('../report/study-report.js'),
    ]);
    const runDir = resolve(args.run ?? join(loadStudyConfig(args.config!).config.output, 'current'));
    const manifest = readManifest(runDir);
    // Parsed again, so a run published before a setting existed gets its default.
    const written = await writeStudyReport(runDir, parseStudyConfig(join(runDir, 'manifest.json'), manifest.config.settings));
    const changed: string[] = [];
    for (const name of written) {
      const path = `export/${name}`;
      const published = manifest.outputs.find((output) => output.path === path);
      if (!published || published.sha256 !== (await sha256OfFile(join(runDir, path)))) changed.push(name);
    }
    process.stdout.write(
      changed.length
        ? `rebuilt ${written.length} tables and report files in ${runDir}/export; ${changed.length} differ from the published manifest: ${changed.join(', ')}\n`
        : `rebuilt ${written.length} tables and report files in ${runDir}/export; all identical to the published bytes\n`,
    );
  },
};
