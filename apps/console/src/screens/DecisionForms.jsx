// Approve (with "counts for performance") or reject (a reason and a note, both required): two
// small forms side by side, each one tap once filled. The reason and note are checked here
// first, and the API's field problems are shown under their fields.
import { useState } from 'preact/hooks';
import { Field } from '../../../shared/fields.jsx';
import { t } from '../../../shared/i18n.js';
import { reasonCodes, reasonWords } from '../words.js';

export function DecisionForms({ onDecide }) {
  const [counts, setCounts] = useState(true);
  const [approveNote, setApproveNote] = useState('');
  const [reason, setReason] = useState('');
  const [note, setNote] = useState('');
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);

  async function send(body) {
    setBusy(true);
    try {
      setErrors((await onDecide(body)) || {});
    } finally {
      setBusy(false);
    }
  }

  function approve(event) {
    event.preventDefault();
    const body = { decision: 'approve', counts_for_performance: counts };
    if (approveNote.trim()) body.note = approveNote.trim();
    send(body);
  }

  function reject(event) {
    event.preventDefault();
    const found = {};
    if (!reason) found.reason_code = t('decide.reasonMissing');
    if (!note.trim()) found.note = t('decide.noteMissing');
    setErrors(found);
    if (Object.keys(found).length) {
      document.getElementById(found.reason_code ? 'reason' : 'reject-note')?.focus();
      return;
    }
    send({ decision: 'reject', reason_code: reason, note: note.trim() });
  }

  return (
    <section aria-labelledby="decide-title" class="decide">
      <h2 id="decide-title">{t('decide.title')}</h2>
      <form onSubmit={approve} aria-labelledby="approve-title" class="decision approve">
        <h3 id="approve-title">{t('decide.approveTitle')}</h3>
        <label class="option">
          <input type="checkbox" checked={counts} onChange={(event) => setCounts(event.currentTarget.checked)} />
          <span>{t('decide.counts')}</span>
        </label>
        <Field id="approve-note" label={t('decide.approveNote')}>
          {(a) => <input {...a} type="text" value={approveNote} onInput={(event) => setApproveNote(event.currentTarget.value)} />}
        </Field>
        <button type="submit" id="approve-button" class="primary" disabled={busy} aria-keyshortcuts="a">
          {busy ? t('app.wait') : t('decide.approve')}
        </button>
      </form>
      <form onSubmit={reject} aria-labelledby="reject-title" class="decision reject" noValidate>
        <h3 id="reject-title">{t('decide.rejectTitle')}</h3>
        <Field id="reason" label={t('decide.reason')} error={errors.reason_code} required>
          {(a) => (
            <select {...a} aria-keyshortcuts="r" value={reason} onChange={(event) => setReason(event.currentTarget.value)}>
              <option value="">{t('decide.reasonPick')}</option>
              {reasonCodes().map((code) => (
                <option key={code} value={code}>
                  {reasonWords(code)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id="reject-note" label={t('decide.note')} error={errors.note} required>
          {(a) => <textarea {...a} rows={3} value={note} onInput={(event) => setNote(event.currentTarget.value)} />}
        </Field>
        <button type="submit" class="danger" disabled={busy}>
          {busy ? t('app.wait') : t('decide.reject')}
        </button>
      </form>
    </section>
  );
}
