// The review queue for farming flags (admin only): each flag with its score,
// the detectors' reasons and evidence, and confirm / dismiss with a note.
import { useState } from 'preact/hooks';
import { ApiError, listOf, type Json } from '../lib/api';
import { humanize, shortTime } from '../lib/format';
import { href } from '../lib/router';
import { isAdmin, useSession } from '../lib/session';
import { arr, describe, labelOf, num, str } from '../lib/shape';
import { useData } from '../lib/use_data';
import { Async, Empty } from '../components/states';

const kStatusTabs = ['open', 'confirmed', 'dismissed', 'all'];

export function ReviewPage() {
  const { api, who } = useSession();
  const [status, setStatus] = useState('open');
  const flags = useData(() => (isAdmin(who) ? api.flags({ window: '30d' }) : Promise.resolve(null)), [who.role]);
  if (!isAdmin(who)) {
    return (
      <div class="page">
        <div class="state denied" data-testid="denied">
          <div class="state-title">The review queue is for administrators</div>
          <div class="state-body">You are logged in as <b>{who.role}</b>. Flags carry evidence about people, so only
            admin keys may review them. Ask an administrator, or log in with an admin key.</div>
        </div>
      </div>
    );
  }
  return (
    <div class="page" data-testid="review">
      <div class="page-head">
        <h1>Review queue</h1>
        <div class="segmented small" role="group" aria-label="Status">
          {kStatusTabs.map((s) => <button key={s} class={s === status ? 'on' : ''} aria-pressed={s === status}
                                          onClick={() => setStatus(s)}>{s}</button>)}
        </div>
      </div>
      <Async state={flags} feature="Flags">
        {(d) => {
          const all = listOf(d, 'flags').filter((f) => f.flagged !== false);
          const shown = all.filter((f) => status === 'all' || flagStatus(f) === status)
            .sort((a, b) => (num(b, 'score') ?? 0) - (num(a, 'score') ?? 0));
          if (!shown.length) {
            return <Empty title={status === 'open' ? 'Nothing to review' : `No ${status} flags`}>
              {all.length ? `${all.length} flag(s) in other states.` : 'The farming detectors flagged nobody in the last 30 days.'}
            </Empty>;
          }
          return <div class="stack">{shown.map((f) => <FlagCard key={str(f, 'id')} flag={f} onDone={flags.reload} />)}</div>;
        }}
      </Async>
    </div>
  );
}

export function flagStatus(f: Json): string {
  const s = (str(f, 'status', 'state', 'review') ?? 'open').toLowerCase();
  if (s.startsWith('confirm')) return 'confirmed';
  if (s.startsWith('dismiss')) return 'dismissed';
  return 'open';
}

export function FlagCard({ flag, compact, onDone }: { flag: Json; compact?: boolean; onDone?: () => void }) {
  const { api, who } = useSession();
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState('');
  const [localStatus, setLocalStatus] = useState<string | null>(null);
  const id = str(flag, 'id', 'flag_id') ?? '';
  const user = str(flag, 'user', 'user_id', 'subject') ?? '?';
  const status = localStatus ?? flagStatus(flag);
  const reasons = arr(flag, 'reasons', 'detectors', 'signals');
  const act = async (action: 'confirm' | 'dismiss') => {
    setBusy(true);
    setMsg('');
    try {
      await api.reviewFlag(id, action, note);
      setLocalStatus(action === 'confirm' ? 'confirmed' : 'dismissed');
      setMsg(action === 'confirm' ? 'Confirmed.' : 'Dismissed.');
      onDone && setTimeout(onDone, 800);
    } catch (e) {
      setMsg(e instanceof ApiError && e.denied ? 'Not allowed: only admins may review flags.' : `Failed: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class={`flag ${status}`} data-testid="flag" data-id={id} data-status={status}>
      <div class="flag-head">
        <a href={href(['users', user])} class="flag-user">{user}</a>
        <span class="muted">{str(flag, 'day', 'date') ?? shortTime(str(flag, 'created_at', 'at'))}</span>
        <span class="score" title="farming score, 0–100 (50 flags for review, 80 counts as waste without review)">score {Math.round(num(flag, 'score') ?? 0)} / 100</span>
        {flag.high_confidence === true && <span class="hc-chip" title="counts as waste without review">high confidence</span>}
        {num(flag, 'wasted_tokens') !== undefined && <span class="muted">{humanize(num(flag, 'wasted_tokens'))} of {humanize(num(flag, 'tokens'))} tokens estimated wasted</span>}
        <span class={`status-chip ${status}`}>{status}</span>
      </div>
      {reasons.length ? (
        <ul class="evidence-list">
          {reasons.map((r, i) => (
            <li key={i}>
              <b>{labelOf(str(r, 'detector', 'name', 'kind') ?? 'reason')}</b>
              {num(r, 'score') !== undefined && <span class="muted"> ({Math.round(num(r, 'score') ?? 0)})</span>}
              {str(r, 'summary', 'explanation', 'detail', 'message', 'reason') && <span>: {str(r, 'summary', 'explanation', 'detail', 'message', 'reason')}</span>}
              {r.evidence !== undefined && <div class="evidence">{describe(r.evidence)}</div>}
            </li>
          ))}
        </ul>
      ) : flag.evidence !== undefined ? <div class="evidence">{describe(flag.evidence)}</div> : null}
      {str(flag, 'note') && <div class="muted small">Note{str(flag, 'reviewer') ? ` by ${str(flag, 'reviewer')}` : ''}: {str(flag, 'note')}</div>}
      {!compact && isAdmin(who) && status === 'open' && (
        <div class="flag-actions">
          <input class="note" placeholder="Note for the audit log (why?)" value={note} aria-label="Review note"
                 onInput={(e) => setNote((e.target as HTMLInputElement).value)} />
          <button class="btn danger" disabled={busy} onClick={() => act('confirm')} data-testid="confirm">Confirm</button>
          <button class="btn" disabled={busy} onClick={() => act('dismiss')} data-testid="dismiss">Dismiss</button>
        </div>
      )}
      {msg && <div class="muted small" role="status" data-testid="flag-msg">{msg}</div>}
    </div>
  );
}

