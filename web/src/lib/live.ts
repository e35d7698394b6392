// Subscribes to a server-sent-events stream with reconnection. EventSource
// reconnects on its own after network errors, but gives up on HTTP errors
// (401/404); then we retry with backoff so a restarted server is picked up.
export type LiveStatus = 'connecting' | 'live' | 'retrying' | 'off';

export function subscribe(url: string, event: string, onData: (data: any) => void,
                          onStatus: (s: LiveStatus) => void): () => void {
  let es: EventSource | null = null;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let delay = 1000;
  const open = () => {
    if (closed) return;
    onStatus('connecting');
    es = new EventSource(url);
    es.onopen = () => { delay = 1000; onStatus('live'); };
    es.addEventListener(event, (ev) => {
      try { onData(JSON.parse((ev as MessageEvent).data)); } catch { /* ignore a torn event */ }
    });
    es.onerror = () => {
      if (closed) return;
      if (es && es.readyState === EventSource.CLOSED) {
        onStatus('retrying');
        timer = setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      } else {
        onStatus('retrying');
      }
    };
  };
  if (typeof EventSource === 'undefined') onStatus('off');
  else open();
  return () => {
    closed = true;
    if (timer) clearTimeout(timer);
    es?.close();
  };
}
