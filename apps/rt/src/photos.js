// Photos are shrunk on the phone before anything is kept or sent: a 12-megapixel photo of 5 MB
// becomes a JPEG of at most 1600 px and about 300 KB (browser-image-compression), in our own
// Web Worker (shrink-worker.js); where a worker cannot run, here, with the library imported
// only then. Neither is part of the first screen.
import { delMany, get, set } from 'idb-keyval';
import { photoStore, uuid } from './store.js';

const SHRINK = {
  maxSizeMB: 0.3,
  maxWidthOrHeight: 1600,
  initialQuality: 0.7,
  fileType: 'image/jpeg',
  preserveExif: false, // no GPS position leaves the phone inside a photo
};

let worker = null;

function shrinkInWorker(file) {
  worker = worker || new Worker(__SHRINK_WORKER_URL__);
  const id = uuid();
  return new Promise((resolve, reject) => {
    const answer = ({ data }) => {
      if (data.id !== id) return;
      worker.removeEventListener('message', answer);
      if (data.error) reject(new Error(data.error));
      else resolve(data.blob);
    };
    worker.addEventListener('message', answer);
    worker.addEventListener('error', reject, { once: true });
    worker.postMessage({ id, file, options: SHRINK });
  });
}

async function shrinkHere(file) {
  const { default: compress } = await import('browser-image-compression');
  return compress(file, { ...SHRINK, useWebWorker: false });
}

// Shrinks a picked file and keeps it; returns what a draft holds of it.
export async function addPhoto(file) {
  const blob = await shrinkInWorker(file).catch(() => shrinkHere(file));
  const id = uuid();
  await set(id, { blob, type: 'image/jpeg' }, photoStore);
  return { id, bytes: blob.size, original_bytes: file.size };
}

export const photoBlob = async (id) => (await get(id, photoStore))?.blob;

export const deletePhotos = (photos) =>
  delMany(photos.filter((photo) => photo.id).map((photo) => photo.id), photoStore);
