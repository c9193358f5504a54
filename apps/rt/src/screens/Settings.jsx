// The account, the language, and signing out (drafts and the outbox stay on the phone).
import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { listOutbox } from '../outbox.js';
import { go } from '../../../shared/router.js';
import { currentAccount, signOut } from '../../../shared/session.js';
import { LanguageChoice } from './SignIn.jsx';

export function Settings() {
  const account = currentAccount();
  const [waiting, setWaiting] = useState(0);
  useEffect(() => {
    listOutbox().then((entries) => setWaiting(entries.filter((e) => e.state === 'waiting').length));
  }, []);

  async function leave() {
    await signOut();
    go('/signin');
  }

  return (
    <section aria-labelledby="screen-title">
      <h1 id="screen-title" tabIndex={-1}>{t('settings.title')}</h1>
      <dl class="facts">
        <dt>{t('settings.name')}</dt>
        <dd>{account.name}</dd>
        <dt>{t('settings.phone')}</dt>
        <dd>{account.phone}</dd>
        <dt>{t('settings.rt')}</dt>
        <dd>{account.post?.wilayah}</dd>
      </dl>
      <LanguageChoice />
      <h2>{t('settings.signOutTitle')}</h2>
      {waiting ? <p class="warning">{t('settings.outboxWaits', { count: waiting })}</p> : null}
      <button type="button" class="secondary" onClick={leave}>{t('settings.signOut')}</button>
    </section>
  );
}
