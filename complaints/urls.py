from django.urls import path, re_path

from complaints import views

app_name = "complaints"

_TN = r"(?P<tracking_number>[A-Za-z0-9-]{1,20})"
_KEY = r"(?P<access_key>[A-Za-z0-9_-]{20,100})"

urlpatterns = [
    path("lapor/", views.submit, name="submit"),
    path("lapor/terkirim/", views.receipt, name="receipt"),
    path("lacak/", views.track, name="track"),
    path("laporan/", views.public_list, name="public-list"),
    re_path(rf"^laporan/{_TN}/dukung/$", views.support, name="support"),
    re_path(r"^instansi/(?P<code>[a-z0-9-]{1,80})/$", views.agency_page, name="agency"),
    re_path(rf"^lacak/{_TN}/$", views.public_detail, name="public"),
    re_path(rf"^lacak/{_TN}/{_KEY}/$", views.private_detail, name="private"),
    re_path(
        rf"^lacak/{_TN}/{_KEY}/lampiran/(?P<position>[0-9]{{1,2}})/$",
        views.private_attachment,
        name="private-attachment",
    ),
    re_path(
        rf"^lacak/{_TN}/{_KEY}/(?P<action>balas|terima|sanggah|nilai)/$",
        views.private_action,
        name="private-action",
    ),
]
