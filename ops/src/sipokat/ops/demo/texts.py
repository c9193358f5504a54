"""The words RT heads and verifiers use: small template lists, filled in by `mix` and `policy`.

Placeholders: {rt} RT number, {kelurahan}, {jalan} a street, {tempat} a venue, {n} a small count,
{jumlah} attendees, {meter} a length, {program} a city programme.
"""

from __future__ import annotations

from sipokat.events.catalogue import Bidang, BidangDana, RejectionReason

Template = tuple[str, str]  # (title, description)

KEGIATAN: dict[Bidang, list[Template]] = {
    Bidang.PEMERINTAHAN: [
        (
            "Rapat koordinasi pengurus RT {rt}",
            "Pengurus RT {rt} Kelurahan {kelurahan} mengadakan rapat koordinasi bulanan "
            "di {tempat} bersama {jumlah} warga, membahas program kerja dan iuran kebersihan.",
        ),
        (
            "Pendataan warga pendatang baru",
            "Ketua RT {rt} mendata {n} keluarga pendatang baru dan menyerahkan datanya ke kantor "
            "Kelurahan {kelurahan}.",
        ),
        (
            "Pelayanan surat pengantar warga",
            "Ketua RT {rt} melayani {n} permohonan surat pengantar warga (KTP, KK, SKCK, "
            "keterangan domisili) minggu ini.",
        ),
        (
            "Pemutakhiran data penerima bantuan sosial",
            "Verifikasi lapangan data DTKS di RT {rt} bersama pendamping Kelurahan {kelurahan}; "
            "{n} KK didata ulang.",
        ),
        (
            "Sosialisasi {program}",
            "Sosialisasi {program} kepada warga RT {rt} di {tempat}, dihadiri {jumlah} warga.",
        ),
        (
            "Musyawarah warga menjelang Musrenbang",
            "Musyawarah warga RT {rt} di {tempat} menyepakati usulan kegiatan yang dibawa ke "
            "Musrenbang Kelurahan {kelurahan}.",
        ),
        (
            "Rekapitulasi data kependudukan bulanan",
            "Laporan jumlah penduduk, kelahiran dan kematian RT {rt} bulan ini diserahkan ke "
            "Kelurahan {kelurahan}; {n} perubahan data dicatat.",
        ),
    ],
    Bidang.KESEHATAN_LINGKUNGAN: [
        (
            "Gotong royong membersihkan saluran air",
            "Warga RT {rt} bergotong royong membersihkan saluran air di {jalan} sepanjang "
            "{meter} m, diikuti {jumlah} warga.",
        ),
        (
            "Posyandu balita",
            "Kegiatan Posyandu di {tempat}: {jumlah} balita ditimbang dan diberi vitamin A.",
        ),
        (
            "Pemberantasan sarang nyamuk",
            "Jumantik RT {rt} memeriksa jentik nyamuk di {jumlah} rumah warga; {n} rumah "
            "ditemukan jentik dan diberi abate.",
        ),
        (
            "Kerja bakti kebersihan lingkungan",
            "Kerja bakti Jumat bersih di {jalan} RT {rt}: rumput dipangkas dan sampah diangkut "
            "ke TPS.",
        ),
        (
            "Penanaman pohon penghijauan",
            "Warga RT {rt} menanam {jumlah} bibit pohon di sepanjang {jalan}.",
        ),
    ],
    Bidang.KEAMANAN_KETERTIBAN: [
        (
            "Ronda malam bergilir",
            "Jadwal ronda malam RT {rt} berjalan; {n} regu bergiliran menjaga pos kamling {jalan}.",
        ),
        (
            "Penertiban parkir di {jalan}",
            "Pengurus RT {rt} bersama Linmas menertibkan parkir kendaraan yang menutup {jalan}.",
        ),
    ],
    Bidang.SOSIAL_KEMASYARAKATAN: [
        (
            "Santunan anak yatim",
            "Warga RT {rt} menyerahkan santunan kepada {n} anak yatim di {tempat}.",
        ),
        (
            "Kunjungan warga sakit",
            "Pengurus RT {rt} menjenguk {n} warga yang sakit dan menyerahkan bantuan dari kas RT.",
        ),
    ],
    Bidang.KEAGAMAAN: [
        (
            "Pengajian rutin warga",
            "Pengajian rutin ibu-ibu RT {rt} di {tempat}, dihadiri {jumlah} jamaah.",
        ),
    ],
    Bidang.PEMBANGUNAN: [
        (
            "Perbaikan jalan setapak secara swadaya",
            "Warga RT {rt} memperbaiki jalan setapak di {jalan} sepanjang {meter} m dengan "
            "semen swadaya.",
        ),
    ],
    Bidang.EKONOMI: [
        (
            "Bazar produk UMKM warga",
            "Bazar produk UMKM warga RT {rt} di {tempat}; {n} pelaku usaha ikut berjualan.",
        ),
    ],
}

