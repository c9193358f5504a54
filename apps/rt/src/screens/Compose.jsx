// Write a report (or revise a rejected one). Every change is saved as a draft at once; "Kirim"
// moves the report into the outbox, which sends it when it can.
import { useEffect, useRef, useState } from 'preact/hooks';
import { reportsApi } from '../api.js';
import { Choice, Field, ProblemBox } from '../components.jsx';
import { loadConfig } from '../config.js';
import { contentOf, discardDraft, draftKey, draftOf, emptyDraft, loadDraft, saveDraft, today } from '../drafts.js';
import { label, t } from '../i18n.js';
import { enqueue } from '../outbox.js';
import { addPhoto, deletePhotos, photoBlob } from '../photos.js';
import { go } from '../../../shared/router.js';
import { currentAccount } from '../../../shared/session.js';

export function Compose({ reportId }) {
  const key = draftKey(reportId);
  const [config, setConfig] = useState(null);
  const [draft, setDraft] = useState(null);
  const [errors, setErrors] = useState({});
  const [problem, setProblem] = useState('');
  const [note, setNote] = useState(''); // progress of photos and location, announced
  const account = currentAccount();

  useEffect(() => {
    let live = true;
    (async () => {
      try {
        const found = await loadConfig(account.post.wilayah);
        if (live) setConfig(found);
      } catch {
        if (live) setProblem(t('compose.noConfig'));
      }
      let kept = await loadDraft(key);
      if (!kept && reportId) kept = await draftOfReport(reportId).catch(() => null);
      if (!kept && reportId) {
        if (live) setProblem(t('compose.reportUnavailable'));
        return;
      }
      if (live) {
        setDraft(kept || emptyDraft());
        setErrors(kept?.errors || {});
      }
    })();
    return () => {
      live = false;
    };
  }, [key]);

  if (!draft || !config) {
    return (
      <section aria-labelledby="screen-title">
        <h1 id="screen-title" tabIndex={-1}>{reportId ? t('compose.reviseTitle') : t('compose.title')}</h1>
        {problem ? <ProblemBox message={problem} /> : <p>{t('app.loading')}</p>}
      </section>
    );
  }

  // Every change goes to IndexedDB at once: a closed tab or a flat battery loses nothing.
  const change = (patch) => {
    const next = { ...draft, ...patch };
    setDraft(next);
    saveDraft(key, next);
  };
  // The city's fund programme is the usual answer: filled in when progres_dana is chosen.
  const chooseKind = (kind) =>
    change(kind === 'progres_dana' && !draft.fund.programme ? { kind, fund: { ...draft.fund, programme: config.fund_programme?.name || '' } } : { kind });
  const changeFund = (name, value) => change({ fund: { ...draft.fund, [name]: value } });
  const input = (name) => (event) => change({ [name]: event.currentTarget.value });

  const rule = config.activity_date;
  const oldest = today(-rule.max_age_days);
  const kinds = config.kinds.map((kind) => ({ value: kind.code, label: label(kind.label, kind.code) }));
  const maxPhotos = config.photos.max_count;

  async function pickPhotos(event) {
    const files = [...event.currentTarget.files];
    event.currentTarget.value = ''; // the same photo may be picked again later
    const room = maxPhotos - draft.photos.length;
    if (files.length > room) setErrors({ ...errors, photos: t('compose.tooManyPhotos', { count: maxPhotos }) });
    const added = [];
    for (const [index, file] of files.slice(0, Math.max(0, room)).entries()) {
      setNote(t('compose.shrinking', { n: index + 1, count: Math.min(files.length, room) }));
      try {
        added.push(await addPhoto(file));
      } catch {
        setErrors({ ...errors, photos: t('compose.photoUnreadable') });
      }
    }
    const photos = [...draft.photos, ...added];
    change({ photos });
    setNote(added.length ? t('compose.photosAdded', { count: added.length }) : '');
  }

  async function removePhoto(photo) {
    change({ photos: draft.photos.filter((p) => p !== photo) });
    await deletePhotos([photo]);
    setNote(t('compose.photoRemoved'));
  }

  function locate(event) {
    if (!event.currentTarget.checked) {
      change({ location: null });
      return;
    }
    if (!navigator.geolocation) {
      setErrors({ ...errors, location: t('compose.noLocation') });
      return;
    }
    setNote(t('compose.locating'));
    navigator.geolocation.getCurrentPosition(
      ({ coords }) => {
        change({ location: { latitude: coords.latitude, longitude: coords.longitude, accuracy: coords.accuracy } });
        setNote(t('compose.located'));
      },
      () => {
        setErrors({ ...errors, location: t('compose.noLocation') });
        setNote('');
      },
      { enableHighAccuracy: true, timeout: 20_000, maximumAge: 60_000 },
    );
  }

  function check() {
    const found = {};
    const limits = config.text_limits;
    if (!draft.kind) found.kind = t('compose.kindMissing');
    if (!draft.bidang) found.bidang = t('compose.bidangMissing');
    const title = draft.title.trim();
    if (title.length < 3 || title.length > limits.title) found.title = t('compose.titleRule', { max: limits.title });
    const description = draft.description.trim();
    if (!description || description.length > limits.description) {
      found.description = t('compose.descriptionRule', { max: limits.description });
    }
    if (!draft.activity_date || draft.activity_date > today() || draft.activity_date < oldest) {
      found.activity_date = label(rule.rule);
    }
    if (draft.kind === 'progres_dana') {
      if (!draft.fund.programme.trim()) found['fund/programme'] = t('compose.programmeMissing');
      if (!/^\d+$/.test(draft.fund.amount_rupiah)) found['fund/amount_rupiah'] = t('compose.amountRule');
      if (draft.fund.progress_percent === '') found['fund/progress_percent'] = t('compose.progressMissing');
      if (!draft.fund.bidang_dana) found['fund/bidang_dana'] = t('compose.bidangDanaMissing');
    }
    if (draft.photos.length > maxPhotos) found.photos = t('compose.tooManyPhotos', { count: maxPhotos });
    return found;
  }

  async function send(event) {
    event.preventDefault();
    const found = check();
    setErrors(found);
    if (Object.keys(found).length) {
      setProblem(t('form.fix'));
      focusFirst(found);
      return;
    }
    await enqueue({ action: reportId ? 'revise' : 'submit', reportId, content: contentOf(draft), photos: draft.photos });
    await discardDraft(key, { keepPhotos: true });
    go('/reports');
  }

  const fundFields =
    draft.kind === 'progres_dana' ? (
      <fieldset class="group">
        <legend>{t('compose.fund')}</legend>
        <Field id="fund/programme" label={t('compose.programme')} error={errors['fund/programme']} required>
          {(a) => (
            <input {...a} type="text" value={draft.fund.programme} onInput={(e) => changeFund('programme', e.currentTarget.value)} />
          )}
        </Field>
        <Field id="fund/amount_rupiah" label={t('compose.amount')} hint={t('compose.amountHint')} error={errors['fund/amount_rupiah']} required>
          {(a) => <input {...a} type="text" inputMode="numeric" value={draft.fund.amount_rupiah} onInput={(e) => changeFund('amount_rupiah', e.currentTarget.value.replace(/\D/g, ''))} />}
        </Field>
        <Choice
          name="fund/progress_percent"
          legend={t('compose.progress')}
          error={errors['fund/progress_percent']}
          required
          options={config.progress_percent.map((p) => ({ value: String(p), label: `${p}%` }))}
          value={draft.fund.progress_percent}
          onChange={(value) => changeFund('progress_percent', value)}
        />
        <Field id="fund/bidang_dana" label={t('compose.bidangDana')} error={errors['fund/bidang_dana']} required>
          {(a) => (
            <select {...a} value={draft.fund.bidang_dana} onChange={(e) => changeFund('bidang_dana', e.currentTarget.value)}>
              <option value="">{t('compose.choose')}</option>
              {(config.bidang_dana || []).map((b) => (
                <option key={b.code} value={b.code}>{label(b.label, b.code)}</option>
              ))}
            </select>
          )}
        </Field>
      </fieldset>
    ) : null;

  return (
    <section aria-labelledby="screen-title">
      <h1 id="screen-title" tabIndex={-1}>{reportId ? t('compose.reviseTitle') : t('compose.title')}</h1>
      <p class="saved">{t('compose.autosaved')}</p>
      <ProblemBox message={problem} />
      <form onSubmit={send} noValidate>
        <Choice name="kind" legend={t('compose.kind')} error={errors.kind} required options={kinds} value={draft.kind} onChange={chooseKind} />
        <Field id="bidang" label={t('compose.bidang')} error={errors.bidang} required>
          {(a) => (
            <select {...a} value={draft.bidang} onChange={input('bidang')}>
              <option value="">{t('compose.choose')}</option>
              {config.bidang.map((b) => (
                <option key={b.code} value={b.code}>{label(b.label, b.code)}</option>
              ))}
            </select>
          )}
        </Field>
        <Field id="title" label={t('compose.reportTitle')} error={errors.title} required>
          {(a) => <input {...a} type="text" maxLength={config.text_limits.title} value={draft.title} onInput={input('title')} />}
        </Field>
        <Field id="description" label={t('compose.description')} error={errors.description} required>
          {(a) => <textarea {...a} rows={5} maxLength={config.text_limits.description} value={draft.description} onInput={input('description')} />}
        </Field>
        <Field id="activity_date" label={t('compose.date')} hint={label(rule.rule)} error={errors.activity_date} required>
          {(a) => <input {...a} type="date" min={oldest} max={today()} value={draft.activity_date} onInput={input('activity_date')} />}
        </Field>
        {fundFields}
        <fieldset class={`group${errors.photos ? ' invalid' : ''}`} aria-describedby={`photos-hint${errors.photos ? ' photos-error' : ''}`}>
          <legend>{t('compose.photos')}</legend>
          <p class="hint" id="photos-hint">{t('compose.photosHint', { count: maxPhotos })}</p>
          <ul class="thumbs">
            {draft.photos.map((photo, index) => (
              <li key={photo.id || photo.sha256}>
                <Thumb photo={photo} alt={t('compose.photoN', { n: index + 1 })} />
                <button type="button" class="secondary small" onClick={() => removePhoto(photo)}>
                  {t('compose.removePhoto', { n: index + 1 })}
                </button>
              </li>
            ))}
          </ul>
          {draft.photos.length < maxPhotos ? (
            <div class="pickers">
              <label class="button secondary" for="camera">{t('compose.camera')}</label>
              <input class="visually-hidden" id="camera" type="file" accept="image/*" capture="environment" onChange={pickPhotos} />
              <label class="button secondary" for="gallery">{t('compose.gallery')}</label>
              <input class="visually-hidden" id="gallery" type="file" accept="image/*" multiple onChange={pickPhotos} />
            </div>
          ) : null}
          {errors.photos ? <p class="error" id="photos-error">{errors.photos}</p> : null}
        </fieldset>
        <fieldset class={`group${errors.location ? ' invalid' : ''}`}>
          <legend>{t('compose.location')}</legend>
          <label class="option">
            <input type="checkbox" checked={!!draft.location} onChange={locate} aria-describedby={`location-hint${errors.location ? ' location-error' : ''}`} />
            <span>{t('compose.shareLocation')}</span>
          </label>
          <p class="hint" id="location-hint">
            {draft.location ? t('compose.locationShown', { lat: draft.location.latitude.toFixed(5), lon: draft.location.longitude.toFixed(5) }) : t('compose.locationHint')}
          </p>
          {errors.location ? <p class="error" id="location-error">{errors.location}</p> : null}
        </fieldset>
        <p class="note" role="status">{note}</p>
        <button type="submit" class="primary">{reportId ? t('compose.sendRevision') : t('compose.send')}</button>
        <p class="hint">{t('compose.sendHint')}</p>
      </form>
    </section>
  );
}

