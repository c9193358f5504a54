// Builds the RT app into dist/: hashed bundles (esbuild), index.html, the web app manifest, the
// service worker with its precache list (Workbox), .gz and .br beside every text file (Node's
// zlib, so the gateway serves them precompressed), and the size of the first screen, checked
// against the 150 KB budget of issue 23.
import { rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as esbuild from 'esbuild';
import { injectManifest } from 'workbox-build';
import { APP_BUILD, checkBudget, compressAll, firstScreen, freshDist, indexHtml, kb, sum } from '../shared/build-tools.mjs';

const BASE = '/app/'; // where the gateway serves dist/ (RT-APP-CONTRACT.md)
const DIST = 'dist';
const BUDGET_BYTES = 150 * 1024;
const quiet = process.argv.includes('--quiet');
const say = (line) => quiet || console.log(line);

freshDist(DIST);

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
  ...APP_BUILD,
  entryPoints: { app: 'src/main.jsx' },
  outdir: DIST,
  define: {
    'process.env.NODE_ENV': '"production"',
    __BASE__: JSON.stringify(BASE),
    __SHRINK_WORKER_URL__: JSON.stringify(BASE + relative(DIST, shrinkerFile)),
  },
});

// What the first screen loads: the entry, every chunk it imports statically, and its CSS.
const { entry, css, chunks } = firstScreen(app.metafile.outputs, 'src/main.jsx');

writeFileSync(
  join(DIST, 'index.html'),
  indexHtml({
    base: BASE,
    dist: DIST,
    title: 'Sipokat RT',
    description: 'Sipokat: laporan kegiatan RT',
    noscript: 'Aplikasi ini memerlukan JavaScript. / This app needs JavaScript.',
    css,
    entry,
    preloads: chunks,
    installable: true,
  }),
);
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
const files = [join(DIST, 'index.html'), join(DIST, 'manifest.webmanifest'), entry, ...chunks, css].filter(Boolean);
say(`RT app built in ${DIST}/: ${precache.count} files precached (${kb(precache.size)} raw, ${kb(sum([...written.values()].map((s) => s.br)))} brotli for its text files)`);
checkBudget({ name: 'RT app', dist: DIST, files, written, budget: BUDGET_BYTES, quiet });

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
