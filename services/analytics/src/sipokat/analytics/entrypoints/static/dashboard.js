// The dashboard: a bearer token (from the URL fragment or the form) kept in sessionStorage, the
// JSON API called with it, every read model drawn as SVG bars. Words and numbers follow the
// page's language (Indonesian by default, English by the switch): Intl.NumberFormat writes
// 1,857 and Rp 2.200.000.000 in id-ID, 1.857 and IDR 2,200,000,000 in en-US.
"use strict";
const KEY = "sipokat.token", LANG_KEY = "sipokat.lang";
const WORDS = {
  id: {
    title: "Dasbor Sipokat", sub: "Laporan kegiatan RT dan kinerja verifikasi berjenjang",
    sign_in: "Masuk", paste: "Tempelkan token akses (pemkot, camat, lurah atau admin).",
    token: "Token", enter: "Masuk", area: "Wilayah", from: "Dari bulan", to: "Sampai bulan",
    apply: "Terapkan", sign_out: "Keluar", retry: "Coba lagi", csv: "Unduh CSV",
    by_bidang: "Laporan per bidang", by_kind: "Laporan per jenis",
    ranking: "Peringkat kelurahan (laporan per RT)", active: "RT aktif",
    verification: "Verifikasi per tingkat", decisions: "Keputusan per tingkat",
    overdue: "Keterlambatan per kelurahan", monthly: "Laporan per bulan kegiatan",
    performance: "Kinerja RT (laporan terverifikasi)", fund: "Dana masyarakat: {name}",
    loading: "Memuat…", no_data: "Belum ada data", all_cities: "Semua kota",
    whole: "Seluruh {name}", kec: "Kec.", kel: "Kel.", reports: "{n} laporan",
    per_rt: "{ratio} per RT ({n} laporan)", of_rts: "{n} dari {total} RT ({pct})", rts: "{n} RT ({pct})",
    reporting: "Melapor", verified: "Terverifikasi", waiting: "{n} menunggu",
    head: ["Tingkat", "Disetujui", "Ditolak", "% setuju", "Median", "P90", "Terlambat"],
    hours: "{n} jam", over: "> 720 jam", guideline: "pedoman", programme: "Program {pct}",
    allocation: "Alokasi {a} · terserap {r} ({pct})", month_row: "{n} laporan, {v} terverifikasi",
    status: "{area} · {n} laporan",
    expired: "Token ini tidak berlaku lagi atau salah (mungkin kedaluwarsa). Minta token baru kepada admin Sipokat, lalu tempelkan di sini.",
    refused: "Token ini tidak berhak membuka dasbor. Dasbor hanya untuk pemkot, camat, lurah dan admin, masing-masing untuk wilayahnya sendiri. Masuklah dengan token peran tersebut atau hubungi admin Sipokat.",
    down: "Layanan analitik sedang tidak dapat dihubungi. Data Anda aman; coba lagi beberapa menit lagi. Bila berlanjut, hubungi admin Sipokat.",
    rebuilding: "Data analitik sedang disusun ulang. Coba lagi beberapa menit lagi.",
    failed: "Permintaan ditolak: {detail}",
    pemerintahan: "Pemerintahan", kesehatan_lingkungan: "Kesehatan lingkungan",
    keamanan_ketertiban: "Keamanan & ketertiban", sosial_kemasyarakatan: "Sosial kemasyarakatan",
    keagamaan: "Keagamaan", pembangunan: "Pembangunan", ekonomi: "Ekonomi",
    kegiatan: "Kegiatan", usulan: "Usulan", progres_dana: "Progres dana",
    kelurahan: "Lurah (kelurahan)", kecamatan: "Camat (kecamatan)", kota: "Pemkot (kota)",
    infrastruktur: "Infrastruktur", sosial: "Sosial", switch: "English", switch_lang: "en",
  },
  en: {
    title: "Sipokat dashboard", sub: "RT activity reports and the tiered verification's performance",
    sign_in: "Sign in", paste: "Paste an access token (pemkot, camat, lurah or admin).",
    token: "Token", enter: "Sign in", area: "Area", from: "From month", to: "To month",
    apply: "Apply", sign_out: "Sign out", retry: "Try again", csv: "Download CSV",
    by_bidang: "Reports by field (bidang)", by_kind: "Reports by kind",
    ranking: "Kelurahan ranking (reports per RT)", active: "Active RTs",
    verification: "Verification per tier", decisions: "Decisions per tier",
    overdue: "Overdue per kelurahan", monthly: "Reports per activity month",
    performance: "RT performance (verified reports)", fund: "Community fund: {name}",
    loading: "Loading…", no_data: "No data yet", all_cities: "All cities",
    whole: "All of {name}", kec: "Kec.", kel: "Kel.", reports: "{n} reports",
    per_rt: "{ratio} per RT ({n} reports)", of_rts: "{n} of {total} RTs ({pct})", rts: "{n} RTs ({pct})",
    reporting: "Reporting", verified: "Verified", waiting: "{n} waiting",
    head: ["Tier", "Approved", "Rejected", "% approved", "Median", "P90", "Overdue"],
    hours: "{n} h", over: "> 720 h", guideline: "guideline", programme: "Programme {pct}",
    allocation: "Allocation {a} · spent {r} ({pct})", month_row: "{n} reports, {v} verified",
    status: "{area} · {n} reports",
    expired: "This token is no longer valid or is wrong (it may have expired). Ask the Sipokat admin for a new token and paste it here.",
    refused: "This token may not open the dashboard. The dashboard is for the city office (pemkot), camat, lurah and admin, each for their own area. Sign in with such a token or contact the Sipokat admin.",
    down: "The analytics service cannot be reached right now. Your data is safe; try again in a few minutes. If it goes on, contact the Sipokat admin.",
    rebuilding: "The analytics figures are being rebuilt. Try again in a few minutes.",
    failed: "The request was refused: {detail}",
    pemerintahan: "Government", kesehatan_lingkungan: "Environmental health",
    keamanan_ketertiban: "Security & order", sosial_kemasyarakatan: "Social & community",
    keagamaan: "Religious", pembangunan: "Development", ekonomi: "Economy",
    kegiatan: "Activity", usulan: "Proposal", progres_dana: "Fund progress",
    kelurahan: "Lurah (kelurahan)", kecamatan: "Camat (kecamatan)", kota: "City office (kota)",
    infrastruktur: "Infrastructure", sosial: "Social", switch: "Bahasa Indonesia", switch_lang: "id",
  },
};
const LOCALES = {id: "id-ID", en: "en-US"};
let lang = new URLSearchParams(location.search).get("lang") === "en" ? "en"
  : localStorage.getItem(LANG_KEY) === "en" ? "en" : "id";
