// Builds the verifiers' console into dist/: hashed bundles (esbuild), index.html, and .gz/.br
// beside every text file for the gateway. No service worker: a verifier decides online (every
// decision is checked against the report's current version), so an offline copy would only
// show a stale worklist.
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as esbuild from 'esbuild';
import { compressAll, kb, sum } from '../shared/build-tools.mjs';

const BASE = '/console/'; // where the gateway serves dist/
const DIST = 'dist';
const BUDGET_BYTES = 150 * 1024;
const quiet = process.argv.includes('--quiet');

rmSync(DIST, { recursive: true, force: true });
mkdirSync(join(DIST, 'assets'), { recursive: true });
if (existsSync('public')) cpSync('public', DIST, { recursive: true });

// Leaflet's CSS (and the images it names) in a hashed file of its own, which the map chunk links
// when a map first shows: the first screen does not carry it.
const leafletCss = await esbuild.build({
  entryPoints: { leaflet: 'leaflet/dist/leaflet.css' },
  outdir: DIST,
  bundle: true,
  minify: true,
  entryNames: 'assets/[name]-[hash]',
  assetNames: 'assets/[name]-[hash]',
  loader: { '.png': 'file' },
  metafile: true,
  logLevel: 'warning',
});
const leafletCssFile = Object.keys(leafletCss.metafile.outputs).find((file) => file.endsWith('.css'));

const app = await esbuild.build({
  entryPoints: { console: 'src/main.jsx' },
  outdir: DIST,
  bundle: true,
  format: 'esm',
  minify: true,
  target: ['es2020'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: 'assets/[name]-[hash]',
  assetNames: 'assets/[name]-[hash]',
  chunkNames: 'assets/[name]-[hash]',
  splitting: true, // a map's Leaflet comes in a chunk of its own, when a map first shows
  define: { 'process.env.NODE_ENV': '"production"', __LEAFLET_CSS__: JSON.stringify(BASE + relative(DIST, leafletCssFile)) },
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const outputs = app.metafile.outputs;
const entry = Object.keys(outputs).find((file) => outputs[file].entryPoint === 'src/main.jsx');
const css = outputs[entry].cssBundle;
const url = (file) => BASE + relative(DIST, file);
writeFileSync(join(DIST, 'index.html'), indexHtml());

const written = compressAll(DIST);
// The first screen: the page, its entry, its CSS and whatever chunks the entry imports statically.
const statics = outputs[entry].imports.filter((imported) => imported.kind === 'import-statement').map((imported) => imported.path);
const first = [join(DIST, 'index.html'), entry, css, ...statics].filter(Boolean);
const brotli = sum(first.map((file) => written.get(file).br));
const gzip = sum(first.map((file) => written.get(file).gz));
if (Math.max(brotli, gzip) > BUDGET_BYTES) {
  console.error(`the console's first screen is over its budget of ${kb(BUDGET_BYTES)}`);
  process.exit(1);
}
if (!quiet) for (const file of first) console.log(`  ${relative(DIST, file)}  ${kb(written.get(file).br)} br`);
console.log(`console: first screen ${kb(brotli)} brotli / ${kb(gzip)} gzip, budget ${kb(BUDGET_BYTES)}`);

function indexHtml() {
  return `<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="theme-color" content="#0b3d91">
<meta name="description" content="Sipokat: konsol verifikasi laporan RT">
<title>Sipokat Konsol</title>
<link rel="icon" href="${BASE}icon-192.png" type="image/png">
<link rel="stylesheet" href="${url(css)}">
<script type="module" src="${url(entry)}"></script>
</head>
<body>
<div id="app"><p class="loading">Memuat… / Loading…</p></div>
<noscript>Konsol ini memerlukan JavaScript. / The console needs JavaScript.</noscript>
</body>
</html>
`;
}
