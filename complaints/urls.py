from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from complaints import account_views, map_views, views

app_name = "complaints"

_TN = r"(?P<tracking_number>[A-Za-z0-9-]{1,20})"
_KEY = r"(?P<access_key>[A-Za-z0-9_-]{20,100})"
# A one-time account link: the account's id, base64, and a token (or the word that replaces the
# token once Django has moved it into the session).
_UID = r"(?P<uidb64>[0-9A-Za-z_-]{1,20})"
_TOKEN = r"(?P<token>[0-9A-Za-z]{1,13}-[0-9A-Za-z]{1,64}|konfirmasi|sandi-baru)"  # noqa: S105  (a URL pattern)

urlpatterns = [
    path("lapor/", views.submit, name="submit"),
    path("lapor/terkirim/", views.receipt, name="receipt"),
    path("lapor/terkirim/email/", views.receipt_email, name="receipt-email"),
    path("lacak/", views.track, name="track"),
    # Before the report's page, whose pattern the word would fit (it is no tracking number).
    path("lacak/tautan-baru/", views.resend_link, name="resend-link"),
    path("laporan/", views.public_list, name="public-list"),
    path("peta/", map_views.public_map, name="map"),
    path("peta/titik.json", map_views.map_points, name="map-points"),
    re_path(rf"^laporan/{_TN}/dukung/$", views.support, name="support"),
    re_path(r"^instansi/(?P<code>[a-z0-9-]{1,80})/$", views.agency_page, name="agency"),
    re_path(rf"^lacak/{_TN}/$", views.public_detail, name="public"),
    re_path(rf"^lacak/{_TN}/{_KEY}/$", views.private_detail, name="private"),
    re_path(
        rf"^lacak/{_TN}/{_KEY}/lampiran/(?P<position>[0-9]{{1,2}})/$",
        views.private_attachment,
        name="private-attachment",
    ),
    re_path(rf"^lacak/{_TN}/{_KEY}/klaim/$", account_views.claim, name="claim"),
    path("akun/daftar/", account_views.register, name="register"),
    re_path(
        rf"^akun/aktifkan/{_UID}/{_TOKEN}/$",
        account_views.ActivateView.as_view(),
        name="activate",
    ),
    path("akun/sandi/lupa/", account_views.PasswordResetView.as_view(), name="password-reset"),
    path(
        "akun/sandi/terkirim/",
        account_views.PasswordResetDoneView.as_view(),
        name="password-reset-done",
    ),
    re_path(
        rf"^akun/sandi/atur/{_UID}/{_TOKEN}/$",
        account_views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "akun/sandi/selesai/",
        account_views.PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
    path("akun/masuk/", account_views.CitizenLoginView.as_view(), name="login"),
    path("akun/keluar/", auth_views.LogoutView.as_view(next_page="home"), name="logout"),
    path("akun/laporan/", account_views.my_reports, name="my-reports"),
    re_path(
        rf"^lacak/{_TN}/{_KEY}/(?P<action>lengkapi|tambah|balas|terima|sanggah|nilai)/$",
        views.private_action,
        name="private-action",
    ),
]
