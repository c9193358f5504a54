// What both apps' builds do after esbuild: a .gz and a .br beside every text file (Node's zlib,
// so the gateway serves them precompressed), and sizes in words.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const TEXT = /\.(html|js|css|webmanifest|json|svg)$/;

// Writes <file>.gz and <file>.br beside every text file; returns their sizes by file.
export function compressAll(dir) {
  const sizes = new Map();
  for (const file of walk(dir)) {
    if (!TEXT.test(file)) continue;
    const data = readFileSync(file);
    const gz = gzipSync(data, { level: 9 });
    const br = brotliCompressSync(data, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
    });
    writeFileSync(`${file}.gz`, gz);
    writeFileSync(`${file}.br`, br);
    sizes.set(file, { raw: data.length, gz: gz.length, br: br.length });
  }
  return sizes;
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

export function sum(numbers) {
  return numbers.reduce((a, b) => a + b, 0);
}

export function kb(bytes) {
  return `${(bytes / 1024).toFixed(1)} KB`;
}