USULAN: dict[Bidang, list[Template]] = {
    Bidang.PEMBANGUNAN: [
        (
            "Usulan perbaikan jalan lingkungan {jalan}",
            "Jalan di {jalan} RT {rt} sepanjang {meter} m berlubang dan tergenang saat hujan; "
            "diusulkan pengaspalan ulang.",
        ),
        (
            "Usulan pembangunan drainase {jalan}",
            "Air meluap ke rumah warga di {jalan} setiap hujan deras; diusulkan drainase "
            "sepanjang {meter} m.",
        ),
        (
            "Usulan penerangan jalan umum",
            "Ruas {jalan} RT {rt} gelap pada malam hari; diusulkan pemasangan {n} lampu PJU.",
        ),
    ],
    Bidang.KESEHATAN_LINGKUNGAN: [
        (
            "Usulan pengadaan tong sampah terpilah",
            "Warga RT {rt} mengusulkan {n} tong sampah terpilah untuk {jalan}.",
        ),
    ],
    Bidang.KEAMANAN_KETERTIBAN: [
        (
            "Usulan pembangunan pos kamling",
            "Pos kamling RT {rt} di {jalan} rusak; diusulkan pembangunan pos baru.",
        ),
    ],
    Bidang.PEMERINTAHAN: [
        (
            "Usulan pelayanan administrasi keliling",
            "Warga lansia RT {rt} sulit ke kantor kelurahan; diusulkan pelayanan KTP/KK keliling.",
        ),
    ],
}

PROYEK_DANA: dict[BidangDana, list[str]] = {
    BidangDana.INFRASTRUKTUR: [
        "Paving jalan gang {jalan}",
        "Pembangunan saluran drainase {jalan}",
        "Rehabilitasi pos kamling RT {rt}",
    ],
    BidangDana.SOSIAL: ["Pelatihan kader posyandu RT {rt}", "Pengadaan alat kesenian RT {rt}"],
    BidangDana.EKONOMI: ["Pelatihan menjahit warga RT {rt}", "Peralatan usaha kue warga RT {rt}"],
}

PROGRES_KATA = {
    0: "Pekerjaan belum dimulai; bahan dan tenaga sudah disiapkan.",
    50: "Pekerjaan sudah berjalan separuh.",
    100: "Pekerjaan selesai dan sudah dimanfaatkan warga.",
}

JALAN = [
    "Jl. Yos Sudarso",
    "Jl. Garuda",
    "Gang Mawar",
    "Gang Melati",
    "Jl. Kenanga",
    "Jl. Merdeka",
    "Gang Kelapa",
    "Jl. Sudirman",
    "Gang Masjid",
    "Jl. Cendana",
]
TEMPAT = ["rumah Ketua RT", "balai RT", "musala", "posyandu", "halaman masjid", "pos kamling"]
PROGRAM = [
    "program KB",
    "vaksinasi lansia",
    "pembayaran PBB",
    "Kartu Identitas Anak",
    "pencegahan stunting",
]

CATATAN_SETUJU = ["Sesuai", "Lanjutkan", "Sudah dicek, sesuai", "Terverifikasi", ""]
CATATAN_TOLAK: dict[RejectionReason, list[str]] = {
    RejectionReason.NO_EVIDENCE: [
        "Mohon lampirkan foto dokumentasi kegiatan.",
        "Tambahkan foto kegiatan sebagai bukti.",
    ],
    RejectionReason.INCOMPLETE: [
        "Uraian belum lengkap, tambahkan jumlah peserta dan lokasi.",
        "Mohon lengkapi keterangan waktu dan tempat kegiatan.",
    ],
    RejectionReason.WRONG_FIELD: ["Bidang laporan tidak sesuai, mohon diperbaiki."],
    RejectionReason.DUPLICATE: ["Kegiatan ini sudah dilaporkan sebelumnya."],
    RejectionReason.NOT_RT_WORK: ["Ini kegiatan kelurahan, bukan kegiatan RT."],
    RejectionReason.OTHER: ["Tanggal kegiatan tidak sesuai dengan dokumentasi."],
}
TAMBAHAN_URAIAN = " Kegiatan dimulai pukul 08.00 WIB dan diikuti {jumlah} warga."
