// The form parts both apps use: a labelled field whose hint and error are tied to it for screen
// readers, a group of radio buttons, a problem box, and the language choice. The words come from
// the app's own locales (field.required, settings.language).
import { LANGUAGES, language, setLanguage, t } from './i18n.js';

// `children` is a function given the input's id and aria attributes, so any control fits.
export function Field({ id, label, hint, error, required, children }) {
  const hintId = hint ? `${id}-hint` : null;
  const errorId = error ? `${id}-error` : null;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>
        {label}
        {required ? <span class="required"> ({t('field.required')})</span> : null}
      </label>
      {hint ? <p class="hint" id={hintId}>{hint}</p> : null}
      {children({ id, 'aria-describedby': describedBy, 'aria-invalid': error ? 'true' : undefined, required })}
      {error ? <p class="error" id={errorId}>{error}</p> : null}
    </div>
  );
}

// A group of radio buttons as one labelled question.
export function Choice({ name, legend, hint, error, options, value, onChange, required }) {
  const hintId = hint ? `${name}-hint` : null;
  const errorId = error ? `${name}-error` : null;
  return (
    <fieldset class={`field${error ? ' invalid' : ''}`} aria-describedby={[hintId, errorId].filter(Boolean).join(' ') || undefined}>
      <legend>
        {legend}
        {required ? <span class="required"> ({t('field.required')})</span> : null}
      </legend>
      {hint ? <p class="hint" id={hintId}>{hint}</p> : null}
      {options.map((option) => (
        <label class="option" key={option.value}>
          <input type="radio" name={name} value={option.value} checked={value === option.value} onChange={() => onChange(option.value)} />
          <span>{option.label}</span>
        </label>
      ))}
      {error ? <p class="error" id={errorId}>{error}</p> : null}
    </fieldset>
  );
}

// What went wrong, in the API's words (its `detail`) or ours; announced when it appears.
export function ProblemBox({ message }) {
  if (!message) return null;
  return (
    <div class="problem" role="alert">
      {message}
    </div>
  );
}

// The two languages, each named in itself.
export function LanguageChoice() {
  return (
    <fieldset class="field language">
      <legend>{t('settings.language')}</legend>
      {LANGUAGES.map((lng) => (
        <label class="option" key={lng}>
          <input type="radio" name="language" value={lng} checked={language() === lng} onChange={() => setLanguage(lng)} />
          <span lang={lng}>{lng === 'id' ? 'Bahasa Indonesia' : 'English'}</span>
        </label>
      ))}
    </fieldset>
  );
}
