// Hash routes (#/compose, #/reports/<id>, ...): the gateway serves one index.html per app, and a
// hash never reaches the server, so every screen opens from that page (the RT app's offline too).
import { useEffect, useState } from 'preact/hooks';

// A screen's filters ride after `?` (#/reports?kelurahan=…&status=verified), URL-encoded, so a
// link from one screen opens another already filtered and the back button keeps them.
export function parse(hash = location.hash) {
  const path = hash.replace(/^#\/?/, '');
  const mark = path.indexOf('?');
  const parts = (mark < 0 ? path : path.slice(0, mark)).split('/').filter(Boolean).map(decodeURIComponent);
  const query = new URLSearchParams(mark < 0 ? '' : path.slice(mark + 1));
  return { name: parts[0] || '', params: parts.slice(1), query };
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
