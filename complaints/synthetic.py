"""Synthetic reports over the demo hierarchy, for demos and benchmarks (``generate_complaints``).

Each report walks the path the real services would have written, row for row: the SUBMITTED
event, the routing steps of ``routing.services.route_step`` (national → province → regency/city
coordinator → OPD, by the routing rules, or waiting in a coordinator's queue where no rule
decides), then what coordinators and agencies do in ``routing.services`` and
``complaints.services``: dispose, pass up, archive, return as not their authority, acknowledge,
answer; the escalation sweep moves what misses its deadline one level up. Answered reports whose
reply window has passed are COMPLETED (no service or event exists for that yet: only the status
changes, and the version, as for every change of state).

The walk stops at ``now``: old reports are mostly done, recent ones still open. The sweep runs
every 15 minutes, so a report overdue below the national coordinator exists only while the sweep
is behind; a few reports are "stalled" (the sweep never reaches them and their holders act days
late) so that overdue inboxes have something to show. Nothing is sent: no e-mail, no task, no outbox row.

Rows are written in batches, every report of a batch complete, one transaction per batch: with
PostgreSQL's COPY (ids drawn from the tables' sequences), elsewhere with ``bulk_create``.
Everything random comes from one seed, so a seed, a ``now`` and the same database give the same
reports. Texts, names and e-mail addresses (at example.com/.net/.org) are made up from word
lists; IP addresses are from the documentation ranges; no phone numbers are written.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import queue
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Model
from django.utils import timezone

from complaints.models import (
    DESCRIPTION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Complaint,
    ComplaintEvent,
    Dispute,
    Rating,
    Reporter,
    Response,
)
from lapor.lib.tracking import ALPHABET, hash_access_key
from routing import selectors as routing_selectors
from routing.hierarchy import DEMO_CITIES, DEMO_PROVINCE, NATIONAL_CODE
from routing.models import (
    Agency,
    Category,
    DeadlineBreach,
    DeadlineSetting,
    Disposition,
    Officer,
    Region,
    RoutingRule,
    TransferRequest,
)

Status = Complaint.Status
Event = ComplaintEvent.Type
Step = DeadlineSetting.Step
SPAN_DAYS = 730
MAX_ACTIONS = 24
SWEEP_EVERY = dt.timedelta(minutes=15)


class SyntheticDataError(Exception):
    """The database lacks what the generator needs (the demo hierarchy); ``message`` says what
    to run."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- words -------------------------------------------------------------------------------------
# Word lists read better as paragraphs than one word a line.
# fmt: off

