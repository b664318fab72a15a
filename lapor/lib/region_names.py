"""Region names as people type them.

Kemendagri writes "Kota Balikpapan", "Kabupaten Toli-Toli", "Daerah Khusus Ibukota Jakarta",
"Kabupaten Kep. Siau Tagulandang Biaro"; people type "balikpapan", "kab. tolitoli", "DKI Jakarta",
"Kepulauan Siau". A name and what was typed are compared by their *key*: lower case, accents
and apostrophes dropped (keyboards differ on "Sa'dan"), every other mark and every space
dropped too ("Toli-Toli", "toli toli" and "tolitoli" are one key). A region is known by several
keys: its name, its name without "Kota"/"Kabupaten", with "Kab."/"Provinsi"/"Kecamatan" in
front, with "Kep." spelt out, and so on (``name_keys``).
"""

from __future__ import annotations

import re
import unicodedata

# Marks that join the parts of one word: dropped, not turned into a space.
_JOINERS = frozenset("'’‘`´")

# Abbreviations in Kemendagri's names and their long forms, both ways.
_ABBREVIATIONS = {"kep": "kepulauan", "gn": "gunung", "adm": "administrasi"}

# Words people put before a name to say which level they mean.
PROVINCE_WORDS = ("provinsi", "propinsi", "prov")
REGENCY_WORDS = ("kabupaten", "kab")
CITY_WORDS = ("kota",)
DISTRICT_WORDS = ("kecamatan", "kec", "distrik")

# What people call provinces for short, by their names as Kemendagri writes them.
PROVINCE_SHORT_NAMES = {
    "sumatera utara": ("sumut",),
    "sumatera barat": ("sumbar",),
    "sumatera selatan": ("sumsel",),
    "kepulauan bangka belitung": ("babel", "bangka belitung"),
    "kepulauan riau": ("kepri",),
    "jawa barat": ("jabar",),
    "jawa tengah": ("jateng",),
    "jawa timur": ("jatim",),
    "daerah istimewa yogyakarta": ("jogja", "yogya", "jogjakarta"),
    "nusa tenggara barat": ("ntb",),
    "nusa tenggara timur": ("ntt",),
    "kalimantan barat": ("kalbar",),
    "kalimantan tengah": ("kalteng",),
    "kalimantan selatan": ("kalsel",),
    "kalimantan timur": ("kaltim",),
    "kalimantan utara": ("kaltara",),
    "sulawesi utara": ("sulut",),
    "sulawesi tengah": ("sulteng",),
    "sulawesi selatan": ("sulsel",),
    "sulawesi tenggara": ("sultra",),
    "sulawesi barat": ("sulbar",),
    "maluku utara": ("malut",),
}

# A Kemendagri code, whole or cut short: 64, 64.72, 64.72.01, 64.72.01.1001 (a trailing dot
# allowed, as older links have it).
CODE = re.compile(r"[0-9]+(\.[0-9]+)*\.?")


# The same for plain ASCII (nearly every name, and most typing), without decomposing it.
_ASCII_FOLD = str.maketrans(
    {chr(c): None if chr(c) in _JOINERS else " " for c in range(128) if not chr(c).isalnum()}
)


def fold(text: str) -> str:
    """Lower case, without accents or apostrophes, every other mark a space, spaces single."""
    if text.isascii():
        return " ".join(text.lower().translate(_ASCII_FOLD).split())
    kept: list[str] = []
    for char in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(char) or char in _JOINERS:
            continue
        kept.append(char.lower() if char.isalnum() else " ")
    return " ".join("".join(kept).split())


def key(text: str) -> str:
    """What two spellings of one name share (``fold`` without any space)."""
    return fold(text).replace(" ", "")


def looks_like_code(text: str) -> bool:
    return CODE.fullmatch(text.strip()) is not None


_ABBREVIATED = frozenset(_ABBREVIATIONS) | frozenset(_ABBREVIATIONS.values())


def _spellings(words: list[str]) -> set[str]:
    """The name's words, and the same with each abbreviation spelt out or shortened."""
    found = {" ".join(words)}
    if _ABBREVIATED.isdisjoint(words):
        return found
    for short, long in _ABBREVIATIONS.items():
        for spelling in list(found):
            parts = spelling.split(" ")
            found.add(" ".join(long if part == short else part for part in parts))
            found.add(" ".join(short if part == long else part for part in parts))
    return found


def core_name(folded: str, level: int) -> str:
    """A regency's or city's ``fold``-ed name without "Kota"/"Kabupaten" (and "Administrasi"),
    a special province's without "Daerah Khusus Ibukota"/"Daerah Istimewa"; other names as
    they are."""
    words = folded.split(" ")
    if level == 2 and words[0] in ("kota", "kabupaten"):
        words = words[1:]
        if words[:1] == ["administrasi"]:
            words = words[1:]
    if level == 1 and words[:1] == ["daerah"]:
        words = [w for w in words if w not in ("daerah", "khusus", "ibukota", "istimewa")]
    return " ".join(words)


def name_keys(name: str, level: int) -> set[str]:
    """Every key a region of this ``name`` at this ``level`` (1 province, 2 regency/city,
    3 district) is found by."""
    folded = fold(name)
    core = core_name(folded, level)
    names = {folded, core}
    if level == 1:
        words = folded.split(" ")
        if words[0] == "daerah":
            initials = "".join(
                w[0] for w in words if w in ("daerah", "khusus", "ibukota", "istimewa")
            )
            names |= {f"{initials} {core}", "".join(w[0] for w in words)}  # DKI Jakarta, DIY
        names |= set(PROVINCE_SHORT_NAMES.get(folded, ()))
        names |= {f"{word} {known}" for word in PROVINCE_WORDS for known in list(names)}
    elif level == 2:
        kind = folded.split(" ")[0]
        said = CITY_WORDS if kind == "kota" else REGENCY_WORDS if kind == "kabupaten" else ()
        names |= {f"{word} {core}" for word in said}
    elif level == 3:
        names |= {f"{word} {folded}" for word in DISTRICT_WORDS}
    spelt: set[str] = set().union(*(_spellings(n.split(" ")) for n in names))
    return {n.replace(" ", "") for n in spelt if n}


def search_texts(name: str, level: int) -> tuple[str, ...]:
    """What the suggestions as one types compare with: the folded name, and its core."""
    folded = fold(name)
    core = core_name(folded, level)
    return (folded,) if core == folded else (folded, core)
