"""A citizen who lost the private link gets a new one by e-mail (the old one stops working),
and the receipt offers to save or e-mail the link before it disappears: the services, the
e-mails through the outbox, and the pages over HTTP, with their limits."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import escape

from complaints import services
from complaints.models import Complaint, Message, Reporter
from complaints.services import SubmissionReceipt
from lapor.lib import secretbox
from tests.helpers import NOW, deliver_pending, form_data, in_indonesian, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

EMAIL = "siti@example.id"  # what the ``submit`` fixture gives
PHONE_FORMS = [
    "0812 3456 7890",
    "081234567890",
    "+6281234567890",
    "6281234567890",
    "+62 812-3456-7890",
]
SENT_BY_EMAIL = (
    "If this is the address you gave with this report, a new private link is on its way; the "
    "old one no longer works. It can take a few minutes: look in your spam folder too."
)
SENT_BY_PHONE = (
    "We cannot send text messages yet, so a new private link can only go by e-mail. If this is "
    "the number you gave with this report and you also gave an e-mail address, a new link is on "
    "its way to that address and the old one no longer works. If you gave only a phone number, "
    "follow your report with its tracking number for now."
)
RESEND_URL = "/lacak/tautan-baru/"


def link_pattern(complaint: Complaint) -> re.Pattern[str]:
    return re.compile(
        rf"https?://[^/\s]+/lacak/{complaint.tracking_number}/(?P<key>[A-Za-z0-9_-]{{20,100}})/"
    )


def private_url(complaint: Complaint, key: str) -> str:
    return f"/lacak/{complaint.tracking_number}/{key}/"


def links_queued(complaint: Complaint) -> list[Message]:
    return list(
        Message.objects.filter(complaint=complaint, kind=Message.Kind.PRIVATE_LINK).order_by("pk")
    )


def deliver_links() -> list[Any]:
    """Deliver the queued link e-mails as the mail worker does; the e-mails sent."""
    deliver_pending(now=timezone.now(), kinds=(Message.Kind.PRIVATE_LINK,))
    return list(mail.outbox)


def key_in(email: Any, complaint: Complaint) -> str:
    found = link_pattern(complaint).search(email.body)
    assert found is not None, email.body
    html = email.alternatives[0][0]
    assert found[0] in html
    return found["key"]


def page_message(html: str) -> str:
    found = re.search(r'<div class="alert [a-z]+" role="[a-z]+">(.*?)</div>', html, re.S)
    assert found is not None, "no message on the page"
    return found.group(1)


# --- the service -------------------------------------------------------------------------------


class TestResendPrivateLink:
    def test_a_matching_address_replaces_the_key_and_queues_the_new_link(self, submit: Any) -> None:
        receipt: SubmissionReceipt = submit()
        complaint = receipt.complaint
        before = snapshot(complaint)
        assert services.resend_private_link(
            complaint_id=complaint.pk, email="  Siti@EXAMPLE.id ", now=NOW
        )
        complaint.refresh_from_db()
        assert not complaint.access_key_matches(receipt.access_key)
        # Nothing else of the report changed: no event (a new key is not a step in its
        # handling), no new version for the officers' forms.
        assert snapshot(complaint) == before
        (message,) = links_queued(complaint)
        assert message.data == {"renewed": True}
        assert message.created_at == NOW
        # The key travels sealed, and no column of the row holds the address.
        assert message.secret and receipt.access_key not in message.secret
        sealed = json.loads(secretbox.open_sealed(message.secret, secretbox_keys()) or "{}")
        assert set(sealed) == {"key"} and complaint.access_key_matches(sealed["key"])
        assert EMAIL not in json.dumps(message.data) + message.key

    @pytest.mark.parametrize("email", ["budi@example.id", "siti@example.com", "siti", ""])
    def test_an_address_that_does_not_match_changes_nothing(self, submit: Any, email: str) -> None:
        receipt = submit()
        complaint = receipt.complaint
        assert not services.resend_private_link(complaint_id=complaint.pk, email=email, now=NOW)
        complaint.refresh_from_db()
        assert complaint.access_key_matches(receipt.access_key)
        assert links_queued(complaint) == []

    @pytest.mark.parametrize("phone", PHONE_FORMS)
    def test_the_phone_number_in_any_form_sends_the_link_to_the_address(
        self, submit: Any, phone: str
    ) -> None:
        receipt = submit()  # 0812 3456 7890, stored as +6281234567890
        assert Reporter.objects.get(complaint=receipt.complaint).phone == "+6281234567890"
        assert services.resend_private_link(complaint_id=receipt.complaint.pk, phone=phone, now=NOW)
        (email,) = deliver_links()
        assert email.to == [EMAIL]

    @pytest.mark.parametrize("phone", ["0812 3456 7891", "021 555 1234", "", "12"])
    def test_another_number_changes_nothing(self, submit: Any, phone: str) -> None:
        receipt = submit()
        assert not services.resend_private_link(
            complaint_id=receipt.complaint.pk, phone=phone, now=NOW
        )
        assert links_queued(receipt.complaint) == []

    def test_a_reporter_with_only_a_phone_number_keeps_the_link_while_sms_is_off(
        self, submit: Any
    ) -> None:
        """No text-message gateway: nothing could carry a new link, so the old one stays."""
        receipt = submit(reporter_email="")
        complaint = receipt.complaint
        assert not services.resend_private_link(
            complaint_id=complaint.pk, phone="081234567890", now=NOW
        )
        complaint.refresh_from_db()
        assert complaint.access_key_matches(receipt.access_key)
        assert links_queued(complaint) == []

    def test_with_sms_on_a_reporter_with_only_a_phone_number_gets_the_new_link_by_sms(
        self, submit: Any, settings: Any
    ) -> None:
        from messaging.backends import LocmemBackend

        settings.LAPOR_SMS_BACKEND = "messaging.backends.LocmemBackend"
        LocmemBackend.sent.clear()
        receipt = submit(reporter_email="")
        complaint = receipt.complaint
        assert services.resend_private_link(
            complaint_id=complaint.pk, phone="0812-3456-7890", now=NOW
        )
        complaint.refresh_from_db()
        assert not complaint.access_key_matches(receipt.access_key)
        deliver_pending(NOW, kinds=(Message.Kind.PHONE_RECEIPT,))
        texts = [s.text for s in LocmemBackend.sent if s.to == "+6281234567890"]
        LocmemBackend.sent.clear()
        # The receipt (its link erased: it opens nothing now), then the new link.
        assert len(texts) == 2 and "/lacak/" not in texts[0]
        assert texts[1].startswith(
            f"LAPOR: tautan pribadi baru untuk laporan {complaint.tracking_number}"
        )
        new_key = texts[1].rstrip("/").rsplit("/", 1)[1]
        assert complaint.access_key_matches(new_key)

    def test_a_reporter_who_left_no_contact_gets_nothing(self, submit: Any) -> None:
        receipt = submit(reporter_email="", reporter_phone="", reporter_name="")
        for contact in ({"email": ""}, {"phone": ""}, {"email": "siti@example.id"}):
            assert not services.resend_private_link(
                complaint_id=receipt.complaint.pk, now=NOW, **contact
            )
        assert links_queued(receipt.complaint) == []

    def test_links_waiting_in_the_outbox_are_erased_and_only_the_last_one_goes(
        self, submit: Any
    ) -> None:
        receipt = submit()
        complaint = receipt.complaint
        services.resend_private_link(complaint_id=complaint.pk, email=EMAIL, now=NOW)
        services.resend_private_link(complaint_id=complaint.pk, email=EMAIL, now=NOW)
        first, second = links_queued(complaint)
        assert first.secret == "" and second.secret != ""
        # The receipt, not sent yet, lost its link too: it would open nothing.
        receipt_row = Message.objects.get(complaint=complaint, kind=Message.Kind.RECEIPT)
        assert receipt_row.secret == ""

        sent = deliver_pending(now=NOW, kinds=(Message.Kind.RECEIPT, Message.Kind.PRIVATE_LINK))
        assert sorted(sent) == sorted([receipt_row.key, first.key, second.key])
        first.refresh_from_db()
        assert first.outcome == Message.Outcome.SKIPPED
        receipt_mail, link_mail = sorted(
            mail.outbox, key=lambda m: "private" in m.extra_headers["Message-ID"]
        )
        assert link_pattern(complaint).search(str(receipt_mail.body)) is None  # the number alone
        key = key_in(link_mail, complaint)
        complaint.refresh_from_db()
        assert complaint.access_key_matches(key)

    def test_a_link_replaced_before_its_e_mail_left_is_not_sent(self, submit: Any) -> None:
        receipt = submit()
        complaint = receipt.complaint
        services.resend_private_link(complaint_id=complaint.pk, email=EMAIL, now=NOW)
        # Replaced by other means meanwhile (the row still holds its key).
        Complaint.objects.filter(pk=complaint.pk).update(access_key_hash="0" * 64)
        assert deliver_links() == []
        (row,) = links_queued(complaint)
        assert row.outcome == Message.Outcome.SKIPPED and row.secret == ""


def too_many_words() -> str:
    """The words of the limit's message before its number of minutes, in Indonesian."""
    with translation.override("id"):
        text = translation.ngettext(
            "Too many links have been asked for from your connection or for this report. Please "
            "try again in %(minutes)d minute.",
            "Too many links have been asked for from your connection or for this report. Please "
            "try again in %(minutes)d minutes.",
            2,
        )
    return escape(text.split("%(minutes)d")[0])


