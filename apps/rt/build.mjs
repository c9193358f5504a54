// Builds the RT app into dist/: hashed bundles (esbuild), index.html, the web app manifest, the
// service worker with its precache list (Workbox), .gz and .br beside every text file (Node's
// zlib, so the gateway serves them precompressed), and the size of the first screen, checked
// against the 150 KB budget of issue 23.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as esbuild from 'esbuild';
import { injectManifest } from 'workbox-build';
import { compressAll, kb, sum } from '../shared/build-tools.mjs';

const BASE = '/app/'; // where the gateway serves dist/ (RT-APP-CONTRACT.md)
const DIST = 'dist';
const BUDGET_BYTES = 150 * 1024;
const quiet = process.argv.includes('--quiet');
const say = (line) => quiet || console.log(line);

rmSync(DIST, { recursive: true, force: true });
mkdirSync(join(DIST, 'assets'), { recursive: true });
cpSync('public', DIST, { recursive: true });

// The photo-shrinking worker first: the app needs its hashed name.
const shrinker = await esbuild.build({
  entryPoints: { 'shrink-worker': 'src/shrink-worker.js' },
  outdir: join(DIST, 'assets'),
  entryNames: '[name]-[hash]',
  bundle: true,
  format: 'iife',
  minify: true,
  target: ['es2020'],
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});
const shrinkerFile = Object.keys(shrinker.metafile.outputs)[0];

const app = await esbuild.build({
  entryPoints: { app: 'src/main.jsx' },
  outdir: DIST,
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
  define: {
    'process.env.NODE_ENV': '"production"',
    __BASE__: JSON.stringify(BASE),
    __SHRINK_WORKER_URL__: JSON.stringify(BASE + relative(DIST, shrinkerFile)),
  },
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

// What the first screen loads: the entry, every chunk it imports statically, and its CSS.
const outputs = app.metafile.outputs;
const entry = Object.keys(outputs).find((file) => outputs[file].entryPoint === 'src/main.jsx');
const firstScreen = new Set();
const visit = (file) => {
  if (firstScreen.has(file)) return;
  firstScreen.add(file);
  for (const imported of outputs[file].imports) if (imported.kind === 'import-statement') visit(imported.path);
};
visit(entry);
const css = outputs[entry].cssBundle;
const url = (file) => BASE + relative(DIST, file);
const preloads = [...firstScreen].filter((file) => file !== entry);

writeFileSync(join(DIST, 'index.html'), indexHtml());
writeFileSync(join(DIST, 'manifest.webmanifest'), JSON.stringify(manifest(), null, 2));

// The service worker: our source bundled, then Workbox writes the precache list into it.
await esbuild.build({
  entryPoints: ['src/sw.js'],
  outfile: join(DIST, 'sw.src.js'),
  bundle: true,
  format: 'iife',
  minify: true,
  target: ['es2020'],
  define: { 'process.env.NODE_ENV': '"production"', __BASE__: JSON.stringify(BASE) },
  legalComments: 'none',
  logLevel: 'warning',
});
const precache = await injectManifest({
  swSrc: join(DIST, 'sw.src.js'),
  swDest: join(DIST, 'sw.js'),
  globDirectory: DIST,
  globPatterns: ['**/*.{html,js,css,webmanifest,png}'],
  globIgnores: ['sw.js', 'sw.src.js'],
  modifyURLPrefix: { '': BASE },
  // Hashed names change with their content: Workbox need not add a revision to them.
  dontCacheBustURLsMatching: /-[A-Z0-9]{8}\.\w+$/,
});
rmSync(join(DIST, 'sw.src.js'));

const written = compressAll(DIST);
// The manifest is fetched with the first page too; the worker and its precache come after it.
const firstFiles = [join(DIST, 'index.html'), join(DIST, 'manifest.webmanifest'), ...firstScreen, css].filter(Boolean);
const everything = [...written.values()];
const brotli = sum(firstFiles.map((file) => written.get(file).br));
const gzip = sum(firstFiles.map((file) => written.get(file).gz));
say(`RT app built in ${DIST}/: ${precache.count} files precached (${kb(precache.size)} raw, ${kb(sum(everything.map((s) => s.br)))} brotli for its text files)`);
say(`first screen: ${kb(brotli)} brotli, ${kb(gzip)} gzip (budget ${kb(BUDGET_BYTES)}):`);
for (const file of firstFiles) say(`  ${relative(DIST, file)}  ${kb(written.get(file).br)} br`);
if (Math.max(brotli, gzip) > BUDGET_BYTES) {
  console.error(`the first screen is over its budget of ${kb(BUDGET_BYTES)}`);
  process.exit(1);
}
console.log(`RT app: first screen ${kb(brotli)} brotli / ${kb(gzip)} gzip, budget ${kb(BUDGET_BYTES)}`);

function indexHtml() {
  const links = preloads.map((file) => `<link rel="modulepreload" href="${url(file)}">`).join('\n');
  return `<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="theme-color" content="#0b3d91">
<meta name="description" content="Sipokat: laporan kegiatan RT">
<title>Sipokat RT</title>
<link rel="manifest" href="${BASE}manifest.webmanifest">
<link rel="icon" href="${BASE}icon-192.png" type="image/png">
<link rel="apple-touch-icon" href="${BASE}icon-192.png">
<link rel="stylesheet" href="${url(css)}">
${links}
<script type="module" src="${url(entry)}"></script>
</head>
<body>
<div id="app"><p class="loading">Memuat… / Loading…</p></div>
<noscript>Aplikasi ini memerlukan JavaScript. / This app needs JavaScript.</noscript>
</body>
</html>
`;
}

function manifest() {
  return {
    name: 'Sipokat RT',
    short_name: 'Sipokat RT',
    description: 'Laporan kegiatan RT untuk ketua RT',
    lang: 'id',
    start_url: BASE,
    scope: BASE,
    id: BASE,
    display: 'standalone',
    orientation: 'portrait',
    background_color: '#ffffff',
    theme_color: '#0b3d91',
    icons: [
      { src: `${BASE}icon-192.png`, sizes: '192x192', type: 'image/png' },
      { src: `${BASE}icon-512.png`, sizes: '512x512', type: 'image/png' },
      { src: `${BASE}icon-maskable-512.png`, sizes: '512x512', type: 'image/png', purpose: 'maskable' },
    ],
  };
}