# Per category: (places, problems, proposals, information topics, detail sentences). Slots:
# {obj} a place of the category, {street}, {area} the report's district or city, {n} a number.
TOPICS: dict[str, tuple[tuple[str, ...], ...]] = {
    "kesehatan": (
        ("Puskesmas {area}", "RSUD kota", "Puskesmas Pembantu", "posyandu kelurahan",
         "klinik rawat inap", "layanan ambulans", "poli gigi puskesmas", "apotek puskesmas"),
        ("antrean pasien sangat panjang", "obat sering kosong", "petugas tidak ramah",
         "jam layanan tidak sesuai jadwal", "pasien BPJS ditolak", "dokter jarang hadir",
         "pungutan biaya di luar ketentuan", "ruang tunggu kotor dan panas",
         "ambulans terlambat datang", "stok vaksin habis"),
        ("penambahan dokter spesialis", "layanan puskesmas 24 jam", "posyandu lansia",
         "pendaftaran antrean daring", "ambulans siaga kelurahan"),
        ("jadwal imunisasi anak", "anggaran kesehatan daerah", "prosedur rujukan BPJS",
         "daftar obat yang ditanggung", "hasil pemeriksaan kualitas air minum"),
        ("Pasien harus datang sejak subuh untuk mendapat nomor antrean di {obj}.",
         "Obat yang diresepkan dokter tidak tersedia sehingga kami harus membeli di apotek luar.",
         "Petugas pendaftaran meminta biaya tambahan tanpa kuitansi resmi.",
         "Ruang tunggu {obj} tidak memiliki kipas angin dan banyak pasien lansia kelelahan.",
         "Kartu BPJS kami aktif, tetapi petugas menyatakan layanan tidak ditanggung.",
         "Dokter baru datang pukul sebelas siang padahal layanan dibuka pukul delapan.",
         "Sudah {n} kali kami meminta rujukan, tetapi selalu diminta kembali minggu depan."),
    ),
    "pendidikan": (
        ("SD Negeri {n} {area}", "SMP Negeri {n}", "sekolah dasar di {area}", "PAUD kelurahan",
         "perpustakaan sekolah", "dinas pendidikan"),
        ("pungutan uang seragam", "guru sering tidak masuk kelas", "ruang kelas rusak",
         "penerimaan siswa baru tidak transparan", "dana BOS tidak jelas penggunaannya",
         "bantuan KIP belum cair", "atap kelas bocor", "toilet sekolah tidak layak"),
        ("penambahan ruang kelas", "beasiswa siswa berprestasi", "perpustakaan keliling",
         "pelatihan guru honorer", "bus sekolah gratis"),
        ("penggunaan dana BOS", "jadwal penerimaan peserta didik baru", "kuota zonasi sekolah",
         "daftar penerima KIP", "anggaran rehabilitasi gedung sekolah"),
        ("Orang tua siswa diminta membayar Rp{n}00.000 untuk seragam dan buku.",
         "Atap ruang kelas bocor setiap hujan sehingga siswa belajar di lorong.",
         "Hasil seleksi penerimaan siswa baru tidak diumumkan secara terbuka.",
         "Wali kelas jarang hadir dan siswa sering dipulangkan lebih awal.",
         "Bantuan KIP untuk anak kami belum diterima sejak semester lalu.",
         "Toilet {obj} rusak dan siswa harus menumpang ke rumah warga."),
    ),
    "infrastruktur": (
        ("{street}", "jembatan di {area}", "drainase {street}", "gang di RT {n}",
         "lampu penerangan {street}", "trotoar {street}", "jalan lingkungan {area}"),
        ("jalan berlubang", "drainase tersumbat", "banjir setiap hujan deras",
         "lampu jalan mati", "jembatan retak", "trotoar rusak", "galian kabel tidak ditutup",
         "aspal mengelupas"),
        ("pengaspalan jalan lingkungan", "pemasangan lampu jalan", "normalisasi drainase",
         "pembangunan jembatan penyeberangan", "pelebaran jalan"),
        ("anggaran perbaikan jalan", "jadwal pengaspalan", "rencana normalisasi sungai",
         "kontraktor proyek jalan", "rencana tata ruang kecamatan"),
        ("Lubang di {street} semakin lebar dan sudah {n} pengendara motor terjatuh.",
         "Saluran air di {obj} tersumbat sampah sehingga air meluap ke rumah warga.",
         "Setiap hujan deras, {area} tergenang setinggi lutut orang dewasa.",
         "Lampu penerangan di {street} mati sejak {n} minggu dan rawan kejahatan.",
         "Bekas galian kabel di {street} dibiarkan terbuka tanpa rambu pengaman.",
         "Jembatan kayu di {area} sudah lapuk dan berbahaya dilalui anak sekolah."),
    ),
    "kependudukan": (
        ("kantor Disdukcapil", "kantor kecamatan {area}", "layanan KTP elektronik",
         "pelayanan akta kelahiran", "loket kartu keluarga"),
        ("blangko KTP elektronik kosong", "pengurusan akta kelahiran lambat",
         "antrean perekaman KTP tidak tertib", "data kartu keluarga salah",
         "ada calo di loket pelayanan", "layanan daring sering gangguan"),
        ("layanan jemput bola perekaman KTP", "loket khusus lansia", "pelayanan hari Sabtu",
         "antrean daring Disdukcapil"),
        ("persyaratan pindah domisili", "jadwal perekaman KTP keliling",
         "biaya penerbitan akta", "alur perbaikan data kependudukan"),
        ("KTP elektronik kami belum jadi sejak {n} bulan dengan alasan blangko habis.",
         "Petugas meminta kami kembali berkali-kali untuk dokumen yang sama.",
         "Ada orang yang menawarkan jasa percepatan dengan bayaran di depan {obj}.",
         "Nama anak kami salah ketik di akta kelahiran dan perbaikannya belum selesai.",
         "Aplikasi pendaftaran daring selalu gagal saat mengunggah dokumen."),
    ),
    "lingkungan": (
        ("TPS {street}", "sungai di {area}", "kawasan industri {area}", "bantaran sungai",
         "taman kota", "pasar {area}"),
        ("sampah menumpuk tidak diangkut", "pembuangan limbah ke sungai", "pembakaran sampah",
         "bau menyengat dari pabrik", "penebangan pohon tanpa izin", "air sungai tercemar"),
        ("bank sampah kelurahan", "penambahan armada pengangkut sampah", "penanaman pohon",
         "taman bermain ramah anak"),
        ("jadwal pengangkutan sampah", "hasil uji kualitas air sungai",
         "izin lingkungan perusahaan", "retribusi sampah"),
        ("Sampah di {obj} sudah {n} hari tidak diangkut dan mulai berbau busuk.",
         "Setiap malam ada yang membuang limbah cair berwarna hitam ke sungai.",
         "Asap pembakaran sampah masuk ke rumah warga dan membuat anak-anak batuk.",
         "Ikan di sungai {area} banyak yang mati sejak minggu lalu."),
    ),
    "perhubungan": (
        ("terminal {area}", "halte {street}", "simpang {street}", "angkutan kota trayek {n}",
         "pelabuhan penyeberangan", "parkir pasar {area}"),
        ("parkir liar di badan jalan", "lampu lalu lintas mati", "tarif angkot dinaikkan sepihak",
         "truk bermuatan berat melintas di jalan kota", "juru parkir tanpa karcis",
         "halte rusak"),
        ("penambahan halte bus", "bus sekolah", "zebra cross di depan sekolah",
         "angkutan umum ke kawasan perumahan"),
        ("tarif resmi angkutan kota", "jadwal bus kota", "retribusi parkir", "rencana rute baru"),
        ("Lampu lalu lintas di {obj} mati sejak {n} hari dan sering terjadi kemacetan.",
         "Juru parkir meminta uang tanpa memberikan karcis resmi.",
         "Truk besar melintas pada jam sekolah dan membahayakan anak-anak.",
         "Sopir angkot menaikkan tarif sendiri tanpa pengumuman."),
    ),
    "perizinan": (
        ("mal pelayanan publik", "kantor DPMPTSP", "layanan OSS", "kantor kelurahan {area}"),
        ("izin usaha tidak kunjung terbit", "persyaratan PBG berbelit", "biaya izin tidak resmi",
         "bangunan tanpa izin di permukiman"),
        ("layanan perizinan keliling", "pendampingan izin usaha mikro"),
        ("syarat PBG rumah tinggal", "biaya retribusi izin", "status permohonan NIB"),
        ("Permohonan izin kami diajukan {n} bulan lalu tetapi statusnya tidak berubah.",
         "Petugas menyarankan memakai jasa perantara agar izin cepat keluar.",
         "Ada bangunan ruko berdiri di atas saluran air tanpa papan izin."),
    ),
    "sosial": (
        ("kantor kelurahan {area}", "penyaluran bansos", "panti sosial", "data DTKS"),
        ("bantuan sosial tidak tepat sasaran", "nama kami hilang dari DTKS", "potongan dana PKH",
         "penyaluran BLT terlambat"),
        ("pendataan ulang warga miskin", "dapur umum lansia", "bantuan untuk penyandang disabilitas"),
        ("daftar penerima bansos", "kriteria penerima PKH", "jadwal penyaluran BLT"),
        ("Keluarga yang mampu menerima bantuan sementara tetangga kami yang lansia tidak.",
         "Dana PKH yang kami terima dipotong Rp{n}0.000 oleh oknum pendamping.",
         "Sudah {n} bulan bantuan belum cair tanpa penjelasan."),
    ),
    "ketenagakerjaan": (
        ("perusahaan di {area}", "balai latihan kerja", "kantor disnaker", "pabrik {area}"),
        ("upah di bawah UMK", "THR tidak dibayar", "PHK sepihak",
         "karyawan tidak didaftarkan BPJS Ketenagakerjaan", "lembur tidak dibayar"),
        ("pelatihan kerja untuk pemuda", "bursa kerja kecamatan"),
        ("besaran UMK tahun ini", "prosedur pengaduan PHK", "jadwal pelatihan BLK"),
        ("Perusahaan tempat saya bekerja membayar upah jauh di bawah UMK.",
         "THR tahun ini tidak dibayarkan kepada {n}0 karyawan kontrak.",
         "Kami diberhentikan tanpa surat dan tanpa pesangon."),
    ),
    "lainnya": (
        ("kantor pemerintah di {area}", "pelayanan publik", "fasilitas umum {area}"),
        ("pungutan liar", "pegawai tidak disiplin", "pelayanan lambat",
         "informasi layanan tidak jelas"),
        ("kotak saran di setiap kantor layanan", "layanan pengaduan melalui WhatsApp"),
        ("standar pelayanan kantor kelurahan", "jam layanan kantor pemerintah"),
        ("Pegawai di loket sering meninggalkan tempat pada jam kerja.",
         "Kami dimintai uang Rp{n}0.000 untuk surat keterangan yang seharusnya gratis."),
    ),
}
TOPICS["pendidikan-menengah"] = (
    ("SMA Negeri {n} {area}", "SMK Negeri {n}", "SMA swasta di {area}"),
    ("pungutan komite sekolah", "seleksi masuk SMA tidak transparan", "laboratorium rusak",
     "guru honorer belum digaji"),
    ("penambahan SMK negeri", "beasiswa SMA"),
    ("kuota zonasi SMA", "dana BOS SMA", "jadwal seleksi SMK"),
    ("Sekolah meminta sumbangan komite Rp{n}.000.000 per siswa.",
     "Peralatan praktik di {obj} rusak sehingga siswa tidak bisa praktik."),
)
TOPICS["jalan-provinsi"] = (
    ("jalan provinsi di {area}", "poros Samarinda–Bontang", "jalan poros {area}"),
    ("jalan longsor", "jalan rusak parah", "jembatan provinsi ambles"),
    ("pelebaran jalan poros", "penerangan jalan provinsi"),
    ("anggaran jalan provinsi", "jadwal perbaikan jalan poros"),
    ("Badan jalan di {obj} amblas sepanjang {n}0 meter.",
     "Kendaraan harus antre bergantian karena jalan tinggal satu lajur."),
)
_GENERIC_TOPIC = TOPICS["lainnya"]

