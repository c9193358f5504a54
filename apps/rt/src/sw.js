// The service worker: the whole app is precached (Workbox), so it opens with no network;
// every screen is index.html (hash routes). API calls are never cached here: the app keeps
// what it needs offline in IndexedDB, and a cached answer would show stale statuses.
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL(`${__BASE__}index.html`), { allowlist: [new RegExp(`^${__BASE__}`)] }));

// A new version takes over at once: the app keeps nothing in memory that would break.
// API calls skip the worker altogether where the browser can route statically (Chromium 123+):
// on a slow phone, waking a worker for every request costs time and buys nothing here.
self.addEventListener('install', (event) => {
  self.skipWaiting();
  if (event.addRoutes && self.URLPattern) {
    event.waitUntil(event.addRoutes([{ condition: { urlPattern: new URLPattern({ pathname: '/v1/*' }) }, source: 'network' }]).catch(() => {}));
  }
});
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

// Background Sync: the network is back; the open app sends its outbox (it holds the session).
self.addEventListener('sync', (event) => {
  if (event.tag !== 'sipokat-outbox') return;
  event.waitUntil(
    self.clients.matchAll({ type: 'window' }).then((clients) => clients.forEach((client) => client.postMessage('flush-outbox'))),
  );
});
