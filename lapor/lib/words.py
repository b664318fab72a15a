"""The words of a report's title or text, as two reports of one problem share them.

Citizens describe one broken bridge in many ways: "Jembatan retak di Jalan Juanda", "jembatan
jl. juanda retaknya makin parah", "JEMBATAN RETAK!!". Two texts are compared by the set of their
*words*: lower case, accents and marks dropped (``region_names.fold``), the words that say
nothing about the problem dropped (``STOPWORDS``: "di", "yang", "mohon", "jl"…), and each word
cut to a light stem (``stem``), so that "retaknya" meets "retak" and "berlubang" meets
"lubang". A real Indonesian stemmer (Nazief-Adriani) would do more; this one does only what
is safe without a dictionary, and it is applied to both sides alike, so a word it cuts oddly
still meets itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from lapor.lib.region_names import fold

# Function words, greetings and words every report has, in Indonesian (and a few in English):
# sharing them says nothing about being the same problem.
STOPWORDS = frozenset(
    """
    ada adalah agar akan akibat aku anda antara apa atas atau bagi bahwa banyak bapak baru
    beberapa belum berikut bersama bisa bu buat dalam dan dapat dari daripada dekat demi dengan
    depan di dia ia ibu ini itu jadi jika jl jln juga kalau kami kamu karena ke kembali kemudian
    kepada ketika kita lagi lain lalu laporan lapor keluhan masih mau melalui mengenai menjadi
    mereka mohon namun nya oleh pada para pak per pula saat saja sama sampai sangat saya sebagai
    secara sedang sejak selalu seperti sering serta setelah setiap sudah supaya tanpa tapi
    telah tentang terhadap tersebut tetapi tidak tolong untuk warga yaitu yang yth
    a an and are at by for from in is it not of on or the to was with
    """.split()
)
# Affixes cut when a stem of at least ``MIN_STEM`` letters is left: particles and the
# possessive after the word, the commonest verb prefixes before it.
SUFFIXES = ("nya", "lah", "kah", "pun")
PREFIXES = ("ber", "ter", "di")
MIN_STEM = 4


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """``word`` without one particle or possessive at its end and one prefix at its start,
    each cut only when ``MIN_STEM`` letters remain: "lubangnya" → "lubang", "berlubang" →
    "lubang", "diperbaiki" → "perbaiki", "dinas" → "dinas"."""
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            word = word[: -len(suffix)]
            break
    for prefix in PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= MIN_STEM:
            return word[len(prefix) :]
    return word


def words(text: str) -> frozenset[str]:
    """The stems of the words of ``text`` that can say what a report is about: not the
    stopwords, not single letters (numbers are kept: "SD Negeri 12")."""
    return frozenset(
        stem(word)
        for word in fold(text).split()
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit())
    )


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    """How alike two sets of words are, from 0 (none shared) to 1 (the same): twice the
    shared words over the words of both (Sørensen-Dice)."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def coverage(query: frozenset[str], text: frozenset[str]) -> float:
    """The share of ``query``'s words that ``text`` has, from 0 to 1: for a long text, which
    holds many words the query has no reason to."""
    if not query:
        return 0.0
    return len(query & text) / len(query)


def prefix_terms(stems: Iterable[str]) -> list[str]:
    """What a word of another text begins with when its stem is one of ``stems``: each stem,
    and each stem behind the prefixes ``stem`` cuts ("lubang": lubang…, berlubang…,
    terlubang…, dilubang…). A full-text search by these prefixes finds the texts that share a
    word with the query as ``words`` sees them (where the database splits words as ``fold``
    does). Sorted, so that one query is always spelt the same way."""
    terms: set[str] = set()
    for word in stems:
        terms.add(word)
        if len(word) >= MIN_STEM:
            terms.update(prefix + word for prefix in PREFIXES)
    return sorted(terms)