def secretbox_keys() -> tuple[str, ...]:
    from django.conf import settings

    return settings.LAPOR_MESSAGE_KEYS


# --- the page: "Lost your private link?" -------------------------------------------------------


class TestResendPage:
    def test_the_tracking_page_and_a_reports_page_offer_the_form(
        self, client: Client, submit: Any
    ) -> None:
        number = submit().complaint.tracking_number
        secret = submit(is_confidential=True).complaint.tracking_number
        html = client.get("/lacak/").content.decode()
        assert f'action="{RESEND_URL}"' in html
        assert 'name="tracking_number"' in html and 'name="contact"' in html
        assert escape(in_indonesian("Lost your private link?")) in html
        # Said plainly: by e-mail only for now.
        assert (
            escape(
                in_indonesian(
                    "For now links are sent by e-mail only: we cannot send text messages (SMS) yet. "
                    "A report with only a phone number cannot get a new link for now, but anyone can "
                    "still follow it with its tracking number."
                )
            )
            in html
        )
        for tracking_number in (number, secret):
            page = client.get(f"/lacak/{tracking_number}/").content.decode()
            assert f'action="{RESEND_URL}"' in page
            assert f'<input type="hidden" name="tracking_number" value="{tracking_number}"' in page

    def test_a_matching_address_gets_a_new_link_and_the_old_one_stops_working(
        self, client: Client, submit: Any
    ) -> None:
        receipt = submit()
        complaint = receipt.complaint
        assert client.get(private_url(complaint, receipt.access_key)).status_code == 200
        deliver_pending(now=NOW, kinds=(Message.Kind.RECEIPT,))  # the receipt went long ago
        mail.outbox.clear()

        response = client.post(
            RESEND_URL,
            {"tracking_number": complaint.tracking_number.lower(), "contact": "SITI@example.id"},
        )
        assert response.status_code == 302 and response["Location"] == "/lacak/"
        page = client.get("/lacak/").content.decode()
        assert page_message(page) == escape(in_indonesian(SENT_BY_EMAIL))

        assert client.get(private_url(complaint, receipt.access_key)).status_code == 404
        (email,) = deliver_links()
        assert email.to == [EMAIL]
        assert complaint.tracking_number in email.subject
        assert (
            in_indonesian(
                "Someone, most likely you, asked the LAPOR site for a new private link to this "
                "report. Here it is. The link you had before no longer works."
            )
            in email.body
        )
        new_key = key_in(email, complaint)
        assert new_key != receipt.access_key
        opened = client.get(private_url(complaint, new_key))
        assert opened.status_code == 200
        assert complaint.title in opened.content.decode()

    @pytest.mark.parametrize("contact", ["budi@example.id", "0813 9999 0000"])
    def test_a_contact_that_does_not_match_gets_the_same_answer_and_changes_nothing(
        self, client: Client, submit: Any, contact: str
    ) -> None:
        receipt = submit()
        complaint = receipt.complaint
        answers = []
        for given in (contact, EMAIL if "@" in contact else "0812 3456 7890"):
            other = submit()  # a fresh report each time, so that one's change does not hide
            response = client.post(
                RESEND_URL, {"tracking_number": other.complaint.tracking_number, "contact": given}
            )
            assert response.status_code == 302
            answers.append(
                (response["Location"], page_message(client.get("/lacak/").content.decode()))
            )
        # The answer for the report whose contact it is equals the answer for one whose it is not.
        assert answers[0] == answers[1]
        response = client.post(
            RESEND_URL, {"tracking_number": complaint.tracking_number, "contact": contact}
        )
        assert response.status_code == 302
        complaint.refresh_from_db()
        assert complaint.access_key_matches(receipt.access_key)
        assert links_queued(complaint) == []
        assert client.get(private_url(complaint, receipt.access_key)).status_code == 200

    def test_an_unknown_number_gets_the_same_answer(self, client: Client, submit: Any) -> None:
        submit()
        response = client.post(RESEND_URL, {"tracking_number": "ABCD-EFGH-JKMN", "contact": EMAIL})
        assert response.status_code == 302 and response["Location"] == "/lacak/"
        assert page_message(client.get("/lacak/").content.decode()) == escape(
            in_indonesian(SENT_BY_EMAIL)
        )
        assert not Message.objects.filter(kind=Message.Kind.PRIVATE_LINK).exists()

    @pytest.mark.parametrize("phone", PHONE_FORMS)
    def test_a_phone_number_says_plainly_that_links_go_by_e_mail_only(
        self, client: Client, submit: Any, phone: str
    ) -> None:
        receipt = submit()
        response = client.post(
            RESEND_URL, {"tracking_number": receipt.complaint.tracking_number, "contact": phone}
        )
        assert response.status_code == 302
        assert page_message(client.get("/lacak/").content.decode()) == escape(
            in_indonesian(SENT_BY_PHONE)
        )
        # The reporter gave an e-mail address as well: the new link went there.
        (email,) = deliver_links()
        assert email.to == [EMAIL]
        assert client.get(private_url(receipt.complaint, receipt.access_key)).status_code == 404

    def test_a_reporter_with_only_a_phone_number_is_told_the_same_and_keeps_the_link(
        self, client: Client, submit: Any
    ) -> None:
        receipt = submit(reporter_email="")
        response = client.post(
            RESEND_URL,
            {"tracking_number": receipt.complaint.tracking_number, "contact": "+62 812 3456 7890"},
        )
        assert response.status_code == 302
        assert page_message(client.get("/lacak/").content.decode()) == escape(
            in_indonesian(SENT_BY_PHONE)
        )
        assert links_queued(receipt.complaint) == []
        assert client.get(private_url(receipt.complaint, receipt.access_key)).status_code == 200

    def test_a_reporter_who_left_no_contact_is_told_the_same(
        self, client: Client, submit: Any
    ) -> None:
        receipt = submit(reporter_email="", reporter_phone="")
        response = client.post(
            RESEND_URL, {"tracking_number": receipt.complaint.tracking_number, "contact": EMAIL}
        )
        assert response.status_code == 302
        assert page_message(client.get("/lacak/").content.decode()) == escape(
            in_indonesian(SENT_BY_EMAIL)
        )
        assert links_queued(receipt.complaint) == []

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            (
                {"tracking_number": "", "contact": EMAIL},
                "tracking_number",
                "This field is required.",
            ),
            (
                {"tracking_number": "ABCD", "contact": EMAIL},
                "tracking_number",
                "A tracking number has 12 letters and digits, such as ABCD-EFGH-JKMN. Check it on your receipt.",
            ),
            (
                {"tracking_number": "ABCD-EFGH-JKMN", "contact": ""},
                "contact",
                "This field is required.",
            ),
            (
                {"tracking_number": "ABCD-EFGH-JKMN", "contact": "siti@"},
                "contact",
                "This e-mail address is not complete or not valid.",
            ),
            (
                {"tracking_number": "ABCD-EFGH-JKMN", "contact": "0812"},
                "contact",
                "Enter an e-mail address (such as nama@contoh.id) or an Indonesian phone number (such as 0812 3456 7890).",
            ),
        ],
    )
    def test_bad_input_comes_back_with_its_errors_at_the_top(
        self, client: Client, data: dict[str, str], field: str, message: str
    ) -> None:
        response = client.post(RESEND_URL, data)
        assert response.status_code == 400
        html = response.content.decode()
        summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', html, re.S)
        assert summary is not None
        assert f'href="#id_link_{field}"' in summary.group(1)
        assert escape(in_indonesian(message)) in summary.group(1)
        assert f'id="id_link_{field}_error"' in html
        # What was typed comes back.
        for name, value in data.items():
            if value:
                assert f'name="{name}" value="{escape(value)}"' in html
        assert not Message.objects.filter(kind=Message.Kind.PRIVATE_LINK).exists()

    def test_get_leads_to_the_form(self, client: Client) -> None:
        response = client.get(RESEND_URL)
        assert response.status_code == 302 and response["Location"] == "/lacak/#tautan-baru"

    def test_csrf_is_enforced(self, submit: Any) -> None:
        receipt = submit()
        client = Client(enforce_csrf_checks=True)
        response = client.post(
            RESEND_URL, {"tracking_number": receipt.complaint.tracking_number, "contact": EMAIL}
        )
        assert response.status_code == 403
        assert links_queued(receipt.complaint) == []


