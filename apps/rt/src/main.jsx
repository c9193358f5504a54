// The app: which screen the hash names, for whom. Signed in means a kept refresh token, not
// network: offline, the RT head still writes reports into the outbox.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Frame } from './components.jsx';
import { loadConfig } from './config.js';
import { onLabels, setLabels } from '../../shared/labels.js';
import { initI18n, onLanguageChange } from './i18n.js';
import { flush, startSender } from './outbox.js';
import { go, useRoute } from '../../shared/router.js';
import { Compose } from './screens/Compose.jsx';
import { Inbox } from './screens/Inbox.jsx';
import { ReportDetail } from './screens/ReportDetail.jsx';
import { Reports } from './screens/Reports.jsx';
import { Settings } from './screens/Settings.jsx';
import { SignIn } from './screens/SignIn.jsx';
import { configureSession, currentAccount, restore, sessionEvents } from '../../shared/session.js';
import './styles.css';

const PUBLIC = new Set(['signin', 'activate']);

function App() {
  const route = useRoute();
  const [account, setAccount] = useState(currentAccount());
  const [reason, setReason] = useState(''); // why the session ended, in the API's words
  const [, setLanguage] = useState('');
  const [, setLabelled] = useState(0);

  useEffect(() => {
    const onSession = (event) => {
      setAccount(currentAccount());
      setReason(event.detail || '');
      if (currentAccount()) flush({ now: true }); // what waited for a sign-in goes now
    };
    sessionEvents.addEventListener('change', onSession);
    onLanguageChange((lng) => setLanguage(lng));
    const offLabels = onLabels(() => setLabelled((n) => n + 1));
    return () => {
      sessionEvents.removeEventListener('change', onSession);
      offLabels();
    };
  }, []);

  // The words for statuses, reasons, kinds and bidang (GET /v1/config, kept on the phone for
  // offline): the screens show the codes until they come.
  const wilayah = account?.post?.wilayah;
  useEffect(() => {
    if (wilayah) loadConfig(wilayah).then(setLabels, () => {});
  }, [wilayah]);

  const signedIn = !!account;
  const name = !signedIn ? (route.name === 'activate' ? 'activate' : 'signin') : PUBLIC.has(route.name) || !route.name ? 'compose' : route.name;
  useEffect(() => {
    if (route.name !== name) go(`/${name}`); // e.g. signed out: every screen is the sign-in
  }, [name, route.name]);

  // A new screen: focus its heading, so a screen reader starts reading there.
  const where = `${name}/${route.params.join('/')}`;
  useEffect(() => {
    document.getElementById('screen-title')?.focus();
    scrollTo(0, 0);
  }, [where]);

  return (
    <Frame route={{ name }} signedIn={signedIn}>
      {screen(name, route.params, reason)}
    </Frame>
  );
}

function screen(name, params, reason) {
  switch (name) {
    case 'signin':
      return <SignIn key="signin" reason={reason} />;
    case 'activate':
      return <SignIn key="activate" activation />;
    case 'compose':
      return <Compose key={params[0] || 'new'} reportId={params[0] || null} />;
    case 'reports':
      return params[0] ? <ReportDetail key={params[0]} reportId={params[0]} /> : <Reports />;
    case 'inbox':
      return <Inbox />;
    case 'settings':
      return <Settings />;
    default:
      return <Compose key="new" reportId={null} />;
  }
}

async function start() {
  initI18n();
  configureSession({ name: 'sipokat-rt' }); // the database it always had: sipokat-rt-session
  await restore();
  const root = document.getElementById('app');
  root.textContent = ''; // the "loading" line of index.html: Preact renders beside what is there
  render(<App />, root);
  startSender();
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register(`${__BASE__}sw.js`, { scope: __BASE__ }).catch(() => {});
  }
}

start();