// A photo on the phone (a blob) or on the server (its signed URL).
function Thumb({ photo, alt }) {
  const [src, setSrc] = useState(photo.url || null);
  const made = useRef(null);
  useEffect(() => {
    if (!photo.id) return undefined;
    photoBlob(photo.id).then((blob) => {
      if (!blob) return;
      made.current = URL.createObjectURL(blob);
      setSrc(made.current);
    });
    return () => made.current && URL.revokeObjectURL(made.current);
  }, [photo.id]);
  return src ? <img src={src} alt={alt} width="96" height="96" /> : <span class="thumb-missing">{alt}</span>;
}

// A rejected report's content as a draft: its photos stay on the server, referenced by sha256.
async function draftOfReport(reportId) {
  const report = await reportsApi.get(reportId);
  const content = report.content || report;
  const urls = Object.fromEntries((report.photos || []).map((p) => [p.sha256, p.url]));
  const photos = (content.photos || []).map((p) => ({ ...p, url: urls[p.sha256] }));
  const { photos: _, ...rest } = content;
  return draftOf(rest, photos);
}

const ORDER = ['kind', 'bidang', 'title', 'description', 'activity_date', 'fund/programme', 'fund/amount_rupiah', 'fund/progress_percent', 'fund/bidang_dana', 'photos'];

// Focus goes to the first field that needs fixing (a radio group: its first button).
function focusFirst(found) {
  const name = ORDER.find((field) => found[field]) || Object.keys(found)[0];
  const target = name === 'photos' ? document.getElementById('gallery') : document.getElementById(name) || document.querySelector(`input[name="${name}"]`);
  target?.focus();
}
