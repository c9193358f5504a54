// The dashboard: a bearer token (from the URL fragment or the form) kept in sessionStorage, the
// JSON API called with it, every read model drawn as SVG bars.
"use strict";
const KEY = "sipokat.token";
const LABELS = {
  pemerintahan: "Pemerintahan", kesehatan_lingkungan: "Kesehatan lingkungan",
  keamanan_ketertiban: "Keamanan & ketertiban", sosial_kemasyarakatan: "Sosial kemasyarakatan",
  keagamaan: "Keagamaan", pembangunan: "Pembangunan", ekonomi: "Ekonomi",
  kegiatan: "Kegiatan", usulan: "Usulan", progres_dana: "Progres dana",
  kelurahan: "Lurah (kelurahan)", kecamatan: "Camat (kecamatan)", kota: "Pemkot (kota)",
  infrastruktur: "Infrastruktur", sosial: "Sosial",
};
const label = key => LABELS[key] || key;
const rupiah = n => "Rp " + Math.round(n).toLocaleString("id-ID");
const hours = h => h === null ? "> 720 jam" : h + " jam";

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
  const response = await fetch(`/v1/analytics/${path}?${params}`, {
    headers: {Authorization: "Bearer " + sessionStorage.getItem(KEY), Accept: accept},
  });
  if (response.status === 401) { logout(); throw new Error("Token tidak berlaku"); }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new Error(problem.detail || problem.title || response.statusText);
  }
  return accept === "application/json" ? response.json() : response.blob();
}

const chart = id => document.querySelector(`#${id} .chart`);

async function load() {
  const params = query(), status = document.getElementById("status");
  status.textContent = "Memuat…";
  try {
    const [summary, ranking, active, verification, funds, series, performance] = await Promise.all(
      ["summary", "ranking", "active-rts", "verification", "funds", "timeseries", "rt-performance"]
        .map(path => api(path, params)));
    barChart(chart("bidang"), summary.by_bidang.map(r => ({label: label(r.bidang), value: r.reports,
      display: `${r.reports} (${r.share_percent}%)`})));
    barChart(chart("jenis"), summary.by_kind.map(r => ({label: label(r.kind), value: r.reports,
      display: `${r.reports} (${r.share_percent}%)`})));
    barChart(chart("peringkat"), ranking.ranking.slice(0, 15).map(r => ({label: r.name,
      value: r.reports_per_rt, display: `${r.reports_per_rt} per RT (${r.reports} laporan)`})));
    barChart(chart("rt-aktif"), [
      {label: "Melapor", value: active.active_rate_percent,
       display: `${active.rts_reporting} dari ${active.rt_total} RT (${active.active_rate_percent}%)`},
      {label: "Terverifikasi", value: active.verified_rate_percent, cls: "alt",
       display: `${active.rts_with_verified} RT (${active.verified_rate_percent}%)`},
    ], {max: 100});
    barChart(chart("verifikasi"), verification.tiers.map(t => ({label: label(t.tier), value: t.waiting,
      display: `${t.waiting} menunggu`})));
    table(document.querySelector("#verifikasi .tabel"),
      ["Tingkat", "Disetujui", "Ditolak", "% setuju", "Median", "P90", "Terlambat"],
      verification.tiers.map(t => [label(t.tier), t.approved, t.rejected, t.approval_rate_percent + "%",
        hours(t.median_hours), hours(t.p90_hours), t.overdue]));
    barChart(chart("terlambat"), verification.overdue_by_kelurahan.slice(0, 10).map(r => ({label: r.name,
      value: r.overdue, cls: "alt"})));
    document.querySelector("#dana .ringkas").textContent =
      `Alokasi ${rupiah(funds.allocation_rupiah)} · terserap ${rupiah(funds.realised_rupiah)} ` +
      `(${funds.absorption_percent}%)`;
    barChart(chart("dana"), funds.split.flatMap(s => [
      {label: label(s.bidang_dana), value: s.share_percent, display: `${s.share_percent}%`},
      {label: "pedoman", value: s.guideline_percent, cls: "guide", display: `${s.guideline_percent}%`},
    ]).concat(funds.programmes_by_progress.map(p => ({label: `Program ${p.progress_percent}%`,
      value: p.programmes, cls: "alt", display: `${p.programmes} laporan`}))));
    barChart(chart("bulanan"), series.months.map(m => ({label: m.month, value: m.reports,
      display: `${m.reports} laporan, ${m.verified} terverifikasi`})));
    const perRt = {};
    performance.rows.forEach(r => { perRt[r.rt_name] = (perRt[r.rt_name] || 0) + r.counts_for_performance; });
    barChart(chart("kinerja"), Object.entries(perRt).sort((a, b) => b[1] - a[1]).slice(0, 15)
      .map(([name, n]) => ({label: name, value: n})), {labelWidth: 200});
    status.textContent = `Wilayah ${summary.wilayah || "semua"} · ${summary.total_reports} laporan`;
    document.body.dataset.loaded = "true";
  } catch (error) {
    status.textContent = "Gagal memuat: " + error.message;
    document.body.dataset.loaded = "error";
  }
}

async function download(path) {
  const blob = await api(path, query(), "text/csv");
  const link = Object.assign(document.createElement("a"),
    {href: URL.createObjectURL(blob), download: `${path}.csv`});
  link.click();
  URL.revokeObjectURL(link.href);
}

async function start() {
  document.getElementById("masuk").hidden = true;
  document.getElementById("dasbor").hidden = false;
  const areas = await api("areas", new URLSearchParams());
  const select = document.getElementById("wilayah");
  const option = (value, text) => Object.assign(document.createElement("option"), {value, textContent: text});
  select.replaceChildren(option("", areas.wilayah ? `Seluruh wilayah ${areas.wilayah}` : "Semua kota"),
    ...areas.kecamatan.map(k => option(k.code, "Kec. " + k.name)),
    ...areas.kelurahan.map(k => option(k.code, "Kel. " + k.name)));
  await load();
}

function logout() {
  sessionStorage.removeItem(KEY);
  document.getElementById("dasbor").hidden = true;
  document.getElementById("masuk").hidden = false;
}

document.getElementById("form-token").addEventListener("submit", event => {
  event.preventDefault();
  sessionStorage.setItem(KEY, document.getElementById("token").value.trim());
  start();
});
document.getElementById("filter").addEventListener("submit", event => { event.preventDefault(); load(); });
document.getElementById("keluar").addEventListener("click", logout);
document.querySelectorAll("button.csv").forEach(b => b.addEventListener("click", () => download(b.dataset.path)));
if (takeToken()) start(); else logout();
