from django.urls import path, re_path

from complaints import api

app_name = "api"

_TN = r"(?P<tracking_number>[A-Za-z0-9-]{1,20})"

urlpatterns = [
    path("complaints/", api.ComplaintCreateApi.as_view(), name="complaint-create"),
    re_path(rf"^complaints/{_TN}/$", api.ComplaintDetailApi.as_view(), name="complaint-detail"),
    re_path(
        rf"^complaints/{_TN}/attachments/(?P<position>[0-9]{{1,2}})/$",
        api.ComplaintAttachmentApi.as_view(),
        name="complaint-attachment",
    ),
    path("categories/", api.CategoryListApi.as_view(), name="category-list"),
    path("regions/", api.RegionListApi.as_view(), name="region-list"),
]
