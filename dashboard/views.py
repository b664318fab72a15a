"""The staff dashboard's pages. Each view parses input, calls one selector or service and maps
its errors to a message; who sees which report is decided in ``complaints.selectors``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from complaints import outbox, selectors, workflow
from complaints.filters import StaffComplaintFilter, summarize
from complaints.forms import CitizenLoginForm, StaffLoginForm
from complaints.models import Attachment, Complaint, Message
from complaints.selectors import Action, Scope
from complaints.views import attachment_response
from dashboard.actions import action_form, perform
from dashboard.context import StaffRequest, complaint_context, short_channel
from lapor.lib.actions import ActionError
from routing import selectors as routing_selectors
from routing.models import Agency

PAGE_SIZE = 25

ViewFunc = Callable[..., HttpResponseBase]


def staff_view(view: ViewFunc) -> ViewFunc:
    """Logged in and an officer of an active agency; anyone else logged in gets a page saying
    their account belongs to no agency (system administrators use the admin)."""

    @functools.wraps(view)
    @never_cache
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            # After logging in, come back to a page: an action's URL only takes a POST.
            back = (
                reverse("dashboard:complaint", args=[kwargs["tracking_number"]])
                if request.method == "POST" and "tracking_number" in kwargs
                else request.get_full_path()
            )
            return redirect_to_login(back)
        agency = routing_selectors.staff_agency(request.user)
        if agency is None:
            return render(request, "dashboard/no_agency.html", status=403)
        request.agency = agency  # type: ignore[attr-defined]  # what makes it a StaffRequest
        return view(request, *args, **kwargs)

    return wrapper


class LoginView(auth_views.LoginView):
    """Staff log in with their username, or their e-mail address where it names one account
    (``StaffLoginForm``)."""

    form_class = StaffLoginForm
    template_name = "dashboard/login.html"
    redirect_authenticated_user = True


def locked_out(
    request: HttpRequest, response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes answers with this while an account is locked out from an address (the
    staff login, the citizens' login and the admin's alike; each its own page, with the name
    or address typed kept and the password not)."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    form_class: type[AuthenticationForm]
    if request.path == reverse("complaints:login"):
        form_class, template = CitizenLoginForm, "complaints/account/login.html"
    else:
        form_class, template = StaffLoginForm, "dashboard/login.html"
    form = form_class(request, initial={"username": request.POST.get("username", "")})
    return render(request, template, {"form": form, "locked_minutes": minutes}, status=429)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "dashboard/password_change.html"
    success_url = reverse_lazy("dashboard:inbox")

    def form_valid(self, form: Any) -> HttpResponse:
        messages.success(self.request, gettext_lazy("Your password has been changed."))
        return super().form_valid(form)


def _query(params: dict[str, Any], **changes: str) -> str:
    merged = {k: v for k, v in params.items() if k not in ("after", "before")}
    merged.update(changes)
    return "?" + urlencode(merged, doseq=True)


@require_GET
@staff_view
def inbox(request: StaffRequest) -> HttpResponse:
    agency = request.agency
    now = timezone.now()
    scopes = selectors.scopes_for(agency)
    scope = Scope(request.GET["scope"]) if request.GET.get("scope") in scopes else scopes[0]
    reports = selectors.inbox_queryset(agency, scope)
    filters = StaffComplaintFilter(request.GET, queryset=reports, now=now)
    if filters.is_valid():
        page = selectors.keyset_page(
            filters.qs.select_related("category", "region", "current_agency"),
            after=request.GET.get("after", ""),
            before=request.GET.get("before", ""),
            size=PAGE_SIZE,
        )
    else:
        page = selectors.KeysetPage(items=[], next_cursor=None, previous_cursor=None)
    for complaint in page.items:
        complaint.overdue = complaint.is_overdue(now)  # type: ignore[attr-defined]  # for the template only
        complaint.channel_short = short_channel(complaint.channel)  # type: ignore[attr-defined]  # the same
    params = {k: request.GET.getlist(k) for k in request.GET}
    return render(
        request,
        "dashboard/inbox.html",
        {
            "agency": agency,
            "scope": scope,
            "scopes": [(s, _scope_label(agency, s), _query({"scope": s})) for s in scopes],
            "filters": filters,
            "summary": summarize(filters, request.GET),
            "counts": selectors.inbox_counts(reports, now),
            "count_links": _count_links(scope),
            "page": page,
            "now": now,
            "next_url": _query(params, after=page.next_cursor) if page.next_cursor else "",
            "previous_url": _query(params, before=page.previous_cursor)
            if page.previous_cursor
            else "",
            "first_url": _query(params)
            if (request.GET.get("after") or request.GET.get("before"))
            else "",
            "dead_messages": Message.objects.dead().count()
            if agency.level == Agency.Level.NATIONAL
            else 0,
        },
    )


def _national_only(request: StaffRequest) -> None:
    if request.agency.level != Agency.Level.NATIONAL:
        raise PermissionDenied


# The dead-letter list shows this many, newest first.
DEAD_LETTER_LIMIT = 200


@require_GET
@staff_view
def dead_letters(request: StaffRequest) -> HttpResponse:
    """The national coordinator's list of messages the portal gave up on after their last
    attempt, with the error's kind (its text can hold an address, so only the admin shows it),
    and the outbox's health: how many wait, since when."""
    _national_only(request)
    now = timezone.now()
    dead = list(
        Message.objects.dead()
        .select_related("complaint", "agency")
        .order_by("-failed_at", "-pk")[:DEAD_LETTER_LIMIT]
    )
    for message in dead:
        message.error_kind = message.error.split(":", 1)[0][:80]  # type: ignore[attr-defined]  # for the template only
    pending = Message.objects.pending()
    oldest = pending.order_by("created_at").values_list("created_at", flat=True).first()
    return render(
        request,
        "dashboard/dead_letters.html",
        {
            "agency": request.agency,
            "dead": dead,
            "dead_total": Message.objects.dead().count(),
            "pending": pending.count(),
            "oldest_pending": oldest,
            "now": now,
        },
    )


