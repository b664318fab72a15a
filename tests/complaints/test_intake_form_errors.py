"""The report form through HTTP when it comes back with errors: every error in one round, the
summary at the top, and the files that passed held for the next round
(``complaints.held_uploads``)."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core import signing
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from django.test import Client
from PIL import Image

from complaints import held_uploads
from complaints.models import Attachment, Complaint
from complaints.tasks import delete_stale_held_uploads_task
from tests.files import files_in, phone_jpeg, png, sentinels_in, word_processor_pdf
from tests.helpers import NOW, form_data, in_indonesian

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("regions", "categories")]

PHOTO = "foto1.jpg"
# The end of the message for a file that failed its checks (after what is wrong with it).
NOT_ATTACHED = in_indonesian(
    "%(problem)s It was not attached: choose another file, or this one again once fixed.",
    problem="",
).strip()


@pytest.fixture(autouse=True)
def _clock() -> Iterator[time_machine.Traveller]:
    """The form's moments are fixed; a test moves the clock on with ``clock.shift``."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def photo(name: str = PHOTO) -> SimpleUploadedFile:
    """A phone's photo: EXIF with GPS, owner and maker note, XMP, an ICC profile, a comment."""
    return SimpleUploadedFile(name, phone_jpeg(), "image/jpeg")


def tokens_of(response: Any) -> list[str]:
    return re.findall(
        r'<input type="hidden" name="held" value="([^"]+)">', response.content.decode()
    )


def held_files(media_root: Path) -> list[Path]:
    return [p for p in files_in(media_root) if p.parent.name == held_uploads.HELD_DIR]


