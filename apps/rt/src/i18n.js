// The app's words, through i18next: Indonesian by default, English when chosen. The choice is
// kept on the phone, sets <html lang> (screen readers pronounce by it), and is sent to the API
// as Accept-Language so its problems come back in the same language.
import i18next from 'i18next';
import en from './locales/en.js';
import id from './locales/id.js';

const KEY = 'sipokat-rt-language';
export const LANGUAGES = ['id', 'en'];

const i18n = i18next.createInstance();

export function initI18n() {
  const saved = localStorage.getItem(KEY);
  const lng = LANGUAGES.includes(saved) ? saved : 'id';
  i18n.init({
    lng,
    fallbackLng: 'id',
    resources: { id: { translation: id }, en: { translation: en } },
    initAsync: false, // the resources are bundled: ready at once
    interpolation: { escapeValue: false }, // Preact escapes
  });
  document.documentElement.lang = lng;
}

export function setLanguage(lng) {
  localStorage.setItem(KEY, lng);
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

export function formatDate(iso, withTime = false) {
  if (!iso) return '';
  const date = new Date(iso.length === 10 ? `${iso}T00:00:00` : iso);
  const options = withTime
    ? { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' }
    : { day: 'numeric', month: 'long', year: 'numeric' };
  return date.toLocaleString(language() === 'id' ? 'id-ID' : 'en-GB', options);
}
