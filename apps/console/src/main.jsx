// The console: which screen the hash names, for whom. Only lurah, camat and the city office
// decide reports; any other account is told so and not let in.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Inbox } from '../../shared/Inbox.jsx';
import { initI18n, onLanguageChange, t } from '../../shared/i18n.js';
import { go, useRoute } from '../../shared/router.js';
import { configureSession, currentAccount, restore, sessionEvents, signOut } from '../../shared/session.js';
import { consoleApi } from './api.js';
import { LiveNotices } from './components/LiveNotices.jsx';
import { Frame } from './frame.jsx';
import * as dashEn from './locales/dashboard.en.js';
import * as dashId from './locales/dashboard.id.js';
import { startLive, stopLive } from './live.js';
import en from './locales/en.js';
import id from './locales/id.js';
import { Dashboard, loadAreas, resetAreas } from './screens/Dashboard.jsx';
import { Decisions } from './screens/Decisions.jsx';
import { MapScreen } from './screens/MapScreen.jsx';
import { Report } from './screens/Report.jsx';
import { Reports } from './screens/Reports.jsx';
import { SignIn } from './screens/SignIn.jsx';
import { Worklist } from './screens/Worklist.jsx';
import './styles.css';
import { setConfig } from './words.js';

const VERIFIERS = new Set(['lurah', 'camat', 'pemkot']);
const SCREENS = new Set(['worklist', 'report', 'decisions', 'map', 'inbox']);
// The leaders' dashboard and its report lists: the verifiers and the admin (analytics' LEADERS).
// An admin decides nothing, so it sees only these and the report pages they link to.
const LEADERS = new Set([...VERIFIERS, 'admin']);
const DASHBOARD_SCREENS = new Set(['dashboard', 'reports']);
const ADMIN_SCREENS = new Set([...DASHBOARD_SCREENS, 'report', 'map']);
const reportPath = (reportId) => `/report/${encodeURIComponent(reportId)}`;
// The screens a report is opened from; the report page's "back" returns to the last one, with
// its filters (a dashboard list, the map, the inbox), not always to the worklist.
const LISTS = new Set(['worklist', 'decisions', 'inbox', 'dashboard', 'reports', 'map']);
let cameFrom = null;

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
    if (account && !LEADERS.has(role)) signOut().then(() => setReason(t('app.notLeader')));
  }, [account, role]);

  // The city's words for kinds and bidang, once per sign-in.
  const wilayah = account?.post?.wilayah;
  useEffect(() => {
    setReady(false);
    resetAreas();
    if (!account) return;
    // An admin has no area of its own: the words of its first city (every city's are the same).
    (wilayah ? Promise.resolve(wilayah) : firstCity())
      .then((code) => consoleApi.config(code))
      .then(setConfig)
      .catch(() => {}) // the codes are shown instead
      .finally(() => setReady(true));
  }, [wilayah, account]);

  const signedIn = !!account && LEADERS.has(role);
  // One inbox stream for the console while a verifier is signed in (live.js); none for the
  // admin, who has no inbox. It also stops by itself on sign-out.
  const hears = signedIn && role !== 'admin';
  useEffect(() => {
    if (!hears) return undefined;
    startLive();
    return stopLive;
  }, [hears, account?.id]);
  const name = !signedIn ? (route.name === 'activate' ? 'activate' : 'signin') : screenFor(role, route.name);
  useEffect(() => {
    if (route.name !== name) go(`/${name}`);
  }, [name, route.name]);

  // A new screen: focus its heading, so a screen reader starts reading there.
  const where = `${name}/${route.params.join('/')}`;
  useEffect(() => {
    document.getElementById('screen-title')?.focus();
    scrollTo(0, 0);
  }, [where]);

  if (LISTS.has(name)) cameFrom = { name, hash: location.hash };
  const back = cameFrom || { name: role === 'admin' ? 'dashboard' : 'worklist', hash: `#/${role === 'admin' ? 'dashboard' : 'worklist'}` };

  let screen;
  if (name === 'signin') screen = <SignIn key={`signin-${reason}`} reason={reason} />; // a new reason is said at once
  else if (name === 'activate') screen = <SignIn key="activate" activation />;
  else if (!ready) screen = <p>{t('app.loading')}</p>;
  else if (name === 'report' && route.params[0]) screen = <Report key={route.params[0]} reportId={route.params[0]} account={account} back={back} />;
  else if (name === 'decisions') screen = <Decisions />;
  else if (name === 'dashboard') screen = <Dashboard query={route.query} />;
  else if (name === 'reports') screen = <Reports query={route.query} account={account} />;
  else if (name === 'map') screen = <MapScreen />;
  else if (name === 'inbox') screen = <Inbox reportPath={reportPath} />;
  else screen = <Worklist account={account} />;
  return (
    <Frame route={tabOf(name === 'report' ? back.name : name)} account={signedIn ? account : null}>
      {hears ? <LiveNotices quiet={name === 'worklist'} /> : null}
      {screen}
    </Frame>
  );
}

const tabOf = (name) => (name === 'reports' ? 'dashboard' : name);

// Verifiers land on their worklist; the admin, who has none, on the dashboard.
function screenFor(role, asked) {
  if (role === 'admin') return ADMIN_SCREENS.has(asked) ? asked : 'dashboard';
  return SCREENS.has(asked) || DASHBOARD_SCREENS.has(asked) ? asked : 'worklist';
}

async function firstCity() {
  const areas = await loadAreas();
  return areas.cities[0]?.code || areas.wilayah;
}

async function start() {
  const resources = { id: { ...id, ...dashId }, en: { ...en, ...dashEn } };
  initI18n({ key: 'sipokat-console-language', resources });
  configureSession({ name: 'sipokat-console' });
  await restore();
  const root = document.getElementById('app');
  root.textContent = ''; // the "loading" line of index.html
  render(<App />, root);
}

start();
