// Hash routes (#/compose, #/reports/<id>, ...): the gateway serves one index.html per app, and a
// hash never reaches the server, so every screen opens from that page (the RT app's offline too).
import { useEffect, useState } from 'preact/hooks';

export function parse(hash = location.hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] || '', params: parts.slice(1) };
}

export function useRoute() {
  const [route, setRoute] = useState(parse());
  useEffect(() => {
    const onChange = () => setRoute(parse());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export const go = (path) => {
  location.hash = path;
};
