// The console: which screen the hash names, for whom. Only lurah, camat and the city office
// decide reports; any other account is told so and not let in.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { initI18n, onLanguageChange, t } from '../../shared/i18n.js';
import { go, useRoute } from '../../shared/router.js';
import { configureSession, currentAccount, restore, sessionEvents, signOut } from '../../shared/session.js';
import { consoleApi } from './api.js';
import { Frame } from './frame.jsx';
import en from './locales/en.js';
import id from './locales/id.js';
import { Decisions } from './screens/Decisions.jsx';
import { Inbox } from '../../shared/Inbox.jsx';
import { Report } from './screens/Report.jsx';
import { SignIn } from './screens/SignIn.jsx';
import { Worklist } from './screens/Worklist.jsx';
import './styles.css';
import { setConfig } from './words.js';

const VERIFIERS = new Set(['lurah', 'camat', 'pemkot']);
const SCREENS = new Set(['worklist', 'report', 'decisions', 'inbox']);
const reportPath = (reportId) => `/report/${encodeURIComponent(reportId)}`;

function App() {
  const route = useRoute();
  const [account, setAccount] = useState(currentAccount());
  const [reason, setReason] = useState('');
  const [ready, setReady] = useState(false);
  const [, setLanguage] = useState('');

  useEffect(() => {
    const onSession = (event) => {
      setAccount(currentAccount());
      setReason(event.detail || '');
    };
    sessionEvents.addEventListener('change', onSession);
    onLanguageChange((lng) => setLanguage(lng));
    return () => sessionEvents.removeEventListener('change', onSession);
  }, []);

  // A signed-in account that decides nothing is signed out again, with the reason in words.
  const role = account?.post?.role;
  useEffect(() => {
    if (account && !VERIFIERS.has(role)) signOut().then(() => setReason(t('app.notVerifier')));
  }, [account, role]);

  // The city's words for kinds and bidang, once per sign-in.
  const wilayah = account?.post?.wilayah;
  useEffect(() => {
    setReady(false);
    if (!wilayah) return;
    consoleApi
      .config(wilayah)
      .then(setConfig)
      .catch(() => {}) // the codes are shown instead
      .finally(() => setReady(true));
  }, [wilayah]);

  const signedIn = !!account && VERIFIERS.has(role);
  const name = !signedIn ? (route.name === 'activate' ? 'activate' : 'signin') : SCREENS.has(route.name) ? route.name : 'worklist';
  useEffect(() => {
    if (route.name !== name) go(`/${name}`);
  }, [name, route.name]);

  // A new screen: focus its heading, so a screen reader starts reading there.
  const where = `${name}/${route.params.join('/')}`;
  useEffect(() => {
    document.getElementById('screen-title')?.focus();
    scrollTo(0, 0);
  }, [where]);

  let screen;
  if (name === 'signin') screen = <SignIn key="signin" reason={reason} />;
  else if (name === 'activate') screen = <SignIn key="activate" activation />;
  else if (!ready) screen = <p>{t('app.loading')}</p>;
  else if (name === 'report' && route.params[0]) screen = <Report key={route.params[0]} reportId={route.params[0]} account={account} />;
  else if (name === 'decisions') screen = <Decisions />;
  else if (name === 'inbox') screen = <Inbox reportPath={reportPath} />;
  else screen = <Worklist account={account} />;
  return (
    <Frame route={name === 'report' ? 'worklist' : name} account={signedIn ? account : null}>
      {screen}
    </Frame>
  );
}

async function start() {
  initI18n({ key: 'sipokat-console-language', resources: { id, en } });
  configureSession({ name: 'sipokat-console' });
  await restore();
  const root = document.getElementById('app');
  root.textContent = ''; // the "loading" line of index.html
  render(<App />, root);
}

start();