let areas = null, names = {}, refusal = null;

const t = (key, vars = {}) => String(WORDS[lang][key] ?? key)
  .replace(/\{(\w+)\}/g, (_, name) => vars[name]);
const label = key => WORDS[lang][key] || key;
const num = (n, digits = 3) => new Intl.NumberFormat(LOCALES[lang], {maximumFractionDigits: digits}).format(n);
const pct = p => new Intl.NumberFormat(LOCALES[lang], {style: "percent", maximumFractionDigits: 1}).format(p / 100);
const money = n => new Intl.NumberFormat(LOCALES[lang],
  {style: "currency", currency: "IDR", minimumFractionDigits: 0, maximumFractionDigits: 0}).format(n);
const hours = h => h === null ? t("over") : t("hours", {n: num(h)});
const monthName = m => {
  const [year, month] = m.split("-").map(Number);
  return new Intl.DateTimeFormat(LOCALES[lang], {month: "short", year: "numeric", timeZone: "UTC"})
    .format(new Date(Date.UTC(year, month - 1, 1)));
};

// A refused or failed call, said for the reader: never the answer's raw body or an address.
class Refused extends Error {
  constructor(key) { super(t(key)); this.key = key; }
}

function takeToken() {
  const match = location.hash.match(/token=([^&]+)/);
  if (match) {
    sessionStorage.setItem(KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(KEY);
}

function query() {
  const params = new URLSearchParams();
  for (const name of ["wilayah", "from", "to"]) {
    const value = document.getElementById(name).value;
    if (value) params.set(name, value);
  }
  return params;
}

async function api(path, params, accept = "application/json") {
  let response;
  try {
    response = await fetch(`/v1/analytics/${path}?${params}`, {
      headers: {Authorization: "Bearer " + sessionStorage.getItem(KEY), Accept: accept,
        "Accept-Language": lang},
    });
  } catch {
    throw new Error(t("down"));
  }
  if (response.status === 401) throw new Refused("expired");
  if (response.status === 403 && path === "areas") throw new Refused("refused");
  if (response.status === 503 && response.headers.has("Retry-After")) throw new Error(t("rebuilding"));
  if (response.status >= 500) throw new Error(t("down"));
  if (!response.ok) {
    // Our own problem details, in the language asked for; nothing else is shown as it came.
    const type = response.headers.get("Content-Type") || "";
    const problem = type.includes("json") ? await response.json().catch(() => ({})) : {};
    throw new Error(t("failed", {detail: problem.detail || problem.title || response.status}));
  }
  return accept === "application/json" ? response.json() : response.blob();
}

const chart = id => document.querySelector(`#${id} .chart`);
const title = id => document.querySelector(`#${id} h2`).textContent;
const draw = (id, rows, options = {}) => barChart(chart(id), rows, {title: title(id), empty: t("no_data"), ...options});

// The city of an area code (`16.73.02.1019` -> `16.73`); the fund card shows only when every
// city the chosen area covers runs a fund programme.
const cityOf = code => code.split("/")[0].split(".").slice(0, 2).join(".");
function fundProgramme() {
  const chosen = document.getElementById("wilayah").value || areas.wilayah;
  const cities = chosen ? areas.cities.filter(c => c.code === cityOf(chosen)) : areas.cities;
  return cities.length && cities.every(c => c.fund_programme) ? cities[0].fund_programme : null;
}

function showFailure(message) {
  document.getElementById("gagal-teks").textContent = message;
  document.getElementById("gagal").hidden = false;
  document.getElementById("status").textContent = "";
  document.body.dataset.loaded = "error";
}

async function load() {
  const params = query(), status = document.getElementById("status");
  status.textContent = t("loading");
  document.getElementById("gagal").hidden = true;
  const programme = fundProgramme();
  document.getElementById("dana").hidden = !programme;
  try {
    const paths = ["summary", "ranking", "active-rts", "verification", "timeseries", "rt-performance"];
    const [summary, ranking, active, verification, series, performance, funds] = await Promise.all(
      paths.concat(programme ? ["funds"] : []).map(path => api(path, params)));
    draw("bidang", summary.by_bidang.map(r => ({label: label(r.bidang), value: r.reports,
      display: `${num(r.reports)} (${pct(r.share_percent)})`})));
    draw("jenis", summary.by_kind.map(r => ({label: label(r.kind), value: r.reports,
      display: `${num(r.reports)} (${pct(r.share_percent)})`})));
    draw("peringkat", ranking.ranking.slice(0, 15).map(r => ({label: r.name, value: r.reports_per_rt,
      display: t("per_rt", {ratio: num(r.reports_per_rt), n: num(r.reports)})})));
    draw("rt-aktif", [
      {label: t("reporting"), value: active.active_rate_percent,
       display: t("of_rts", {n: num(active.rts_reporting), total: num(active.rt_total), pct: pct(active.active_rate_percent)})},
      {label: t("verified"), value: active.verified_rate_percent, cls: "alt",
       display: t("rts", {n: num(active.rts_with_verified), pct: pct(active.verified_rate_percent)})},
    ], {max: 100});
    draw("verifikasi", verification.tiers.map(tier => ({label: label(tier.tier), value: tier.waiting,
      display: t("waiting", {n: num(tier.waiting)})})));
    table(document.querySelector("#verifikasi .tabel"), WORDS[lang].head,
      verification.tiers.map(tier => [label(tier.tier), num(tier.approved), num(tier.rejected),
        pct(tier.approval_rate_percent), hours(tier.median_hours), hours(tier.p90_hours), num(tier.overdue)]));
    draw("terlambat", verification.overdue_by_kelurahan.slice(0, 10).map(r => ({label: r.name,
      value: r.overdue, display: num(r.overdue), cls: "alt"})));
    if (programme) {
      document.getElementById("dana-judul").textContent = t("fund", {name: programme.name});
      document.querySelector("#dana .ringkas").textContent = t("allocation",
        {a: money(funds.allocation_rupiah), r: money(funds.realised_rupiah), pct: pct(funds.absorption_percent)});
      draw("dana", funds.split.flatMap(s => [
        {label: label(s.bidang_dana), value: s.share_percent, display: pct(s.share_percent)},
        {label: t("guideline"), value: s.guideline_percent, cls: "guide", display: pct(s.guideline_percent)},
      ]).concat(funds.programmes_by_progress.map(p => ({label: t("programme", {pct: pct(p.progress_percent)}),
        value: p.programmes, cls: "alt", display: t("reports", {n: num(p.programmes)})}))));
    }
    draw("bulanan", series.months.map(m => ({label: monthName(m.month), value: m.reports,
      display: t("month_row", {n: num(m.reports), v: num(m.verified)})})));
    const perRt = {};  // the RT's name carries its kelurahan's ("RT 007 Pelita Jaya")
    performance.rows.forEach(r => { perRt[r.rt_name] = (perRt[r.rt_name] || 0) + r.counts_for_performance; });
    draw("kinerja", Object.entries(perRt).sort((a, b) => b[1] - a[1]).slice(0, 15)
      .map(([name, n]) => ({label: name, value: n, display: num(n)})));
    const area = names[summary.wilayah] || (summary.wilayah ? summary.wilayah : t("all_cities"));
    status.textContent = t("status", {area, n: num(summary.total_reports)});
    document.body.dataset.loaded = "true";
  } catch (error) {
    if (error instanceof Refused) return logout(error.key);
    showFailure(error.message);
  }
}

async function download(path) {
  try {
    const blob = await api(path, query(), "text/csv");
    const link = Object.assign(document.createElement("a"),
      {href: URL.createObjectURL(blob), download: `${path}.csv`});
    link.click();
    URL.revokeObjectURL(link.href);
  } catch (error) {
    if (error instanceof Refused) return logout(error.key);
    showFailure(error.message);
  }
}

function fillAreas() {
  const select = document.getElementById("wilayah"), chosen = select.value;
  const option = (value, text) => Object.assign(document.createElement("option"), {value, textContent: text});
  names = Object.fromEntries([
    ...areas.cities.map(c => [c.code, c.name]),
    ...areas.kecamatan.map(k => [k.code, `${t("kec")} ${k.name}`]),
    ...areas.kelurahan.map(k => [k.code, `${t("kel")} ${k.name}`]),
  ]);
  const own = areas.wilayah ? t("whole", {name: names[areas.wilayah] || areas.name}) : t("all_cities");
  // The admin (every city) picks a city too; a leader's own city is the first option.
  const cities = areas.wilayah ? [] : areas.cities.map(c => option(c.code, c.name));
  select.replaceChildren(option("", own), ...cities,
    ...areas.kecamatan.filter(k => k.code !== areas.wilayah).map(k => option(k.code, names[k.code])),
    ...areas.kelurahan.filter(k => k.code !== areas.wilayah).map(k => option(k.code, names[k.code])));
  select.value = chosen;
}

async function start() {
  document.getElementById("masuk").hidden = true;
  document.getElementById("dasbor").hidden = false;
  document.getElementById("gagal").hidden = true;
  try {
    areas = await api("areas", new URLSearchParams());
  } catch (error) {
    if (error instanceof Refused) return logout(error.key);
    return showFailure(error.message);
  }
  fillAreas();
  await load();
}

// Back to the sign-in form; `key` names why the token was refused, if it was.
function logout(key) {
  refusal = key || null;
  sessionStorage.removeItem(KEY);
  areas = null;
  document.getElementById("dasbor").hidden = true;
  document.getElementById("masuk").hidden = false;
  const box = document.getElementById("pesan-masuk");
  box.textContent = refusal ? t(refusal) : "";
  box.hidden = !refusal;
  if (refusal) document.body.dataset.loaded = "refused";
}

function translate() {
  document.documentElement.lang = lang;
  document.title = t("title");
  document.querySelectorAll("[data-t]").forEach(el => { el.textContent = t(el.dataset.t); });
  const button = document.getElementById("bahasa");
  button.textContent = t("switch");
  button.lang = t("switch_lang");
}

document.getElementById("bahasa").addEventListener("click", () => {
  lang = lang === "id" ? "en" : "id";
  localStorage.setItem(LANG_KEY, lang);
  translate();
  if (refusal) logout(refusal);
  else if (areas) { fillAreas(); load(); }
  else if (!document.getElementById("dasbor").hidden) start();
});
document.getElementById("form-token").addEventListener("submit", event => {
  event.preventDefault();
  sessionStorage.setItem(KEY, document.getElementById("token").value.trim());
  start();
});
document.getElementById("filter").addEventListener("submit", event => { event.preventDefault(); load(); });
document.getElementById("keluar").addEventListener("click", () => logout());
document.getElementById("coba-lagi").addEventListener("click", () => (areas ? load() : start()));
document.querySelectorAll("button.csv").forEach(b => b.addEventListener("click", () => download(b.dataset.path)));
translate();
if (takeToken()) start(); else logout();