class _Ids(HTMLParser):
    """The ids of a page, the ids its ``aria-describedby`` name, and its summary's links."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.described: list[str] = []
        self.links: list[str] = []
        self._summary_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        self.described += str(values.get("aria-describedby") or "").split()
        if "data-error-summary" in values:
            self._summary_depth = 1
        elif self._summary_depth and tag not in ("input", "br"):
            self._summary_depth += 1
            if tag == "a" and str(values.get("href", "")).startswith("#"):
                self.links.append(str(values["href"])[1:])

    def handle_endtag(self, tag: str) -> None:
        if self._summary_depth:
            self._summary_depth -= 1


def page_ids(response: Any) -> _Ids:
    parser = _Ids()
    parser.feed(response.content.decode())
    return parser


def messages_of(response: Any, field: str) -> list[str]:
    return [str(m) for m in response.context["form"].errors.get(field, [])]


class TestEveryErrorInOneRound:
    def test_missing_title_and_bad_file_are_reported_together(
        self, client: Client, media_root: Path
    ) -> None:
        fake = SimpleUploadedFile("foto-jalan.jpg", b"this is no picture at all", "image/jpeg")
        response = client.post("/lapor/", form_data(title="", attachments=[fake]))

        assert response.status_code == 400
        errors = response.context["form"].errors
        assert set(errors) == {"title", "attachments"}
        (problem,) = messages_of(response, "attachments")
        # It names the file, says what is wrong (lapor.lib.uploads) and what to do.
        assert problem.startswith("“foto-jalan.jpg”")
        assert problem.endswith(NOT_ATTACHED)
        # The summary at the top names both, each linked to its field.
        parsed = page_ids(response)
        assert parsed.links == ["id_title", "id_attachments"]
        html = response.content.decode()
        assert html.index("data-error-summary") < html.index('id="report-form"')
        # A file that failed is not held: nothing is left behind.
        assert files_in(media_root) == []
        assert tokens_of(response) == []
        assert not Complaint.objects.exists()

    def test_the_service_checks_run_with_the_form_in_the_same_round(
        self, client: Client, settings: Any, media_root: Path
    ) -> None:
        settings.LAPOR_MAX_ATTACHMENT_BYTES = 100
        response = client.post(
            "/lapor/",
            form_data(
                title="Pendek",
                description="Terlalu singkat",
                reporter_phone="999",
                incident_date=(NOW.date() + dt.timedelta(days=2)).isoformat(),
                attachments=[SimpleUploadedFile("besar.png", png((256, 256)), "image/png")],
            ),
        )
        assert response.status_code == 400
        assert set(response.context["form"].errors) == {
            "title",
            "description",
            "reporter_phone",
            "incident_date",
            "attachments",
        }
        assert messages_of(response, "incident_date") == [
            in_indonesian("The date of the event cannot be in the future.")
        ]
        assert messages_of(response, "reporter_phone") == [
            in_indonesian("Enter an Indonesian phone number, for example 0812 3456 7890.")
        ]
        assert "besar.png" in messages_of(response, "attachments")[0]
        assert files_in(media_root) == [] and not Complaint.objects.exists()

    def test_the_browser_is_told_the_same_limits(self, client: Client, settings: Any) -> None:
        settings.LAPOR_MAX_ATTACHMENTS = 3
        settings.LAPOR_MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024
        html = client.get("/lapor/").content.decode()
        field = re.search(r"<input type=\"file\"[^>]*>", html)
        assert field is not None
        tag = field.group(0)
        assert 'data-max-files="3"' in tag and f'data-max-bytes="{2 * 1024 * 1024}"' in tag
        assert 'accept=".jpg,.jpeg,.png,.webp,.heic,.heif,.pdf"' in tag
        assert in_indonesian("At most %(max)d files can be attached.", max=3) in tag
        assert "{name}" in tag  # report-form.js puts the file's name there
        title = re.search(r"<input type=\"text\" name=\"title\"[^>]*>", html)
        assert title is not None
        assert "required" in title.group(0) and 'maxlength="150"' in title.group(0)
        assert 'minlength="10"' in title.group(0)

    def test_selects_keep_the_chosen_place_and_their_options(self, client: Client) -> None:
        response = client.post("/lapor/", form_data(title=""))
        html = response.content.decode()
        assert response.status_code == 400
        assert '<option value="64" selected>' in html
        assert '<option value="64.72" selected>Kota Samarinda</option>' in html
        assert re.search(r'<option value="64\.72\.01" selected>[^<]+</option>', html)
        # The other regencies of the province and districts of the city are offered too.
        assert '<option value="64.71">' in html
        assert re.search(r'<option value="64\.72\.02">', html)
        # Text typed is kept.
        assert "Lubang besar di jalan depan Pasar Segiri" in html

    @pytest.mark.parametrize(
        "overrides",
        [
            {},
            {"title": "", "kind": "", "is_anonymous": "on"},
            {"title": "", "attachments": [photo()]},
        ],
        ids=["empty-form", "errors", "held-file"],
    )
    def test_every_described_by_and_summary_link_names_an_element_of_the_page(
        self, client: Client, overrides: dict[str, Any]
    ) -> None:
        response = (
            client.post("/lapor/", form_data(**overrides)) if overrides else client.get("/lapor/")
        )
        parsed = page_ids(response)
        assert parsed.described, "no aria-describedby at all"
        assert set(parsed.described) <= parsed.ids, set(parsed.described) - parsed.ids
        assert set(parsed.links) <= parsed.ids
        if overrides:
            assert parsed.links
        html = response.content.decode()
        # The hand-drawn parts: the group of kinds and the two privacy check boxes.
        assert 'aria-describedby="id_is_anonymous_helptext"' in html
        assert 'aria-describedby="id_is_confidential_helptext"' in html
        if "kind" in overrides:
            assert 'aria-describedby="id_kind_error"' in html
            assert "id_kind_0" in parsed.links

    def test_the_summary_names_each_field_in_words_without_doubled_punctuation(
        self, client: Client
    ) -> None:
        response = client.post("/lapor/", form_data(title="", description=""))
        html = response.content.decode()
        required = in_indonesian("This field is required.")
        title = in_indonesian("Title")
        question = in_indonesian("What happened?")
        assert f'<a href="#id_title">{title}: {required}</a>' in html
        assert f'<a href="#id_description">{question} {required}</a>' in html


class TestHeldFiles:
    def test_a_good_photo_is_held_when_the_title_is_missing(
        self, client: Client, media_root: Path
    ) -> None:
        response = client.post("/lapor/", form_data(title="", attachments=[photo()]))

        assert response.status_code == 400
        assert set(response.context["form"].errors) == {"title"}
        assert len(tokens_of(response)) == 1
        html = response.content.decode()
        assert in_indonesian("Already attached:") in html
        assert f'<span class="held-name">{PHOTO}</span>' in html
        assert 'name="_remove"' in html
        # The file input says that more may be added, and how many.
        assert response.context["form"].fields["attachments"].label == in_indonesian(
            "Add more files"
        )
        # Held cleaned, out of any URL's reach, and bound to this browser by a cookie.
        (copy,) = held_files(media_root)
        content = copy.read_bytes()
        assert sentinels_in(content) == set()
        with Image.open(io.BytesIO(content)) as image:
            assert image.format == "JPEG"
            assert not image.getexif()
        cookie = response.cookies[held_uploads.COOKIE_NAME]
        assert cookie["httponly"] and cookie["path"] == "/lapor/"
        assert client.get(f"/media/held/{copy.name}").status_code == 404
        assert not Attachment.objects.exists() and not Complaint.objects.exists()

    def test_the_next_round_files_the_report_with_the_held_photo(
        self, client: Client, media_root: Path
    ) -> None:
        first = client.post("/lapor/", form_data(title="", attachments=[photo()]))
        (token,) = tokens_of(first)

        second = client.post("/lapor/", form_data(held=[token]))

        assert second.status_code == 302 and second["Location"] == "/lapor/terkirim/"
        complaint = Complaint.objects.get()
        attachment = complaint.attachments.get()
        assert attachment.original_name == PHOTO
        assert attachment.content_type == "image/jpeg"
        with attachment.file.open("rb") as stored:
            content = stored.read()
        assert sentinels_in(content) == set()
        with Image.open(io.BytesIO(content)) as image:
            assert not image.getexif() and image.size == (160, 120)
        # No held copy is left; only the attachment remains.
        assert held_files(media_root) == []
        assert [p.parent.parent.name for p in files_in(media_root)] == ["attachments"]
        # The token is spent: sent again, it names nothing.
        client.get("/lapor/terkirim/")
        again = client.post("/lapor/", form_data(held=[token]))
        assert again.status_code == 400
        assert messages_of(again, "attachments") == [
            in_indonesian("“%(name)s” is no longer kept; please choose it again.", name=PHOTO)
        ]

    def test_held_and_new_files_go_together_in_the_order_chosen(
        self, client: Client, media_root: Path
    ) -> None:
        letter = SimpleUploadedFile("surat.pdf", word_processor_pdf(), "application/pdf")
        first = client.post("/lapor/", form_data(reporter_phone="123", attachments=[letter]))
        assert set(first.context["form"].errors) == {"reporter_phone"}
        (token,) = tokens_of(first)

        second = client.post("/lapor/", form_data(held=[token], attachments=[photo("b.jpg")]))

        assert second.status_code == 302
        attachments = list(Complaint.objects.get().attachments.order_by("position"))
        assert [(a.original_name, a.content_type) for a in attachments] == [
            ("surat.pdf", "application/pdf"),
            ("b.jpg", "image/jpeg"),
        ]
        for attachment in attachments:
            with attachment.file.open("rb") as stored:
                assert sentinels_in(stored.read()) == set()
        assert held_files(media_root) == []

    def test_a_failed_file_is_named_to_choose_again_and_the_good_one_is_held(
        self, client: Client, media_root: Path
    ) -> None:
        fake = SimpleUploadedFile("rusak.png", b"\x89PNG broken", "image/png")
        response = client.post("/lapor/", form_data(title="", attachments=[photo(), fake]))

        assert response.status_code == 400
        (problem,) = messages_of(response, "attachments")
        assert problem.startswith("“rusak.png”") and problem.endswith(NOT_ATTACHED)
        assert len(tokens_of(response)) == 1 and len(held_files(media_root)) == 1

    def test_held_files_count_toward_the_limit(
        self, client: Client, settings: Any, media_root: Path
    ) -> None:
        settings.LAPOR_MAX_ATTACHMENTS = 2
        first = client.post(
            "/lapor/", form_data(title="", attachments=[photo("a.jpg"), photo("b.jpg")])
        )
        tokens = tokens_of(first)
        assert len(tokens) == 2

        second = client.post("/lapor/", form_data(held=tokens, attachments=[photo("c.jpg")]))

        assert second.status_code == 400
        assert messages_of(second, "attachments") == [
            in_indonesian("At most %(max)d files can be attached.", max=2),
            in_indonesian(
                "None of the files just chosen was attached: choose at most %(room)d.", room=0
            ),
        ]
        # The two held ones are still listed and held; the third was not kept.
        assert tokens_of(second) == tokens
        assert len(held_files(media_root)) == 2
        assert not Complaint.objects.exists()

    def test_a_forged_token_is_a_clear_error_not_a_500(self, client: Client) -> None:
        first = client.post("/lapor/", form_data(title="", attachments=[photo()]))
        (token,) = tokens_of(first)
        forged = signing.dumps({"k": "1-" + "0" * 32, "n": "x.jpg"}, salt="another.salt")

        for bad in (token[:-3] + "abc", forged, "x" * 5000, "\x00"):
            response = client.post("/lapor/", form_data(held=[bad]))
            assert response.status_code == 400
            assert messages_of(response, "attachments") == [
                in_indonesian(
                    "A file attached earlier could not be recognised; please choose it again."
                )
            ]
        assert not Complaint.objects.exists()

    def test_an_expired_token_is_a_clear_error(
        self, client: Client, settings: Any, _clock: time_machine.Traveller
    ) -> None:
        first = client.post("/lapor/", form_data(title="", attachments=[photo()]))
        (token,) = tokens_of(first)
        _clock.shift(dt.timedelta(minutes=settings.LAPOR_HELD_UPLOAD_MINUTES, seconds=1))

        response = client.post("/lapor/", form_data(held=[token]))

        assert response.status_code == 400
        assert messages_of(response, "attachments") == [
            in_indonesian(
                "“%(name)s” was kept for %(minutes)d minutes only; please choose it again.",
                name=PHOTO,
                minutes=settings.LAPOR_HELD_UPLOAD_MINUTES,
            )
        ]
        assert not Complaint.objects.exists()

    def test_a_token_works_only_in_the_browser_that_chose_the_file(self, client: Client) -> None:
        first = client.post("/lapor/", form_data(title="", attachments=[photo()]))
        (token,) = tokens_of(first)

        elsewhere = Client().post("/lapor/", form_data(held=[token]))

        assert elsewhere.status_code == 400
        assert messages_of(elsewhere, "attachments") == [
            in_indonesian("“%(name)s” is no longer kept; please choose it again.", name=PHOTO)
        ]
        assert not Complaint.objects.exists()

    def test_remove_and_refresh_without_javascript(self, client: Client, media_root: Path) -> None:
        first = client.post(
            "/lapor/", form_data(title="", attachments=[photo("a.jpg"), photo("b.jpg")])
        )
        keep, drop = tokens_of(first)

        refreshed = client.post(
            "/lapor/", {"province": "64", "_refresh": "province", "held": [keep, drop]}
        )
        assert refreshed.status_code == 200
        assert tokens_of(refreshed) == [keep, drop]

        removed = client.post("/lapor/", {**form_data(held=[keep, drop]), "_remove": drop})
        assert removed.status_code == 200
        assert tokens_of(removed) == [keep]
        assert len(held_files(media_root)) == 1
        assert not Complaint.objects.exists()

        filed = client.post("/lapor/", form_data(held=tokens_of(removed)))
        assert filed.status_code == 302
        assert [a.original_name for a in Attachment.objects.all()] == ["a.jpg"]
        assert held_files(media_root) == []

    def test_a_page_that_cannot_be_drawn_leaves_no_held_copy(
        self, client: Client, media_root: Path
    ) -> None:
        """The database goes away while the form is sent back to fill in a select (the page
        reads the options only when it is drawn): the 503 page carries no token, so the copy
        just made of the new photo is deleted again; the one held before stays for the page
        the browser still has."""
        first = client.post("/lapor/", form_data(title="", attachments=[photo("a.jpg")]))
        (token,) = tokens_of(first)
        (earlier,) = held_files(media_root)

        def unreachable(*args: Any) -> Any:
            raise OperationalError("server closed the connection unexpectedly")

        with connection.execute_wrapper(unreachable):
            response = client.post(
                "/lapor/",
                {
                    "province": "64",
                    "_refresh": "province",
                    "held": [token],
                    "attachments": [photo("b.jpg")],
                },
            )

        assert response.status_code == 503
        assert held_files(media_root) == [earlier]
        # Back on the page it has, the browser sends the form again: it is filed with the one.
        filed = client.post("/lapor/", form_data(held=[token]))
        assert filed.status_code == 302
        assert [a.original_name for a in Attachment.objects.all()] == ["a.jpg"]
        assert held_files(media_root) == []

    def test_a_copy_that_cannot_be_stored_takes_the_others_of_its_round_with_it(
        self, client: Client, media_root: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The disk fills up while the second of two photos is held: the first one's copy is
        deleted again, since the failed request gives no page with its token."""
        save = FileSystemStorage.save
        saved: list[str] = []

        def save_until_full(storage: FileSystemStorage, name: str, content: Any, **kw: Any) -> str:
            if saved:
                raise OSError(28, "No space left on device")
            saved.append(save(storage, name, content, **kw))
            return saved[-1]

        monkeypatch.setattr(FileSystemStorage, "save", save_until_full)
        with pytest.raises(OSError, match="No space left"):
            client.post(
                "/lapor/", form_data(title="", attachments=[photo("a.jpg"), photo("b.jpg")])
            )

        assert len(saved) == 1
        assert files_in(media_root) == []
        assert not Complaint.objects.exists()


class TestStaleHeldFiles:
    def test_the_beat_task_deletes_held_files_past_their_lifetime(
        self, client: Client, settings: Any, media_root: Path, _clock: time_machine.Traveller
    ) -> None:
        client.post("/lapor/", form_data(title="", attachments=[photo("lama.jpg")]))
        _clock.shift(dt.timedelta(minutes=30))
        client.post("/lapor/", form_data(title="", attachments=[photo("baru.jpg")]))
        assert len(held_files(media_root)) == 2
        _clock.shift(dt.timedelta(minutes=settings.LAPOR_HELD_UPLOAD_MINUTES - 30))

        assert delete_stale_held_uploads_task() == 1

        (left,) = held_files(media_root)
        assert left.name.startswith(str(int((NOW + dt.timedelta(minutes=30)).timestamp())))
        _clock.shift(dt.timedelta(minutes=31))
        assert delete_stale_held_uploads_task() == 1
        assert held_files(media_root) == []
        assert delete_stale_held_uploads_task() == 0

    def test_the_task_is_on_the_beat_schedule(self) -> None:
        from lapor.celery import app

        entry = app.conf.beat_schedule["delete-stale-held-uploads"]
        assert entry["task"] == "complaints.tasks.delete_stale_held_uploads_task"