@require_POST
@staff_view
def retry_dead_letter(request: StaffRequest, message_id: int) -> HttpResponse:
    """Send a message from the dead-letter list again (a fresh count of attempts)."""
    _national_only(request)
    if outbox.retry_dead(message_id, now=timezone.now()):
        messages.success(request, _("The message will be sent again."))
    else:
        messages.info(request, _("This message is no longer in the list."))
    return redirect("dashboard:dead-letters")


def _scope_label(agency: Agency, scope: Scope) -> str:
    if scope == Scope.HELD:
        return _("Held by my agency") if agency.level == Agency.Level.OPD else _("My queue")
    if scope == Scope.SUBTREE:
        return _("Everything below me")
    return _("Everything ever disposed to us")


def _count_links(scope: Scope) -> dict[str, str]:
    links = {
        status: _query({"scope": scope, "status": status})
        for status in workflow.in_order(workflow.OPEN)
    }
    links["overdue"] = _query({"scope": scope, "overdue": "on"})
    links["disputed"] = _query({"scope": scope, "disputed": "on"})
    return links


def _access(request: StaffRequest, tracking_number: str) -> Complaint:
    try:
        return selectors.access_complaint_for_staff(request.user, tracking_number)
    except Complaint.DoesNotExist:
        raise Http404 from None


@require_GET
@staff_view
def complaint_detail(request: StaffRequest, tracking_number: str) -> HttpResponse:
    complaint = _access(request, tracking_number)
    return render(
        request,
        "dashboard/complaint.html",
        complaint_context(request, complaint),
    )


@require_POST
@staff_view
def complaint_action(request: StaffRequest, tracking_number: str, action: str) -> HttpResponse:
    """One action on a report. Not visible: 404; not offered to this user on the report as it
    is now: 403; the report changed since the form was drawn (or moved on while the action
    ran): 409 with its current state; bad input: 400 with the form."""
    complaint = _access(request, tracking_number)
    try:
        name = Action(action)
    except ValueError:
        raise Http404 from None
    agency = request.agency
    if name not in selectors.staff_actions(request.user, agency, complaint):
        raise PermissionDenied(_("You cannot do this on this report."))
    form = action_form(name, agency, request.POST, request.FILES)
    if not form.is_valid():
        return _redisplay(request, complaint, {name: form}, status=400)
    try:
        result = perform(
            name, complaint=complaint, agency=agency, user=request.user, data=form.cleaned_data
        )
    except ActionError as exc:
        messages.error(request, exc.message)
        fresh = _access(request, tracking_number)
        return _redisplay(request, fresh, {}, status=409 if exc.conflict else 400)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
        return _redisplay(request, complaint, {name: form}, status=400)
    if name == Action.REVEAL:
        context = complaint_context(request, complaint)
        context["revealed"] = result
        response = render(request, "dashboard/complaint.html", context)
        response["Cache-Control"] = "no-store"
        return response
    assert isinstance(result, str)  # a Reporter only for a reveal
    messages.success(request, result)
    if not Complaint.objects.visible_to(request.user).filter(pk=complaint.pk).exists():
        return redirect("dashboard:inbox")
    return redirect("dashboard:complaint", tracking_number=complaint.tracking_number)


def _redisplay(
    request: StaffRequest, complaint: Complaint, bound: dict[Action, Any], *, status: int
) -> HttpResponse:
    context = complaint_context(request, complaint, bound=bound)
    return render(request, "dashboard/complaint.html", context, status=status)


@require_GET
@staff_view
def complaint_attachment(
    request: StaffRequest, tracking_number: str, position: int
) -> FileResponse:
    complaint = _access(request, tracking_number)
    try:
        attachment = complaint.attachments.get(position=position)
    except Attachment.DoesNotExist:
        raise Http404 from None
    return attachment_response(attachment)
