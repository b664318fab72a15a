from __future__ import annotations

from lapor.lib.tracking import (
    ALPHABET,
    TRACKING_NUMBER_RE,
    access_key_matches,
    hash_access_key,
    new_access_key,
    new_tracking_number,
    normalize_tracking_number,
)


class TestTrackingNumber:
    def test_shape_and_alphabet(self) -> None:
        numbers = {new_tracking_number() for _ in range(2000)}
        assert len(numbers) == 2000
        for number in numbers:
            assert TRACKING_NUMBER_RE.match(number)
        assert not set("01ILOU") & set(ALPHABET)

    def test_normalize_accepts_what_people_type(self) -> None:
        assert normalize_tracking_number(" k7m2 9qxa h3rt ") == "K7M2-9QXA-H3RT"
        assert normalize_tracking_number("k7m2-9qxa-h3rt") == "K7M2-9QXA-H3RT"
        assert normalize_tracking_number("K7M29QXAH3RT") == "K7M2-9QXA-H3RT"

    def test_normalize_rejects_what_cannot_be_one(self) -> None:
        for text in [
            "",
            "K7M2-9QXA",  # too short
            "K7M2-9QXA-H3R",
            "K7M2-9QXA-H3RTT",
            "K7M2-9Q0A-H3RT",
            "<script>",
            "K7M2\x009QXA-H3RT",
        ]:
            assert normalize_tracking_number(text) is None


class TestAccessKey:
    def test_only_the_right_key_matches(self) -> None:
        key = new_access_key()
        stored = hash_access_key(key)
        assert len(key) >= 43 and key not in stored
        assert access_key_matches(key, stored)
        assert not access_key_matches(new_access_key(), stored)
        assert not access_key_matches(key[:-1], stored)
