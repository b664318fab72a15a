"""Words for synthetic reports: Indonesian texts built from word lists, made-up people (names,
e-mail addresses at example.com/.net/.org, addresses from the documentation ranges; never a
phone number), and the reasons and answers officers give."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from complaints.models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, Complaint


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    regency_code: str


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
# fmt: on


# --- texts and people -------------------------------------------------------------------------


def fill(template: str, rng: random.Random, slots: dict[str, str]) -> str:
    return template.format(n=rng.randint(2, 12), **slots)


def report_texts(
    rng: random.Random, kind: str, category_code: str, place: Place
) -> tuple[str, str]:
    """A title and a description in Indonesian for a report of this kind and category."""
    objects, problems, proposals, topics, details = TOPICS.get(category_code, _GENERIC_TOPIC)
    slots = {"street": rng.choice(STREETS), "area": place.name}
    slots["obj"] = fill(rng.choice(objects), rng, slots)
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
    title = fill(title, rng, slots)
    title = title[0].upper() + title[1:]
    if len(title) > TITLE_MAX_LENGTH:
        title = title[: TITLE_MAX_LENGTH - 1].rstrip() + "…"
    # Most reports are a short paragraph; a few are long letters.
    count = rng.randint(1, 4) if rng.random() < 0.97 else rng.randint(10, 30)
    sentences = [fill(opener, rng, slots)]
    sentences += [fill(rng.choice(details), rng, slots) for _ in range(count)]
    if rng.random() < 0.7:
        sentences.append(rng.choice(IMPACTS))
    sentences.append(rng.choice(REQUESTS))
    sentences.append(rng.choice(CLOSINGS))
    description = " ".join(s for s in sentences if s)
    if len(description) > DESCRIPTION_MAX_LENGTH:
        description = description[:DESCRIPTION_MAX_LENGTH].rsplit(". ", 1)[0] + "."
    return title, description


def reporter_row(rng: random.Random, complaint_id: int, anonymous: bool) -> tuple[Any, ...]:
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