STREETS = (
    "Jalan Juanda", "Jalan Pahlawan", "Jalan Ahmad Yani", "Jalan MT Haryono", "Jalan Pramuka",
    "Jalan Antasari", "Jalan Slamet Riyadi", "Jalan Sudirman", "Jalan Soekarno-Hatta",
    "Jalan Letjen Suprapto", "Jalan Gatot Subroto", "Jalan Cendana", "Jalan Wahid Hasyim",
    "Jalan Mulawarman", "Jalan Kesuma Bangsa", "Jalan Siradj Salman", "Jalan Ruhui Rahayu",
    "Jalan Sultan Hasanuddin", "Jalan Pangeran Antasari", "Jalan Mayjen Sutoyo",
)
OPENERS = (
    "Saya warga {area} ingin melaporkan {problem} di {obj}.",
    "Selamat siang, saya ingin menyampaikan keluhan tentang {problem} di {obj}.",
    "Yth. Bapak/Ibu, sudah {n} minggu terakhir terjadi {problem} di {obj}.",
    "Kami warga RT {n} {area} mengeluhkan {problem}.",
    "Mohon perhatian, {problem} di {obj} belum juga ditangani.",
)
ASPIRATION_OPENERS = (
    "Kami warga {area} mengusulkan {proposal}.",
    "Saya ingin menyampaikan aspirasi agar pemerintah mengadakan {proposal} di {area}.",
    "Bersama ini kami mengajukan usulan {proposal} untuk warga {area}.",
)
INFORMATION_OPENERS = (
    "Saya meminta informasi mengenai {topic} di {area}.",
    "Sesuai UU Keterbukaan Informasi Publik, saya memohon salinan informasi {topic}.",
    "Mohon penjelasan tentang {topic} yang berlaku di {area}.",
)
IMPACTS = (
    "Kondisi ini sangat merugikan warga, terutama lansia dan anak-anak.",
    "Banyak warga terpaksa mengeluarkan biaya tambahan karena masalah ini.",
    "Kami khawatir akan terjadi kecelakaan jika dibiarkan lebih lama.",
    "Warga sudah melapor ke ketua RT dan kelurahan, tetapi belum ada tindak lanjut.",
    "Masalah ini sudah berulang kali terjadi sejak tahun lalu.",
    "Usulan ini sudah dibahas dalam musrenbang kelurahan.",
    "Informasi ini kami perlukan untuk memantau penggunaan anggaran publik.",
)
REQUESTS = (
    "Mohon instansi terkait segera menindaklanjuti laporan ini.",
    "Kami berharap ada perbaikan secepatnya.",
    "Mohon diberikan penjelasan resmi kepada warga.",
    "Mohon petugas turun langsung ke lokasi untuk memeriksa.",
    "Kami siap memberikan keterangan tambahan bila diperlukan.",
)
CLOSINGS = ("Terima kasih.", "Atas perhatiannya kami ucapkan terima kasih.", "Salam.", "")
ANSWERS = (
    "Terima kasih atas laporan Anda. Petugas kami telah meninjau lokasi pada {date} dan "
    "menemukan kondisi sesuai laporan. {action}",
    "Laporan Anda telah kami terima dan kami tindak lanjuti. {action} Apabila masalah masih "
    "terjadi, silakan sampaikan kembali melalui kanal ini.",
    "Menanggapi laporan Saudara, kami sampaikan bahwa {action} Informasi lebih lanjut dapat "
    "diperoleh di kantor kami pada jam kerja.",
)
ANSWER_ACTIONS = (
    "Perbaikan dijadwalkan selesai dalam dua minggu.",
    "Petugas yang bersangkutan telah diberi teguran dan pembinaan.",
    "Stok telah dipenuhi kembali dan layanan berjalan normal.",
    "Data Anda telah diperbaiki dan dokumen dapat diambil di loket.",
    "Permintaan informasi Anda kami lampirkan dalam jawaban ini.",
    "Usulan Anda kami catat sebagai bahan perencanaan tahun anggaran berikutnya.",
    "Tim gabungan telah menertibkan lokasi tersebut.",
)
ARCHIVE_REASONS = (
    "Laporan ganda; sudah ditangani pada laporan lain dengan isi yang sama.",
    "Isi laporan tidak jelas dan pelapor tidak dapat dihubungi untuk melengkapinya.",
    "Bukan pengaduan pelayanan publik; mohon disampaikan ke pihak yang berwenang.",
    "Laporan berisi iklan dan tidak dapat ditindaklanjuti.",
    "Permasalahan sedang dalam proses hukum sehingga tidak dapat ditindaklanjuti di kanal ini.",
)
TRANSFER_REASONS = (
    "Bukan kewenangan kami; urusan ini ditangani oleh dinas lain.",
    "Lokasi yang dilaporkan berada di luar wilayah kerja kami.",
    "Objek laporan adalah aset provinsi, bukan aset kota.",
    "Urusan ini menjadi tugas instansi vertikal, bukan pemerintah daerah.",
)
DISPUTE_REASONS = (
    "Jawaban tidak sesuai dengan kondisi di lapangan; masalahnya masih terjadi.",
    "Sudah lewat dari waktu yang dijanjikan tetapi belum ada perbaikan.",
    "Jawaban hanya menyalin aturan, tidak menjawab pertanyaan saya.",
)
PASS_UP_REASONS = (
    "Tidak ada perangkat daerah di wilayah kami yang berwenang atas urusan ini.",
    "Menyangkut kewenangan provinsi.",
    "Memerlukan koordinasi lintas kabupaten/kota.",
)
NOTES = (
    "Sudah dikoordinasikan dengan kepala bidang; menunggu jadwal peninjauan.",
    "Pelapor dihubungi lewat telepon kantor, akan melengkapi foto.",
    "Menunggu data dari UPT di lapangan.",
    "Mohon dicek ulang lokasi sebelum menjawab.",
)
FIRST_NAMES = (
    "Budi", "Siti", "Agus", "Dewi", "Rina", "Andi", "Ahmad", "Nur", "Eko", "Sri", "Wahyu",
    "Yuni", "Rizky", "Putri", "Hendra", "Fitri", "Dian", "Bambang", "Lestari", "Arif", "Ratna",
    "Fajar", "Indah", "Yusuf", "Maya", "Taufik", "Wulan", "Rudi", "Novi", "Hadi", "Intan",
    "Syahrani", "Irwan", "Aisyah", "Dimas", "Kartika", "Gilang", "Nurul", "Reza", "Ayu",
)
LAST_NAMES = (
    "Santoso", "Wijaya", "Saputra", "Lestari", "Hidayat", "Kurniawan", "Pratama", "Sari",
    "Setiawan", "Rahmawati", "Nugroho", "Siregar", "Hasibuan", "Daeng", "Rahman", "Syahputra",
    "Anggraini", "Firmansyah", "Gunawan", "Purnamasari", "Hakim", "Maulana", "Utami", "Aritonang",
)
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")

KIND_WEIGHTS = ((Complaint.Kind.COMPLAINT, 70), (Complaint.Kind.ASPIRATION, 20),
                (Complaint.Kind.INFORMATION_REQUEST, 10))
CATEGORY_WEIGHTS = {
    "kesehatan": 16, "pendidikan": 12, "infrastruktur": 20, "kependudukan": 12,
    "lingkungan": 9, "perhubungan": 8, "perizinan": 5, "sosial": 7, "ketenagakerjaan": 4,
    "lainnya": 5, "pendidikan-menengah": 3, "jalan-provinsi": 3,
}
# Samarinda and Balikpapan, where the demo OPDs are, get most reports; every other regency/city
# of the province shares the rest.
CITY_SHARE = {"64.72": 0.42, "64.71": 0.33}
# Local hours at which citizens file reports (evenings included).
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 9, 8, 9, 9, 8, 7, 6, 6, 7, 7, 5, 3, 2)

# The chance that each thing happens when its turn comes.
P_ANONYMOUS = 0.30
P_CONFIDENTIAL = 0.05
P_STALLED = 0.05  # the escalation sweep never reaches this report; its holders act days late
P_COORDINATOR_LATE = 0.05
P_AGENCY_LATE = 0.06
P_ARCHIVE = 0.07
P_TRANSFER = 0.04
P_ANSWER_WITHOUT_ACKNOWLEDGING = 0.10
P_NOTE = 0.08
P_ACCEPT = 0.35  # the citizen accepts the answer within the reply window (else it auto-completes)
P_DISPUTE = 0.04  # the citizen disputes the answer: the coordinator above answers again
P_RATE = 0.30  # the citizen rates an answer they accepted
# fmt: on


# --- the hierarchy, read once ------------------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    code: str
    name: str
    regency_code: str


