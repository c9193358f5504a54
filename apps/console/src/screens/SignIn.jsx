// Sign in with phone number and password; or, the first time and after a reset, with the
// one-time code from the admin and a new password typed twice. The password's rule is identity's:
// its problem (in the console's language) is shown as it comes.
import { useState } from 'preact/hooks';
import { Field, ProblemBox } from '../../../shared/fields.jsx';
import { ApiProblem, Offline } from '../../../shared/http.js';
import { t } from '../../../shared/i18n.js';
import { go } from '../../../shared/router.js';
import { activate, signIn } from '../../../shared/session.js';

export function SignIn({ activation, reason }) {
  const [form, setForm] = useState({ phone: '', password: '', code: '', password2: '' });
  const [errors, setErrors] = useState({});
  const [problem, setProblem] = useState(reason || '');
  const [busy, setBusy] = useState(false);
  const update = (name) => (event) => setForm({ ...form, [name]: event.currentTarget.value });

  function check() {
    const found = {};
    if (!form.phone.trim()) found.phone = t('signin.phoneMissing');
    if (activation && !form.code.trim()) found.code = t('signin.codeMissing');
    if (!form.password) found.password = t('signin.passwordMissing');
    if (activation && form.password !== form.password2) found.password2 = t('signin.passwordsDiffer');
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
      if (activation) await activate(form.phone.trim(), form.code.trim(), form.password);
      else await signIn(form.phone.trim(), form.password);
      go('/worklist');
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

  return (
    <section aria-labelledby="screen-title" class="narrow">
      <h1 id="screen-title" tabIndex={-1}>{activation ? t('signin.activateTitle') : t('signin.title')}</h1>
      <p>{activation ? t('signin.activateIntro') : t('signin.intro')}</p>
      <ProblemBox message={problem} />
      <form onSubmit={submit} noValidate>
        <Field id="phone" label={t('signin.phone')} hint={t('signin.phoneHint')} error={errors.phone} required>
          {(a) => <input {...a} type="tel" inputMode="tel" autoComplete="username" value={form.phone} onInput={update('phone')} />}
        </Field>
        {activation ? (
          <Field id="code" label={t('signin.code')} error={errors.code} required>
            {(a) => <input {...a} type="text" autoComplete="one-time-code" autoCapitalize="characters" value={form.code} onInput={update('code')} />}
          </Field>
        ) : null}
        <Field id="password" label={activation ? t('signin.newPassword') : t('signin.password')} error={errors.password} required>
          {(a) => (
            <input {...a} type="password" autoComplete={activation ? 'new-password' : 'current-password'} value={form.password} onInput={update('password')} />
          )}
        </Field>
        {activation ? (
          <Field id="password2" label={t('signin.repeatPassword')} error={errors.password2} required>
            {(a) => <input {...a} type="password" autoComplete="new-password" value={form.password2} onInput={update('password2')} />}
          </Field>
        ) : null}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t('app.wait') : activation ? t('signin.activate') : t('signin.submit')}
        </button>
      </form>
      <p class="switch">
        {activation ? <a href="#/signin">{t('signin.haveAccount')}</a> : <a href="#/activate">{t('signin.haveCode')}</a>}
      </p>
    </section>
  );
}
