// Sign in with phone number and PIN; or, the first time and after the lurah reset the PIN,
// with the one-time code and a new PIN typed twice.
import { useState } from 'preact/hooks';
import { Field, ProblemBox } from '../components.jsx';
import { ApiProblem, Offline } from '../../../shared/http.js';
import { LanguageChoice } from '../../../shared/fields.jsx';
import { t } from '../i18n.js';
import { go } from '../../../shared/router.js';
import { activate, signIn } from '../../../shared/session.js';

export function SignIn({ activation, reason }) {
  const [form, setForm] = useState({ phone: '', pin: '', code: '', pin2: '' });
  const [errors, setErrors] = useState({});
  const [problem, setProblem] = useState(reason || '');
  const [busy, setBusy] = useState(false);
  const update = (name) => (event) => setForm({ ...form, [name]: event.currentTarget.value });

  function check() {
    const found = {};
    if (!form.phone.trim()) found.phone = t('signin.phoneMissing');
    if (activation && !form.code.trim()) found.code = t('signin.codeMissing');
    if (!/^\d{6,}$/.test(form.pin)) found.password = t('signin.pinRule');
    if (activation && form.pin !== form.pin2) found.pin2 = t('signin.pinsDiffer');
    return found;
  }

  async function submit(event) {
    event.preventDefault();
    const found = check();
    setErrors(found);
    setProblem(Object.keys(found).length ? t('form.fix') : '');
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      if (activation) await activate(form.phone.trim(), form.code.trim(), form.pin);
      else await signIn(form.phone.trim(), form.pin);
      go('/compose');
    } catch (error) {
      if (error instanceof Offline) setProblem(t('app.needsNetwork'));
      else if (error instanceof ApiProblem) {
        setErrors(error.byField());
        setProblem(error.detail);
      } else throw error;
    } finally {
      setBusy(false);
    }
  }

  const pinField = activation ? t('signin.newPin') : t('signin.pin');
  return (
    <section aria-labelledby="screen-title">
      <h1 id="screen-title" tabIndex={-1}>{activation ? t('signin.activateTitle') : t('signin.title')}</h1>
      {activation ? <p>{t('signin.activateIntro')}</p> : null}
      <ProblemBox message={problem} />
      <form onSubmit={submit} noValidate>
        <Field id="phone" label={t('signin.phone')} hint={t('signin.phoneHint')} error={errors.phone} required>
          {(a) => <input {...a} type="tel" inputMode="tel" autoComplete="tel" value={form.phone} onInput={update('phone')} />}
        </Field>
        {activation ? (
          <Field id="code" label={t('signin.code')} error={errors.code} required>
            {(a) => <input {...a} type="text" autoComplete="one-time-code" autoCapitalize="characters" value={form.code} onInput={update('code')} />}
          </Field>
        ) : null}
        <Field id="password" label={pinField} hint={t('signin.pinRule')} error={errors.password} required>
          {(a) => (
            <input {...a} type="password" inputMode="numeric" autoComplete={activation ? 'new-password' : 'current-password'} value={form.pin} onInput={update('pin')} />
          )}
        </Field>
        {activation ? (
          <Field id="pin2" label={t('signin.repeatPin')} error={errors.pin2} required>
            {(a) => <input {...a} type="password" inputMode="numeric" autoComplete="new-password" value={form.pin2} onInput={update('pin2')} />}
          </Field>
        ) : null}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t('app.wait') : activation ? t('signin.activate') : t('signin.submit')}
        </button>
      </form>
      <p class="switch">
        {activation ? <a href="#/signin">{t('signin.haveAccount')}</a> : <a href="#/activate">{t('signin.haveCode')}</a>}
      </p>
      <LanguageChoice />
    </section>
  );
}

export { LanguageChoice };