class _World:
    """The demo hierarchy, regions, categories and deadlines as the walks need them, read once;
    deadlines are memoized per local day, since they depend on nothing else."""

    def __init__(self) -> None:
        routing_selectors.clear_settings_cache()  # the hierarchy may just have been seeded
        self.tz = timezone.get_default_timezone()
        try:
            self.national = routing_selectors.get_national_coordinator()
        except Agency.DoesNotExist:
            raise _missing("no national coordinator") from None
        if self.national.code != NATIONAL_CODE:
            raise _missing(f"the national coordinator is not {NATIONAL_CODE!r}")
        self.province = routing_selectors.get_coordinator(Agency.Level.PROVINCE, DEMO_PROVINCE)
        if self.province is None:
            raise _missing(f"no coordinator for province {DEMO_PROVINCE}")
        self.agencies = {
            pk: routing_selectors.get_agency(pk)
            for pk in Agency.objects.order_by("pk").values_list("pk", flat=True)
        }
        self.opds_below: dict[int, list[Agency]] = {}
        for agency in self.agencies.values():
            if agency.level == Agency.Level.OPD and agency.is_active and agency.parent_id:
                self.opds_below.setdefault(agency.parent_id, []).append(agency)
        for city in DEMO_CITIES:
            coordinator = routing_selectors.get_coordinator(Agency.Level.REGENCY, city)
            if coordinator is None or not self.opds_below.get(coordinator.pk):
                raise _missing(f"no coordinator with agencies for {city}")
        if not RoutingRule.objects.filter(level=RoutingRule.Level.REGENCY).exists():
            raise _missing("no routing rules")
        self.officers: dict[int, int] = {}
        for user_id, agency_id in Officer.objects.order_by("user_id").values_list(
            "user_id", "agency_id"
        ):
            self.officers.setdefault(agency_id, user_id)
        self._load_places()
        self._load_categories()
        self._routes: dict[
            tuple[int, str], tuple[list[tuple[Agency, RoutingRule | None]], Agency]
        ] = {}
        self._due: dict[tuple[dt.date, str, str], dt.datetime] = {}
        for step in (Step.VERIFICATION, Step.FIRST_RESPONSE, Step.CITIZEN_REPLY):
            routing_selectors.deadline_days(step)  # raises LookupError when one is missing

    def _load_places(self) -> None:
        regencies = [
            region
            for region in Region.objects.filter(parent_id=DEMO_PROVINCE).order_by("code")
            if routing_selectors.get_coordinator(Agency.Level.REGENCY, region.code) is not None
        ]
        districts: dict[str, list[_Place]] = {}
        for code, name, parent in (
            Region.objects.filter(parent_id__in=[r.code for r in regencies])
            .order_by("code")
            .values_list("code", "name", "parent_id")
        ):
            districts.setdefault(parent, []).append(_Place(code, name, parent))
        others = [r for r in regencies if r.code not in CITY_SHARE]
        rest = 1 - sum(CITY_SHARE[r.code] for r in regencies if r.code in CITY_SHARE)
        self.regencies: list[tuple[_Place, list[_Place]]] = []
        weights: list[float] = []
        for region in regencies:
            self.regencies.append(
                (_Place(region.code, region.name, region.code), districts.get(region.code, []))
            )
            weights.append(CITY_SHARE.get(region.code, rest / max(len(others), 1)))
        self.regency_cum = list(_accumulate(weights))

    def _load_categories(self) -> None:
        categories = list(Category.objects.filter(is_active=True).order_by("position", "code"))
        if not categories:
            raise _missing("no categories")
        self.categories = categories
        self.category_codes = {c.pk: c.code for c in categories}
        self.category_cum = list(_accumulate(CATEGORY_WEIGHTS.get(c.code, 3) for c in categories))

    def due(self, start: dt.datetime, step: str, kind: str) -> dt.datetime:
        key = (start.astimezone(self.tz).date(), step, kind)
        found = self._due.get(key)
        if found is None:
            found = self._due[key] = routing_selectors.due_at(start=start, step=step, kind=kind)
        return found

    def route(
        self, category_id: int, regency_code: str
    ) -> tuple[list[tuple[Agency, RoutingRule | None]], Agency]:
        """The hand-overs ``route_step`` makes for a new report of this category and regency,
        and where it stops (an OPD, or the coordinator in whose queue it waits)."""
        key = (category_id, regency_code)
        if key not in self._routes:
            self._routes[key] = self._route(category_id, regency_code)
        return self._routes[key]

    def _route(
        self, category_id: int, regency_code: str
    ) -> tuple[list[tuple[Agency, RoutingRule | None]], Agency]:
        province_code = regency_code.split(".")[0]
        holder = self.national
        hops: list[tuple[Agency, RoutingRule | None]] = []
        while holder.level != Agency.Level.OPD and len(hops) < 6:
            target, rule = self._target(holder, category_id, province_code, regency_code)
            # As route_step: a rule that does not lead down from the holder decides nothing.
            if target is not None and (
                target.pk == holder.pk
                or not target.is_active
                or not routing_selectors.is_in_subtree(target, holder)
            ):
                target, rule = None, None
            if target is None:
                break
            hops.append((target, rule))
            holder = target
        return hops, holder

    def _target(
        self, holder: Agency, category_id: int, province_code: str, regency_code: str
    ) -> tuple[Agency | None, RoutingRule | None]:
        if holder.level == Agency.Level.NATIONAL:
            return routing_selectors.get_coordinator(Agency.Level.PROVINCE, province_code), None
        level = {
            Agency.Level.PROVINCE: RoutingRule.Level.PROVINCE,
            Agency.Level.REGENCY: RoutingRule.Level.REGENCY,
        }.get(holder.level)
        if level is None:
            return None, None
        rule = routing_selectors.get_rule(
            category_id=category_id,
            level=level,
            region_code=province_code if level == RoutingRule.Level.PROVINCE else regency_code,
        )
        if rule is None:
            return None, None
        if rule.target == RoutingRule.Target.REGENCY_COORDINATOR:
            return routing_selectors.get_coordinator(Agency.Level.REGENCY, regency_code), rule
        return rule.agency, rule

    def rule_agency(self, category_id: int, regency_code: str) -> Agency | None:
        """The OPD a rule names for this category, in the regency/city or the province."""
        for level, code in (
            (RoutingRule.Level.REGENCY, regency_code),
            (RoutingRule.Level.PROVINCE, regency_code.split(".")[0]),
        ):
            rule = routing_selectors.get_rule(
                category_id=category_id, level=level, region_code=code
            )
            if rule is not None and rule.agency is not None:
                return rule.agency
        return None


def _missing(what: str) -> SyntheticDataError:
    return SyntheticDataError(
        f"The demo hierarchy is missing ({what}): run `manage.py load_regions` and "
        "`manage.py seed_demo` first."
    )


def _accumulate(weights: Any) -> Iterator[float]:
    total = 0.0
    for weight in weights:
        total += weight
        yield total


KIND_WEIGHTS_KINDS = [kind for kind, _weight in KIND_WEIGHTS]
KIND_CUM = list(_accumulate(weight for _kind, weight in KIND_WEIGHTS))
HOUR_CUM = list(_accumulate(HOUR_WEIGHTS))


# --- one batch of rows -------------------------------------------------------------------------


@dataclass
class _Batch:
    complaints: list[tuple[Any, ...]] = field(default_factory=list)
    reporters: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    dispositions: list[tuple[Any, ...]] = field(default_factory=list)
    transfers: list[tuple[Any, ...]] = field(default_factory=list)
    breaches: list[tuple[Any, ...]] = field(default_factory=list)
    responses: list[tuple[Any, ...]] = field(default_factory=list)
    disputes: list[tuple[Any, ...]] = field(default_factory=list)
    ratings: list[tuple[Any, ...]] = field(default_factory=list)


# Column order of the tuples above; rows without an id get theirs from the table.
COLUMNS: dict[str, tuple[type[Model], list[str]]] = {
    "complaints": (
        Complaint,
        "id tracking_number access_key_hash kind title description category_id region_id "
        "incident_date is_anonymous is_confidential needs_inspection status language "
        "submitted_at due_at current_agency_id routing_step moved_at version support_count".split(),
    ),
    "reporters": (Reporter, "complaint_id name email phone ip_address".split()),
    "dispositions": (
        Disposition,
        "id complaint_id sequence kind from_agency_id to_agency_id rule_id actor_id created_at "
        "due_at".split(),
    ),
    "transfers": (
        TransferRequest,
        "id complaint_id from_agency_id reason suggested_agency_id requested_by_id created_at "
        "decided_at".split(),
    ),
    "breaches": (DeadlineBreach, "disposition_id complaint_id agency_id due_at created_at".split()),
    "responses": (
        Response,
        "id complaint_id agency_id author_id text created_at is_first handed_at due_at_before".split(),
    ),
    "disputes": (Dispute, "complaint_id response_id agency_id reason created_at".split()),
    "ratings": (Rating, "complaint_id response_id agency_id score comment created_at".split()),
    "events": (
        ComplaintEvent,
        "complaint_id type from_status from_holder_id from_due_at to_status holder_id due_at "
        "actor_id is_public data created_at".split(),
    ),
}
JSON_COLUMNS = {"events": 10}


