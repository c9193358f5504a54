// What both apps' builds (rt/build.mjs, console/build.mjs) share: a fresh dist/, the page that
// loads the app, the first screen's files, a .gz and a .br beside every text file (Node's zlib,
// so the gateway serves them precompressed), and the first screen checked against its budget.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

// esbuild's options for an app's entry (src/main.jsx): Preact's JSX, ES modules split into
// chunks, hashed names under assets/, and a metafile to find the first screen's files in.
export const APP_BUILD = {
  bundle: true,
  splitting: true,
  format: 'esm',
  minify: true,
  target: ['es2020'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: 'assets/[name]-[hash]',
  chunkNames: 'assets/[name]-[hash]',
  assetNames: 'assets/[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
};

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

// An empty <dist>/assets, with public/ (icons) copied in when the app has one.
export function freshDist(dist) {
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(join(dist, 'assets'), { recursive: true });
  if (existsSync('public')) cpSync('public', dist, { recursive: true });
}

// The entry's output file in esbuild's metafile outputs, and every chunk it imports statically,
// however deep: what the first screen loads before it can run.
export function firstScreen(outputs, entryPoint) {
  const entry = Object.keys(outputs).find((file) => outputs[file].entryPoint === entryPoint);
  const files = new Set();
  const visit = (file) => {
    if (files.has(file)) return;
    files.add(file);
    for (const imported of outputs[file].imports) if (imported.kind === 'import-statement') visit(imported.path);
  };
  visit(entry);
  return { entry, css: outputs[entry].cssBundle, chunks: [...files].filter((file) => file !== entry) };
}

// The page at <base>: its words, icon and (for an installable app) manifest; the entry's CSS,
// its statically imported chunks preloaded, and the entry.
export function indexHtml({ base, dist, title, description, noscript, css, entry, preloads = [], installable = false }) {
  const url = (file) => base + relative(dist, file);
  const head = [
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="theme-color" content="#0b3d91">',
    `<meta name="description" content="${description}">`,
    `<title>${title}</title>`,
    ...(installable ? [`<link rel="manifest" href="${base}manifest.webmanifest">`] : []),
    `<link rel="icon" href="${base}icon-192.png" type="image/png">`,
    ...(installable ? [`<link rel="apple-touch-icon" href="${base}icon-192.png">`] : []),
    `<link rel="stylesheet" href="${url(css)}">`,
    ...preloads.map((file) => `<link rel="modulepreload" href="${url(file)}">`),
    `<script type="module" src="${url(entry)}"></script>`,
  ];
  return `<!doctype html>
<html lang="id">
<head>
${head.join('\n')}
</head>
<body>
<div id="app"><p class="loading">Memuat… / Loading…</p></div>
<noscript>${noscript}</noscript>
</body>
</html>
`;
}

// The first screen's bytes, brotli and gzip, against the budget: each file listed unless quiet,
// the build failed when over, and one line that `make app` prints.
export function checkBudget({ name, dist, files, written, budget, quiet }) {
  const brotli = sum(files.map((file) => written.get(file).br));
  const gzip = sum(files.map((file) => written.get(file).gz));
  if (!quiet) for (const file of files) console.log(`  ${relative(dist, file)}  ${kb(written.get(file).br)} br`);
  if (Math.max(brotli, gzip) > budget) {
    console.error(`${name}: the first screen is over its budget of ${kb(budget)}`);
    process.exit(1);
  }
  console.log(`${name}: first screen ${kb(brotli)} brotli / ${kb(gzip)} gzip, budget ${kb(budget)}`);
}
