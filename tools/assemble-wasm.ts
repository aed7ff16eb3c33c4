/**
 * `make wasm`: assembles each WebAssembly text file under src/ (`*.wat`) into the binary beside it (`*.wasm`),
 * which the code loads. The binaries are committed, so neither a run nor `make build` needs wabt, and a test
 * (test/estimate/did-pair-sums.test.ts) fails when a binary is not the assembly of its text.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import wabtInit from 'wabt';

/** The binary of the WebAssembly text file at `path` (128-bit SIMD allowed), validated. */
export async function assembleWat(path: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const parsed = wabt.parseWat(path, readFileSync(path, 'utf8'), { simd: true });
  try {
    parsed.validate();
    return parsed.toBinary({}).buffer;
  } finally {
    parsed.destroy();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const texts = readdirSync('src', { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.wat'))
    .sort();
  for (const file of texts) {
    const text = join('src', file);
    const binary = text.replace(/\.wat$/, '.wasm');
    writeFileSync(binary, await assembleWat(text));
    console.log(`${text} -> ${binary}`);
  }
}