# --- one report's life -------------------------------------------------------------------------


class _Report:
    """The cached state of one report while it walks, as the services keep it."""

    __slots__ = (
        "agency",
        "category_id",
        "due_at",
        "handed_at",
        "id",
        "kind",
        "missed_by",
        "moved_at",
        "regency_code",
        "region",
        "response",
        "returned",
        "stalled",
        "state",
        "status",
        "step",
        "submitted_at",
        "suggested",
        "transfer_id",
        "version",
    )

    def __init__(self, pk: int, kind: str, category_id: int, region: _Place, at: dt.datetime):
        self.id = pk
        self.kind = kind
        self.category_id = category_id
        self.region = region
        self.regency_code = region.regency_code
        self.submitted_at = at
        self.status: str = Status.SUBMITTED
        self.agency: Agency | None = None
        self.step = 0
        self.due_at: dt.datetime = at
        self.moved_at = at
        self.handed_at = at  # created_at of the disposition number ``step``
        self.version = 0
        self.stalled = False
        self.returned: set[int] = set()  # agencies that returned it as not their authority
        self.transfer_id: int | None = None  # the open transfer request
        self.suggested: Agency | None = None
        self.missed_by: Agency | None = None  # the last agency escalated away from
        self.response: tuple[int, Agency] | None = None  # the last answer and who gave it
        # The state after its last event (status, holder id, deadline): none before the first.
        self.state: tuple[str, int | None, dt.datetime | None] = ("", None, None)