class TestResendLimit:
    def test_limited_per_report_from_any_address(self, submit: Any, settings: Any) -> None:
        settings.LAPOR_PRIVATE_LINK_RATE = "2/h"
        receipt = submit()
        number = receipt.complaint.tracking_number
        for address in ("198.51.100.1", "198.51.100.2"):
            response = Client(REMOTE_ADDR=address).post(
                RESEND_URL, {"tracking_number": number, "contact": EMAIL}
            )
            assert response.status_code == 302
        assert len(links_queued(receipt.complaint)) == 2
        hash_before = Complaint.objects.get(pk=receipt.complaint.pk).access_key_hash

        response = Client(REMOTE_ADDR="198.51.100.3").post(
            RESEND_URL, {"tracking_number": number, "contact": EMAIL}
        )
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        html = response.content.decode()
        summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', html, re.S)
        assert summary is not None and too_many_words() in summary.group(1)
        assert len(links_queued(receipt.complaint)) == 2
        assert Complaint.objects.get(pk=receipt.complaint.pk).access_key_hash == hash_before

    def test_limited_per_address_over_all_reports(self, submit: Any, settings: Any) -> None:
        settings.LAPOR_PRIVATE_LINK_RATE = "2/h"
        client = Client(REMOTE_ADDR="198.51.100.7")
        reports = [submit() for _ in range(3)]
        codes = [
            client.post(
                RESEND_URL, {"tracking_number": r.complaint.tracking_number, "contact": EMAIL}
            ).status_code
            for r in reports
        ]
        assert codes == [302, 302, 429]
        assert links_queued(reports[2].complaint) == []
        # Another connection is not held up.
        other = Client(REMOTE_ADDR="198.51.100.8").post(
            RESEND_URL, {"tracking_number": reports[2].complaint.tracking_number, "contact": EMAIL}
        )
        assert other.status_code == 302
        assert len(links_queued(reports[2].complaint)) == 1

    @pytest.mark.parametrize(
        "senders",
        [
            ["2001:db8:7:1::1", "2001:db8:7:1:a:b:c:d", "2001:db8:7:1:ffff::2"],
            ["198.51.100.9", "::ffff:198.51.100.9", "198.51.100.9"],
        ],
        ids=["ipv6-subscriber", "ipv4-written-as-ipv6"],
    )
    def test_one_subscriber_is_one_address_whichever_of_its_addresses(
        self, submit: Any, settings: Any, senders: list[str]
    ) -> None:
        """A phone or a rented server is given a whole IPv6 /64 and may send each request from
        another of its addresses; an IPv4 address written as IPv6 is that address."""
        settings.LAPOR_PRIVATE_LINK_RATE = "2/h"
        reports = [submit() for _ in range(4)]
        codes = [
            Client(REMOTE_ADDR=sender)
            .post(RESEND_URL, {"tracking_number": r.complaint.tracking_number, "contact": EMAIL})
            .status_code
            for sender, r in zip(senders, reports, strict=False)
        ]
        assert codes == [302, 302, 429]
        assert links_queued(reports[2].complaint) == []
        # Another subscriber is not held up.
        other = Client(REMOTE_ADDR="2001:db8:7:2::1").post(
            RESEND_URL, {"tracking_number": reports[3].complaint.tracking_number, "contact": EMAIL}
        )
        assert other.status_code == 302


