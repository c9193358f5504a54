// An app's words, through i18next: Indonesian by default, English when chosen. The choice is
// kept on the device, sets <html lang> (screen readers pronounce by it), and is sent to the API
// as Accept-Language (http.js) so its problems come back in the same language. Each app bundles
// its own copy of this module, so each has its own instance and its own words.
import i18next from 'i18next';

export const LANGUAGES = ['id', 'en'];

const i18n = i18next.createInstance();
let storageKey = 'sipokat-language';

// `key`: where the choice is kept (one per app); `resources`: {id: {...}, en: {...}}.
export function initI18n({ key, resources }) {
  storageKey = key;
  const saved = localStorage.getItem(key);
  const lng = LANGUAGES.includes(saved) ? saved : 'id';
  i18n.init({
    lng,
    fallbackLng: 'id',
    resources: { id: { translation: resources.id }, en: { translation: resources.en } },
    initAsync: false, // the resources are bundled: ready at once
    interpolation: { escapeValue: false }, // Preact escapes
  });
  document.documentElement.lang = lng;
}

export function setLanguage(lng) {
  localStorage.setItem(storageKey, lng);
  document.documentElement.lang = lng;
  return i18n.changeLanguage(lng);
}

export const language = () => i18n.language || 'id';
export const t = (key, options) => i18n.t(key, options);
export const onLanguageChange = (listener) => i18n.on('languageChanged', listener);

// A label the API gives in both languages ({id, en}), or the code when there is none; it
// starts with a capital, as the app's own sentences do.
export function label(labels, code) {
  const text = (labels && (labels[language()] || labels.id)) || code || '';
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const locale = () => (language() === 'id' ? 'id-ID' : 'en-GB');

export function formatDate(iso, withTime = false) {
  if (!iso) return '';
  const date = new Date(iso.length === 10 ? `${iso}T00:00:00` : iso);
  const options = withTime
    ? { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' }
    : { day: 'numeric', month: 'long', year: 'numeric' };
  return date.toLocaleString(locale(), options);
}

// A moment in WIB (UTC+7, the cities' time zone), whatever the device's own zone is: deadlines
// are the same for every verifier.
export function formatWib(iso) {
  if (!iso) return '';
  const text = new Date(iso).toLocaleString(locale(), {
    timeZone: 'Asia/Jakarta',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  });
  return `${text} WIB`;
}