class _Walker:
    """Writes, for each report, the rows the services would have written along its path."""

    def __init__(self, world: _World, rng: random.Random, ids: _Ids, now: dt.datetime) -> None:
        self.world = world
        self.rng = rng
        self.ids = ids
        self.now = now
        self.batch = _Batch()

    # -- rows, as the services write them --

    def _event(
        self,
        r: _Report,
        type: str,
        at: dt.datetime,
        *,
        agency: Agency | None = None,
        actor: int | None = None,
        is_public: bool = True,
        data: dict[str, Any] | None = None,
    ) -> None:
        payload = {"agency_id": agency.id, "agency_name": agency.name} if agency else {}
        if data:
            payload.update(data)
        # The states before and after the event, as ``ComplaintEvent.objects.record`` keeps
        # them: the state before is the previous event's state after.
        after = (r.status, r.agency.id if r.agency else None, r.due_at)
        (from_status, from_holder, from_due_at), r.state = r.state, after
        self.batch.events.append(
            (
                r.id,
                type,
                from_status,
                from_holder,
                from_due_at,
                *after,
                actor,
                is_public,
                payload,
                at,
            )
        )

    def _record(
        self,
        r: _Report,
        *,
        kind: str,
        event: str,
        to: Agency,
        source: Agency | None,
        status: str,
        due_at: dt.datetime,
        at: dt.datetime,
        rule: RoutingRule | None = None,
        actor: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> int:
        """``routing.services._record``: a disposition, the report's cached state, an event."""
        pk = self.ids.next("dispositions")
        r.step += 1
        self.batch.dispositions.append(
            (
                pk,
                r.id,
                r.step,
                kind,
                source.id if source else None,
                to.id,
                rule.id if rule else None,
                actor,
                at,
                due_at,
            )
        )
        r.agency, r.status, r.due_at, r.moved_at, r.handed_at = to, status, due_at, at, at
        r.version += 1
        payload = {"from_agency_id": source.id if source else None, "disposition": r.step}
        if data:
            payload.update(data)
        self._event(r, event, at, agency=to, actor=actor, data=payload)
        return pk

    def _officer(self, agency: Agency) -> int | None:
        return self.world.officers.get(agency.id)

    def submit(self, r: _Report) -> None:
        r.due_at = self.world.due(r.submitted_at, Step.VERIFICATION, r.kind)
        self._event(r, Event.SUBMITTED, r.submitted_at, data={"attachments": 0})

    def wait(self, r: _Report, holder: Agency, at: dt.datetime) -> None:
        """``_wait_for_verification``: no rule decides; no disposition, the deadline stays."""
        r.agency, r.status, r.moved_at = holder, Status.AWAITING_VERIFICATION, at
        r.version += 1
        self._event(r, Event.AWAITING_VERIFICATION, at, agency=holder)

    def dispose(self, r: _Report, to: Agency, at: dt.datetime) -> None:
        coordinator = r.agency
        assert coordinator is not None
        data = None
        if r.transfer_id is not None:
            data = {"transfers_decided": [self._decide_transfer(r, at)]}
        is_opd = to.level == Agency.Level.OPD
        self._record(
            r,
            kind=Disposition.Kind.DISPOSE,
            event=Event.DISPOSED if is_opd else Event.AWAITING_VERIFICATION,
            to=to,
            source=coordinator,
            status=Status.DISPOSED if is_opd else Status.AWAITING_VERIFICATION,
            due_at=self.world.due(at, Step.FIRST_RESPONSE if is_opd else Step.VERIFICATION, r.kind),
            at=at,
            actor=self._officer(coordinator),
            data=data,
        )

    def pass_up(self, r: _Report, at: dt.datetime) -> None:
        coordinator = r.agency
        assert coordinator is not None and coordinator.parent_id is not None
        self._record(
            r,
            kind=Disposition.Kind.PASS_UP,
            event=Event.PASSED_UP,
            to=self.world.agencies[coordinator.parent_id],
            source=coordinator,
            status=Status.AWAITING_VERIFICATION,
            due_at=self.world.due(at, Step.VERIFICATION, r.kind),
            at=at,
            actor=self._officer(coordinator),
            data={"reason": self.rng.choice(PASS_UP_REASONS)},
        )

    def archive(self, r: _Report, at: dt.datetime) -> None:
        coordinator = r.agency
        assert coordinator is not None
        r.status = Status.ARCHIVED
        r.version += 1
        if r.transfer_id is not None:
            self._decide_transfer(r, at)
        self._event(
            r,
            Event.ARCHIVED,
            at,
            agency=coordinator,
            actor=self._officer(coordinator),
            data={"reason": self.rng.choice(ARCHIVE_REASONS)},
        )

    def request_transfer(self, r: _Report, at: dt.datetime) -> None:
        agency = r.agency
        assert agency is not None and agency.parent_id is not None
        coordinator = self.world.agencies[agency.parent_id]
        others = [o for o in self.world.opds_below.get(coordinator.id, []) if o.id != agency.id]
        suggested = self.rng.choice(others) if others and self.rng.random() < 0.5 else None
        actor = self._officer(agency)
        pk = self.ids.next("transfers")
        self.batch.transfers.append(
            [
                pk,
                r.id,
                agency.id,
                self.rng.choice(TRANSFER_REASONS),
                suggested.id if suggested else None,
                actor,
                at,
                None,
            ]
        )
        r.transfer_id, r.suggested = pk, suggested
        r.returned.add(agency.id)
        self._record(
            r,
            kind=Disposition.Kind.RETURN,
            event=Event.TRANSFER_REQUESTED,
            to=coordinator,
            source=agency,
            status=Status.AWAITING_VERIFICATION,
            due_at=self.world.due(at, Step.VERIFICATION, r.kind),
            at=at,
            actor=actor,
            data={"returned_by": agency.name},
        )

    def _decide_transfer(self, r: _Report, at: dt.datetime) -> int:
        """Close the open transfer request (decided_at); returns its id."""
        # The open request is the last one written, by this report's walk, in this batch.
        row = self.batch.transfers[-1]
        assert row[0] == r.transfer_id
        row[7] = at
        r.transfer_id, r.suggested = None, None
        return int(row[0])

    def escalate(self, r: _Report, at: dt.datetime) -> None:
        """``escalate_complaint``: the breach on the current disposition, one level up."""
        holder = r.agency
        assert holder is not None and holder.parent_id is not None
        current = self.batch.dispositions[-1]
        assert current[1] == r.id and current[2] == r.step
        self.batch.breaches.append((current[0], r.id, holder.id, r.due_at, at))
        r.missed_by = holder
        self._record(
            r,
            kind=Disposition.Kind.ESCALATE,
            event=Event.ESCALATED,
            to=self.world.agencies[holder.parent_id],
            source=holder,
            status=Status.AWAITING_VERIFICATION,
            due_at=self.world.due(at, Step.VERIFICATION, r.kind),
            at=at,
            data={"missed_by": holder.name, "missed_due_at": r.due_at.isoformat()},
        )

    def acknowledge(self, r: _Report, at: dt.datetime) -> None:
        agency = r.agency
        assert agency is not None
        r.status = Status.IN_PROGRESS
        # _completion_due_at: counted from the hand-over to the agency that holds it.
        r.due_at = self.world.due(r.handed_at, Step.COMPLETION, r.kind)
        r.version += 1
        self._event(r, Event.ACKNOWLEDGED, at, agency=agency, actor=self._officer(agency))

    def respond(self, r: _Report, at: dt.datetime) -> None:
        agency = r.agency
        assert agency is not None
        actor = self._officer(agency)
        pk = self.ids.next("responses")
        # ``respond_to_complaint``'s facts: the first answer?, when the agency got the report
        # (its last hand-over there), the deadline in force before the answer.
        first = r.response is None
        self.batch.responses.append(
            (pk, r.id, agency.id, actor, self._answer(at), at, first, r.handed_at, r.due_at)
        )
        r.response = (pk, agency)
        r.status = Status.RESPONDED
        r.due_at = self.world.due(at, Step.CITIZEN_REPLY, r.kind)
        r.version += 1
        self._event(
            r,
            Event.RESPONDED,
            at,
            agency=agency,
            actor=actor,
            data={"response_id": pk, "attachments": 0},
        )

    def note(self, r: _Report, at: dt.datetime) -> None:
        agency = r.agency
        assert agency is not None
        self._event(
            r,
            Event.NOTE,
            at,
            agency=agency,
            actor=self._officer(agency),
            is_public=False,
            data={"text": self.rng.choice(NOTES)},
        )

    # -- the path --

    def walk(self, r: _Report) -> None:
        rng, now = self.rng, self.now
        self.submit(r)
        at = r.submitted_at
        hops, stop = self.world.route(r.category_id, r.regency_code)
        holder = self.world.national
        for target, rule in hops:
            at += dt.timedelta(seconds=rng.uniform(0.3, 6.0))  # one worker task per step
            if at >= now:
                return  # still being routed
            is_opd = target.level == Agency.Level.OPD
            self._record(
                r,
                kind=Disposition.Kind.ROUTE,
                event=Event.DISPOSED if is_opd else Event.ROUTED,
                to=target,
                source=holder,
                status=Status.DISPOSED if is_opd else Status.SUBMITTED,
                due_at=self.world.due(at, Step.FIRST_RESPONSE, r.kind) if is_opd else r.due_at,
                at=at,
                rule=rule,
            )
            holder = target
        if r.status == Status.SUBMITTED:
            at += dt.timedelta(seconds=rng.uniform(0.3, 6.0))
            if at >= now:
                return
            self.wait(r, stop, at)
        for _turn in range(MAX_ACTIONS):
            if r.status == Status.AWAITING_VERIFICATION:
                next_at = self._coordinator_turn(r, at)
            elif r.status in (Status.DISPOSED, Status.IN_PROGRESS):
                next_at = self._agency_turn(r, at)
            elif r.status == Status.RESPONDED:
                next_at = self._citizen_turn(r, at)
            else:
                return
            if next_at is None:
                return
            at = next_at

    def _soon(self, at: dt.datetime, mean_hours: float) -> dt.datetime:
        """When a holder acts on what it just received: hours or days later, in office hours."""
        return self._office_hours(at + dt.timedelta(hours=self.rng.expovariate(1 / mean_hours)))

    def _late(self, r: _Report) -> dt.datetime:
        """When a holder that misses its deadline acts: hours to days after it (days to weeks
        for a stalled report)."""
        mean_hours = 240 if r.stalled else 40
        return r.due_at + dt.timedelta(hours=self.rng.expovariate(1 / mean_hours))

    def _office_hours(self, at: dt.datetime) -> dt.datetime:
        local = at.astimezone(self.world.tz)
        if local.weekday() < 5 and 8 <= local.hour < 16:
            return at
        day = local.date() + dt.timedelta(days=1 if local.hour >= 16 or local.weekday() >= 5 else 0)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        opening = dt.datetime.combine(day, dt.time(8), tzinfo=self.world.tz)
        return opening + dt.timedelta(minutes=self.rng.uniform(0, 420))

    def _turn(self, r: _Report, at: dt.datetime, planned: dt.datetime) -> dt.datetime | None:
        """Whatever happens first after ``at``: the sweep escalates a holder that missed its
        deadline (unless the report is stalled or held at the top), or the holder acts. The
        time of the holder's action, or None when nothing more happens before now."""
        holder = r.agency
        assert holder is not None
        # Time only moves on (a stalled or top-level holder may act after its deadline passed).
        planned = max(planned, at + dt.timedelta(minutes=1))
        if planned > r.due_at and not r.stalled and holder.parent_id is not None:
            swept = r.due_at + dt.timedelta(
                seconds=self.rng.uniform(1, SWEEP_EVERY.total_seconds())
            )
            if swept >= self.now:
                return None
            swept = max(swept, at + dt.timedelta(seconds=1))
            self.escalate(r, swept)
            return swept
        if planned >= self.now:
            return None
        if self.rng.random() < P_NOTE:
            self.note(r, at + (planned - at) / 2)
        return planned

    def _coordinator_turn(self, r: _Report, at: dt.datetime) -> dt.datetime | None:
        rng = self.rng
        late = r.stalled or rng.random() < P_COORDINATOR_LATE
        planned = self._late(r) if late else self._soon(at, 14)
        step_before = r.step
        acted = self._turn(r, at, planned)
        if acted is None or r.step != step_before:
            return acted  # nothing before now, or escalated (its next turn starts then)
        coordinator = r.agency
        assert coordinator is not None
        candidates = [o for o in self._candidates(r, coordinator) if o.id not in r.returned]
        if rng.random() < P_ARCHIVE * (3 if not candidates else 1):
            self.archive(r, acted)
        elif coordinator.level == Agency.Level.NATIONAL and rng.random() < 0.5:
            self.dispose(r, self.world.province, acted)  # down into the province's queue
        elif not candidates:
            if coordinator.parent_id is None:
                self.archive(r, acted)
            else:
                self.pass_up(r, acted)
        else:
            self.dispose(r, self._pick(r, candidates), acted)
        return acted

    def _citizen_turn(self, r: _Report, at: dt.datetime) -> dt.datetime | None:
        """The citizen reads the answer: accepts it (and may rate it), disputes it, or says
        nothing and beat completes it once the reply window (``due_at``) has passed."""
        rng = self.rng
        assert r.response is not None
        response_id, answered_by = r.response
        reacted = at + dt.timedelta(hours=rng.expovariate(1 / 30))
        choice = rng.random()
        if choice < P_DISPUTE + P_ACCEPT and reacted < r.due_at:
            if reacted >= self.now:
                return None
            if choice < P_DISPUTE:
                self.dispute(r, response_id, answered_by, reacted)
                return reacted
            self.complete(r, Event.COMPLETED, answered_by, reacted)
            if rng.random() < P_RATE:
                rated = reacted + dt.timedelta(minutes=rng.uniform(1, 30))
                if rated < self.now:
                    self.rate(r, response_id, answered_by, rated)
            return None
        swept = r.due_at + dt.timedelta(seconds=rng.uniform(1, SWEEP_EVERY.total_seconds()))
        if swept < self.now:
            self.complete(r, Event.AUTO_COMPLETED, answered_by, swept)
        return None

    def complete(self, r: _Report, event: str, answered_by: Agency, at: dt.datetime) -> None:
        """``complaints.services._complete``: the deadline stays as it was."""
        r.status = Status.COMPLETED
        r.version += 1
        self._event(r, event, at, agency=answered_by)

    def rate(self, r: _Report, response_id: int, answered_by: Agency, at: dt.datetime) -> None:
        score = self.rng.choices((1, 2, 3, 4, 5), weights=(1, 1, 3, 5, 4))[0]
        self.batch.ratings.append((r.id, response_id, answered_by.id, score, "", at))
        self._event(
            r,
            Event.RATED,
            at,
            agency=answered_by,
            data={"score": score, "response_id": response_id},
        )

    def dispute(self, r: _Report, response_id: int, answered_by: Agency, at: dt.datetime) -> None:
        """``routing.services.dispute_answer``: to the coordinator above the agency that
        answered, IN_PROGRESS, counted against that agency."""
        reason = self.rng.choice(DISPUTE_REASONS)
        self.batch.disputes.append((r.id, response_id, answered_by.id, reason, at))
        parent = answered_by.parent_id
        coordinator = self.world.agencies[parent] if parent is not None else answered_by
        self._record(
            r,
            kind=Disposition.Kind.DISPUTE,
            event=Event.DISPUTED,
            to=coordinator,
            source=r.agency,
            status=Status.IN_PROGRESS,
            due_at=self.world.due(at, Step.VERIFICATION, r.kind),
            at=at,
            data={"reason": reason, "disputed_agency": answered_by.name},
        )

    def _candidates(self, r: _Report, coordinator: Agency) -> list[Agency]:
        """The OPDs a coordinator would hand this report to: its own, and those of the
        report's regency/city below it."""
        own = self.world.opds_below.get(coordinator.id, [])
        if coordinator.level == Agency.Level.REGENCY:
            return own
        city = routing_selectors.get_coordinator(Agency.Level.REGENCY, r.regency_code)
        return own + (self.world.opds_below.get(city.id, []) if city is not None else [])

    def _pick(self, r: _Report, candidates: Sequence[Agency]) -> Agency:
        rng = self.rng
        ids = {c.id for c in candidates}
        for preferred, chance in (
            (r.suggested, 0.7),
            (r.missed_by, 0.6),
            (self.world.rule_agency(r.category_id, r.regency_code), 0.6),
        ):
            if preferred is not None and preferred.id in ids and rng.random() < chance:
                return preferred
        return rng.choice(candidates)

    def _agency_turn(self, r: _Report, at: dt.datetime) -> dt.datetime | None:
        rng = self.rng
        if r.stalled or rng.random() < P_AGENCY_LATE:
            planned = self._late(r)
        elif r.status == Status.DISPOSED:
            planned = self._soon(at, 18)
        else:  # IN_PROGRESS: somewhere before the completion deadline
            planned = self._office_hours(at + (r.due_at - at) * rng.uniform(0.05, 0.9))
        step_before = r.step
        acted = self._turn(r, at, planned)
        if acted is None or r.step != step_before:
            return acted
        agency = r.agency
        assert agency is not None
        r.missed_by = None
        if r.status == Status.IN_PROGRESS:
            self.respond(r, acted)
        elif rng.random() < P_TRANSFER and agency.parent_id is not None:
            self.request_transfer(r, acted)
        elif rng.random() < P_ANSWER_WITHOUT_ACKNOWLEDGING:
            self.respond(r, acted)
        else:
            self.acknowledge(r, acted)
        return acted

    # -- texts --

    def _answer(self, at: dt.datetime) -> str:
        rng = self.rng
        day = at.astimezone(self.world.tz).strftime("%d/%m/%Y")
        return rng.choice(ANSWERS).format(date=day, action=rng.choice(ANSWER_ACTIONS))


# --- texts and people -------------------------------------------------------------------------


def _fill(template: str, rng: random.Random, slots: dict[str, str]) -> str:
    return template.format(n=rng.randint(2, 12), **slots)


def _report_texts(
    rng: random.Random, kind: str, category_code: str, place: _Place
) -> tuple[str, str]:
    """A title and a description in Indonesian for a report of this kind and category."""
    objects, problems, proposals, topics, details = TOPICS.get(category_code, _GENERIC_TOPIC)
    slots = {"street": rng.choice(STREETS), "area": place.name}
    slots["obj"] = _fill(rng.choice(objects), rng, slots)
    slots["problem"] = rng.choice(problems)
    slots["proposal"] = rng.choice(proposals)
    slots["topic"] = rng.choice(topics)
    if kind == Complaint.Kind.ASPIRATION:
        title = rng.choice(("Usulan {proposal} di {area}", "Mohon {proposal} untuk warga {area}"))
        opener = rng.choice(ASPIRATION_OPENERS)
    elif kind == Complaint.Kind.INFORMATION_REQUEST:
        title = rng.choice(("Permintaan informasi {topic}", "Mohon informasi {topic} di {area}"))
        opener = rng.choice(INFORMATION_OPENERS)
    else:
        title = rng.choice(
            ("{Problem} di {obj}", "Keluhan {problem} di {area}", "{obj}: {problem}")
        )
        opener = rng.choice(OPENERS)
    slots["Problem"] = slots["problem"][0].upper() + slots["problem"][1:]
    title = _fill(title, rng, slots)
    title = title[0].upper() + title[1:]
    if len(title) > TITLE_MAX_LENGTH:
        title = title[: TITLE_MAX_LENGTH - 1].rstrip() + "…"
    # Most reports are a short paragraph; a few are long letters.
    count = rng.randint(1, 4) if rng.random() < 0.97 else rng.randint(10, 30)
    sentences = [_fill(opener, rng, slots)]
    sentences += [_fill(rng.choice(details), rng, slots) for _ in range(count)]
    if rng.random() < 0.7:
        sentences.append(rng.choice(IMPACTS))
    sentences.append(rng.choice(REQUESTS))
    sentences.append(rng.choice(CLOSINGS))
    description = " ".join(s for s in sentences if s)
    if len(description) > DESCRIPTION_MAX_LENGTH:
        description = description[:DESCRIPTION_MAX_LENGTH].rsplit(". ", 1)[0] + "."
    return title, description


def _reporter_row(rng: random.Random, complaint_id: int, anonymous: bool) -> tuple[Any, ...]:
    """A made-up reporter: a name most of the time, an e-mail at example.com/.net/.org often,
    an address from the documentation ranges (RFC 5737), never a phone number."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    has_name = rng.random() < (0.5 if anonymous else 0.95)
    has_email = rng.random() < (0.4 if anonymous else 0.6)
    name = f"{first} {last}" if has_name else ""
    email = (
        f"{first}.{last}{rng.randint(1, 999)}@{rng.choice(EMAIL_DOMAINS)}".lower()
        if has_email
        else ""
    )
    net = rng.choice(("192.0.2", "198.51.100", "203.0.113"))
    return (complaint_id, name, email, "", f"{net}.{rng.randint(1, 254)}")


# --- ids and writing ---------------------------------------------------------------------------


class _Ids:
    """Ids for the rows the generator must refer to before they are written: from the table's
    sequence on PostgreSQL (a chunk at a time, so nothing else can take them), after the
    largest id elsewhere."""

    CHUNK = 20_000

    def __init__(self) -> None:
        self._free: dict[str, Iterator[int]] = {}
        self._next_sqlite: dict[str, int] = {}

    def next(self, table: str) -> int:
        found = next(self._free.setdefault(table, iter(())), None)
        if found is None:
            self._free[table] = iter(self.take(table, self.CHUNK))
            found = next(self._free[table])
        return found

    def take(self, table: str, count: int) -> list[int]:
        model = COLUMNS[table][0]
        db_table = model._meta.db_table
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [db_table, count],
                )
                return [row[0] for row in cursor.fetchall()]
        if table not in self._next_sqlite:
            self._next_sqlite[table] = (model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1
        start = self._next_sqlite[table]
        self._next_sqlite[table] = start + count
        return list(range(start, start + count))


def _write(batch: _Batch) -> None:
    """One batch in one transaction (a savepoint inside a caller's transaction)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _copy(batch)
        else:
            _bulk_create(batch)


class _Writer:
    """Writes batches as they come. On PostgreSQL, outside a caller's transaction, in a thread
    with its own connection: the next batch is generated while the database takes the last one
    (the COPY, the indexes, the foreign-key checks at commit): about 15% faster on two cores,
    where the database's side is the larger. Inside a caller's transaction everything must go through the caller's connection,
    so batches are written in line."""

    def __init__(self, progress: Callable[[int], None] | None) -> None:
        self.progress = progress
        self.threaded = connection.vendor == "postgresql" and not connection.in_atomic_block
        self.error: BaseException | None = None
        if self.threaded:
            # One batch waiting at most: memory stays at two batches.
            self.queue: queue.Queue[_Batch | None] = queue.Queue(maxsize=1)
            self.thread = threading.Thread(target=self._run, name="generate-writer", daemon=True)
            self.thread.start()

    def put(self, batch: _Batch) -> None:
        if not self.threaded:
            _write(batch)
            self._done(batch)
            return
        while not self._offer(batch):
            if self.error is not None:
                raise self.error

    def close(self) -> None:
        """Wait for the batches handed over; raises what the writer raised."""
        if self.threaded:
            while self.thread.is_alive() and not self._offer(None):
                pass
            self.thread.join()
        if self.error is not None:
            raise self.error

    def _offer(self, batch: _Batch | None) -> bool:
        # With a timeout, so that a writer that died cannot leave this thread waiting.
        try:
            self.queue.put(batch, timeout=0.5)
        except queue.Full:
            return False
        return True

    def _run(self) -> None:
        try:
            while (batch := self.queue.get()) is not None:
                _write(batch)
                self._done(batch)
        except BaseException as exc:  # handed to the generating thread, which raises it
            self.error = exc
        finally:
            connection.close()  # this thread's own connection

    def _done(self, batch: _Batch) -> None:
        if self.progress is not None:
            self.progress(len(batch.complaints))


def _copy(batch: _Batch) -> None:
    connection.ensure_connection()
    pg = connection.connection
    for name, (model, columns) in COLUMNS.items():
        rows = getattr(batch, name)
        if not rows:
            continue
        json_at = JSON_COLUMNS.get(name)
        statement = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
        with pg.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                if json_at is not None:
                    row = (*row[:json_at], json.dumps(row[json_at]), *row[json_at + 1 :])
                copy.write_row(row)


def _bulk_create(batch: _Batch) -> None:
    for name, (model, columns) in COLUMNS.items():
        rows = getattr(batch, name)
        model._default_manager.bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=500
        )


# --- the entry point ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GenerationResult:
    count: int
    seed: int
    statuses: dict[str, int]
    rows: dict[str, int]


def _submission_times(rng: random.Random, count: int) -> Iterator[float]:
    """Fractions of SPAN_DAYS before ``now``, oldest first, more recent ones denser (the
    service grows): order statistics drawn from the top down, then mapped through the inverse
    of the density 1 + x (x: 0 two years ago, 1 now)."""
    top = 1.0
    for remaining in range(count, 0, -1):
        top *= rng.random() ** (1.0 / remaining)
        u = 1.0 - top  # ascending
        x = -1.0 + math.sqrt(1.0 + 3.0 * u)
        yield 1.0 - x


def generate_complaints(
    *,
    count: int,
    now: dt.datetime,
    seed: int,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> GenerationResult:
    """Write ``count`` synthetic reports over the demo hierarchy, submitted over the two years
    before ``now`` and walked up to ``now`` (module docstring). Appends to what is there; each
    batch of ``batch_size`` reports is one transaction. ``progress`` is called with the number
    of reports written after each batch.

    :raises SyntheticDataError: when the demo hierarchy is missing.
    """
    world = _World()
    # Reproducible from the seed, so not a secrets-grade generator; nothing here is a secret.
    rng = random.Random(seed)  # noqa: S311
    # Tracking numbers from their own stream: a redraw after a clash changes nothing else.
    numbers_rng = random.Random(seed ^ 0x5EED)  # noqa: S311
    ids = _Ids()
    writer = _Writer(progress)
    statuses: Counter[str] = Counter()
    rows: Counter[str] = Counter()
    ages = _submission_times(rng, count)
    seen: set[str] = set()
    local_now = now.astimezone(world.tz)
    done = 0
    try:
        while done < count:
            size = min(batch_size, count - done)
            walker = _Walker(world, rng, ids, now)
            complaint_ids = ids.take("complaints", size)
            numbers = _tracking_numbers(numbers_rng, size, seen)
            for pk, number, age in zip(complaint_ids, numbers, ages, strict=False):
                r = _new_report(world, rng, pk, age, local_now, now)
                walker.walk(r)
                anonymous = rng.random() < P_ANONYMOUS
                walker.batch.complaints.append(_complaint_row(world, rng, r, number, anonymous))
                walker.batch.reporters.append(_reporter_row(rng, pk, anonymous))
                statuses[r.status] += 1
            for name in COLUMNS:
                rows[name] += len(getattr(walker.batch, name))
            writer.put(walker.batch)
            done += size
    finally:
        writer.close()
    return GenerationResult(count=count, seed=seed, statuses=dict(statuses), rows=dict(rows))


def _new_report(
    world: _World, rng: random.Random, pk: int, age: float, local_now: dt.datetime, now: dt.datetime
) -> _Report:
    """A report submitted ``age`` (a fraction of SPAN_DAYS) before ``now``, not yet walked."""
    kind = rng.choices(KIND_WEIGHTS_KINDS, cum_weights=KIND_CUM)[0]
    category = rng.choices(world.categories, cum_weights=world.category_cum)[0]
    regency, districts = rng.choices(world.regencies, cum_weights=world.regency_cum)[0]
    place = rng.choice(districts) if districts and rng.random() < 0.65 else regency
    day = local_now.date() - dt.timedelta(days=int(age * SPAN_DAYS))
    if day.weekday() >= 5 and rng.random() < 0.4:  # fewer reports at weekends
        day -= dt.timedelta(days=day.weekday() - 4)
    hour = rng.choices(range(24), cum_weights=HOUR_CUM)[0]
    local = dt.datetime.combine(day, dt.time(hour), tzinfo=world.tz) + dt.timedelta(
        seconds=rng.uniform(0, 3600)
    )
    if local >= now:
        local -= dt.timedelta(days=1)
    report = _Report(pk, kind, category.id, place, local.astimezone(dt.UTC))
    report.stalled = rng.random() < P_STALLED
    return report


def _complaint_row(
    world: _World, rng: random.Random, r: _Report, number: str, anonymous: bool
) -> tuple[Any, ...]:
    """The report's row, in ``COLUMNS["complaints"]`` order, with its state after the walk."""
    title, description = _report_texts(rng, r.kind, world.category_codes[r.category_id], r.region)
    # Nobody holds the key: the private link of a synthetic report opens for no one.
    key = base64.urlsafe_b64encode(rng.randbytes(32)).decode().rstrip("=")
    local_day = r.submitted_at.astimezone(world.tz).date()
    incident = local_day - dt.timedelta(days=rng.randint(0, 20))
    confidential = rng.random() < P_CONFIDENTIAL
    language = "en" if rng.random() < 0.03 else "id"
    agency_id = r.agency.id if r.agency else None
    return (
        r.id, number, hash_access_key(key), r.kind, title, description, r.category_id,
        r.region.code, incident, anonymous, confidential, False, r.status, language,
        r.submitted_at, r.due_at, agency_id, r.step, r.moved_at, r.version, 0,
    )  # fmt: skip


def _tracking_numbers(rng: random.Random, count: int, seen: set[str]) -> list[str]:
    """``count`` numbers in the format of ``lapor.lib.tracking.new_tracking_number``, drawn from
    the seed, unique among themselves, this run and the reports already in the database."""
    numbers: list[str] = []
    while len(numbers) < count:
        wanted = count - len(numbers)
        drawn = []
        for _ in range(wanted):
            raw = "".join(rng.choices(ALPHABET, k=8))
            number = f"{raw[:4]}-{raw[4:]}"
            if number not in seen:
                seen.add(number)
                drawn.append(number)
        taken: set[str] = set()
        for start in range(0, len(drawn), 1000):  # within SQLite's limit of query parameters
            taken.update(
                Complaint.objects.filter(
                    tracking_number__in=drawn[start : start + 1000]
                ).values_list("tracking_number", flat=True)
            )
        numbers += [n for n in drawn if n not in taken]
    return numbers
