// Shrinks photos off the main thread, so a cheap phone stays responsive while a 12-megapixel
// photo is decoded and re-encoded. Our own worker file (the library's would be a blob: URL,
// which the app's Content-Security-Policy does not allow); the library works in a worker as is.
import imageCompression from 'browser-image-compression';

self.addEventListener('message', async ({ data: { id, file, options } }) => {
  try {
    const blob = await imageCompression(file, { ...options, useWebWorker: false });
    self.postMessage({ id, blob });
  } catch (error) {
    self.postMessage({ id, error: String(error) });
  }
});
