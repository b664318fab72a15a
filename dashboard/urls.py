from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from dashboard import entry, twofactor, views

app_name = "dashboard"

_TN = r"(?P<tracking_number>[A-Za-z0-9-]{1,20})"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("dua-langkah/", twofactor.two_factor, name="two-factor"),
    path("laporan-baru/", entry.enter, name="enter"),
    re_path(
        r"^laporan-baru/tanda-terima/(?P<token>[A-Za-z0-9_-]{16,64})/$",
        entry.entry_receipt,
        name="entry-receipt",
    ),
    path("pesan-gagal/", views.dead_letters, name="dead-letters"),
    path("pesan-gagal/<int:message_id>/kirim-ulang/", views.retry_dead_letter, name="retry"),
    re_path(rf"^complaints/{_TN}/$", views.complaint_detail, name="complaint"),
    re_path(
        rf"^complaints/{_TN}/attachments/(?P<position>[0-9]{{1,3}})/$",
        views.complaint_attachment,
        name="attachment",
    ),
    re_path(
        rf"^complaints/{_TN}/(?P<action>[a-z-]{{1,20}})/$",
        views.complaint_action,
        name="action",
    ),
]
