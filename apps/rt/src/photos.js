// Photos are shrunk on the phone before anything is kept or sent: a 12-megapixel photo of 5 MB
// becomes a JPEG of at most 1600 px and about 300 KB. browser-image-compression does the work
// in a Web Worker (the phone stays responsive), loading itself from our own copy, never a CDN;
// it is imported only when the first photo is picked, so the first screen does not carry it.
import { delMany, get, set } from 'idb-keyval';
import { photoStore, uuid } from './store.js';

const SHRINK = {
  maxSizeMB: 0.3,
  maxWidthOrHeight: 1600,
  initialQuality: 0.7,
  fileType: 'image/jpeg',
  useWebWorker: true,
  libURL: __COMPRESSOR_URL__,
  preserveExif: false, // no GPS position leaves the phone inside a photo
};

// Shrinks a picked file and keeps it; returns what a draft holds of it.
export async function addPhoto(file) {
  const { default: compress } = await import('browser-image-compression');
  const blob = await compress(file, SHRINK);
  const id = uuid();
  await set(id, { blob, type: 'image/jpeg' }, photoStore);
  return { id, bytes: blob.size, original_bytes: file.size };
}

export const photoBlob = async (id) => (await get(id, photoStore))?.blob;

export const deletePhotos = (photos) =>
  delMany(photos.filter((photo) => photo.id).map((photo) => photo.id), photoStore);