# --- the receipt: save the link, or have it e-mailed ------------------------------------------


def file_on_the_web(client: Client, **fields: Any) -> tuple[Complaint, str, str]:
    """File a report through the form and open its receipt: the report, the receipt's HTML, the
    private link in it."""
    response = client.post("/lapor/", form_data(**fields))
    assert response.status_code == 302 and response["Location"] == "/lapor/terkirim/"
    receipt = client.get("/lapor/terkirim/")
    assert receipt.status_code == 200
    html = receipt.content.decode()
    number = re.search(r'id="tracking-number">([^<]+)<', html)
    assert number is not None
    complaint = Complaint.objects.get(tracking_number=number.group(1))
    link = re.search(r'id="private-link"[^>]*>([^<]+)</textarea>', html)
    assert link is not None
    return complaint, html, link.group(1)


def key_of(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[-1]


@pytest.mark.usefixtures("regions", "categories")
class TestReceipt:
    def test_offers_the_link_as_a_file_to_download(self, client: Client) -> None:
        complaint, html, link = file_on_the_web(client)
        name = f"lapor-{complaint.tracking_number}.txt"
        button = re.search(
            r'<button[^>]*data-download="([^"]+)"[^>]*data-download-text="([^"]*)"', html, re.S
        )
        assert button is not None and button.group(1) == name
        text = button.group(2)
        assert complaint.tracking_number in text and link in text
        assert (
            escape(
                in_indonesian(
                    "Keep this file to yourself: whoever has the link can read your whole report and answer in your name."
                )
            )
            in text
        )
        assert '<script src="/static/js/receipt.js" defer></script>' in html
        # With an address given, the receipt went there: no form to send it.
        assert 'action="/lapor/terkirim/email/"' not in html

    def test_the_receipt_shown_once_points_to_a_new_link(self, client: Client) -> None:
        file_on_the_web(client)
        again = client.get("/lapor/terkirim/")
        assert again.status_code == 410
        assert 'href="/lacak/#tautan-baru"' in again.content.decode()

    def test_a_reporter_who_is_not_anonymous_has_the_link_sent_and_the_address_kept(
        self, client: Client
    ) -> None:
        complaint, html, link = file_on_the_web(client, reporter_email="")
        assert 'action="/lapor/terkirim/email/"' in html
        assert 'name="keep"' not in html  # not a choice: said in words instead
        assert escape(in_indonesian("Send the link to my e-mail")) in html
        key = key_of(link)
        response = client.post(
            "/lapor/terkirim/email/",
            {
                "tracking_number": complaint.tracking_number,
                "access_key": key,
                "email": "budi.baru@example.id",
            },
        )
        assert response.status_code == 200
        page = response.content.decode()
        assert response["Cache-Control"] == "no-store"
        assert link in page  # the page that holds the link still shows it
        assert escape("budi.baru@example.id") in page
        assert 'action="/lapor/terkirim/email/"' not in page  # the report has an address now
        assert Reporter.objects.get(complaint=complaint).email == "budi.baru@example.id"

        (email,) = deliver_links()
        assert email.to == ["budi.baru@example.id"]
        assert key_in(email, complaint) == key  # the same link: nothing was replaced
        assert client.get(private_url(complaint, key)).status_code == 200

    def test_an_anonymous_reporter_chooses_and_by_default_the_address_is_forgotten(
        self, client: Client
    ) -> None:
        complaint, html, link = file_on_the_web(client, reporter_email="", is_anonymous="on")
        assert 'name="keep"' in html
        response = client.post(
            "/lapor/terkirim/email/",
            {
                "tracking_number": complaint.tracking_number,
                "access_key": key_of(link),
                "email": "rahasia@example.id",
            },
        )
        assert response.status_code == 200
        assert Reporter.objects.get(complaint=complaint).email == ""
        (row,) = links_queued(complaint)
        assert "rahasia@example.id" not in row.secret + row.key + json.dumps(row.data)
        (email,) = deliver_links()
        assert email.to == ["rahasia@example.id"]
        row.refresh_from_db()
        assert row.secret == ""  # sent: the address is gone with it
        # The form is still offered: the portal still has no address for this report.
        assert 'action="/lapor/terkirim/email/"' in response.content.decode()

    def test_an_anonymous_reporter_who_asks_has_the_address_kept(self, client: Client) -> None:
        complaint, _html, link = file_on_the_web(client, reporter_email="", is_anonymous="on")
        response = client.post(
            "/lapor/terkirim/email/",
            {
                "tracking_number": complaint.tracking_number,
                "access_key": key_of(link),
                "email": "rahasia@example.id",
                "keep": "on",
            },
        )
        assert response.status_code == 200
        assert Reporter.objects.get(complaint=complaint).email == "rahasia@example.id"
        (email,) = deliver_links()
        assert email.to == ["rahasia@example.id"]

    def test_a_wrong_key_is_answered_like_a_receipt_already_shown(self, client: Client) -> None:
        complaint, _html, link = file_on_the_web(client, reporter_email="")
        key = key_of(link)
        wrong = ("A" if key[0] != "A" else "B") + key[1:]
        for data in (
            {"tracking_number": complaint.tracking_number, "access_key": wrong},
            {"tracking_number": complaint.tracking_number},
            {"access_key": key},
        ):
            response = client.post("/lapor/terkirim/email/", {**data, "email": "budi@example.id"})
            assert response.status_code == 410
            assert key not in response.content.decode()
        assert Reporter.objects.get(complaint=complaint).email == ""
        assert links_queued(complaint) == []

    def test_a_bad_address_comes_back_with_its_error_at_the_top(self, client: Client) -> None:
        complaint, _html, link = file_on_the_web(client, reporter_email="")
        response = client.post(
            "/lapor/terkirim/email/",
            {
                "tracking_number": complaint.tracking_number,
                "access_key": key_of(link),
                "email": "budi@",
            },
        )
        assert response.status_code == 400
        html = response.content.decode()
        summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', html, re.S)
        assert summary is not None and 'href="#id_email"' in summary.group(1)
        assert html.index("error-summary") < html.index('id="private-link"')
        assert link in html and 'value="budi@"' in html
        assert links_queued(complaint) == []

    def test_a_report_with_an_address_already_is_refused(self, client: Client) -> None:
        complaint, _html, link = file_on_the_web(client)
        response = client.post(
            "/lapor/terkirim/email/",
            {
                "tracking_number": complaint.tracking_number,
                "access_key": key_of(link),
                "email": "lain@example.id",
            },
        )
        assert response.status_code == 409
        message = in_indonesian(
            "This report has an e-mail address already: the private link was sent there."
        )
        assert escape(message) in response.content.decode()
        assert Reporter.objects.get(complaint=complaint).email == "budi@example.id"
        assert links_queued(complaint) == []

    def test_limited(self, client: Client, settings: Any) -> None:
        settings.LAPOR_PRIVATE_LINK_RATE = "1/h"
        complaint, _html, link = file_on_the_web(client, reporter_email="", is_anonymous="on")
        data = {
            "tracking_number": complaint.tracking_number,
            "access_key": key_of(link),
            "email": "a@example.id",
        }
        assert client.post("/lapor/terkirim/email/", data).status_code == 200
        response = client.post("/lapor/terkirim/email/", {**data, "email": "b@example.id"})
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        assert too_many_words() in response.content.decode()
        assert len(links_queued(complaint)) == 1

    def test_csrf_is_enforced(self, client: Client) -> None:
        complaint, html, link = file_on_the_web(client, reporter_email="")
        assert 'name="csrfmiddlewaretoken"' in html
        response = Client(enforce_csrf_checks=True).post(
            "/lapor/terkirim/email/",
            {
                "tracking_number": complaint.tracking_number,
                "access_key": key_of(link),
                "email": "budi@example.id",
            },
        )
        assert response.status_code == 403
        assert links_queued(complaint) == []
