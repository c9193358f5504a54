// Builds the verifiers' console into dist/: hashed bundles (esbuild), index.html, and .gz/.br
// beside every text file for the gateway. No service worker: a verifier decides online (every
// decision is checked against the report's current version), so an offline copy would only
// show a stale worklist.
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as esbuild from 'esbuild';
import { APP_BUILD, checkBudget, compressAll, firstScreen, freshDist, indexHtml } from '../shared/build-tools.mjs';

const BASE = '/console/'; // where the gateway serves dist/
const DIST = 'dist';
const BUDGET_BYTES = 150 * 1024;
const quiet = process.argv.includes('--quiet');

freshDist(DIST);

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
  ...APP_BUILD, // splitting: a map's Leaflet comes in a chunk of its own, when a map first shows
  entryPoints: { console: 'src/main.jsx' },
  outdir: DIST,
  define: { 'process.env.NODE_ENV': '"production"', __LEAFLET_CSS__: JSON.stringify(BASE + relative(DIST, leafletCssFile)) },
});

const { entry, css, chunks } = firstScreen(app.metafile.outputs, 'src/main.jsx');
writeFileSync(
  join(DIST, 'index.html'),
  indexHtml({
    base: BASE,
    dist: DIST,
    title: 'Sipokat Konsol',
    description: 'Sipokat: konsol verifikasi laporan RT',
    noscript: 'Konsol ini memerlukan JavaScript. / The console needs JavaScript.',
    css,
    entry,
  }),
);

const written = compressAll(DIST);
// The first screen: the page, its entry, its CSS and whatever chunks the entry imports statically.
const files = [join(DIST, 'index.html'), entry, css, ...chunks].filter(Boolean);
checkBudget({ name: 'console', dist: DIST, files, written, budget: BUDGET_BYTES, quiet });
