// The RT app's words (src/locales/), through the shared i18n module.
import { initI18n as init } from '../../shared/i18n.js';
import en from './locales/en.js';
import id from './locales/id.js';

export { LANGUAGES, formatDate, label, language, onLanguageChange, setLanguage, t } from '../../shared/i18n.js';

export const initI18n = () => init({ key: 'sipokat-rt-language', resources: { id, en } });
