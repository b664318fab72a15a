from django.urls import path, re_path

from complaints import api, similar_api
from dashboard import api as staff_api
from reports import api as reports_api

app_name = "api"

_TN = r"(?P<tracking_number>[A-Za-z0-9-]{1,20})"

urlpatterns = [
    # GET: the public list; POST: file a report (the name predates the list).
    path("complaints/", api.ComplaintListCreateApi.as_view(), name="complaint-create"),
    # Before the report's own path, whose pattern the word would fit.
    path(
        "complaints/similar/", similar_api.ComplaintSimilarApi.as_view(), name="complaint-similar"
    ),
    re_path(rf"^complaints/{_TN}/$", api.ComplaintDetailApi.as_view(), name="complaint-detail"),
    re_path(
        rf"^complaints/{_TN}/support/$", api.ComplaintSupportApi.as_view(), name="complaint-support"
    ),
    re_path(
        rf"^complaints/{_TN}/attachments/(?P<position>[0-9]{{1,2}})/$",
        api.ComplaintAttachmentApi.as_view(),
        name="complaint-attachment",
    ),
    re_path(rf"^complaints/{_TN}/reply/$", api.ComplaintReplyApi.as_view(), name="complaint-reply"),
    re_path(
        rf"^complaints/{_TN}/accept/$", api.ComplaintAcceptApi.as_view(), name="complaint-accept"
    ),
    re_path(
        rf"^complaints/{_TN}/dispute/$", api.ComplaintDisputeApi.as_view(), name="complaint-dispute"
    ),
    re_path(rf"^complaints/{_TN}/rate/$", api.ComplaintRateApi.as_view(), name="complaint-rate"),
    re_path(rf"^complaints/{_TN}/claim/$", api.ComplaintClaimApi.as_view(), name="complaint-claim"),
    path("me/complaints/", api.MyComplaintListApi.as_view(), name="me-complaints"),
    path("categories/", api.CategoryListApi.as_view(), name="category-list"),
    path("regions/", api.RegionListApi.as_view(), name="region-list"),
    re_path(
        r"^agencies/(?P<code>[a-z0-9-]{1,80})/$",
        api.AgencyDetailApi.as_view(),
        name="agency-detail",
    ),
    path("staff/complaints/", staff_api.StaffInboxApi.as_view(), name="staff-inbox"),
    path("reports/monthly/", reports_api.MonthlyRecapApi.as_view(), name="reports-monthly"),
    path(
        "reports/evaluation/",
        reports_api.QuarterlyEvaluationApi.as_view(),
        name="reports-evaluation",
    ),
    re_path(
        rf"^staff/complaints/{_TN}/$",
        staff_api.StaffComplaintDetailApi.as_view(),
        name="staff-complaint",
    ),
    re_path(
        rf"^staff/complaints/{_TN}/attachments/(?P<position>[0-9]{{1,3}})/$",
        staff_api.StaffAttachmentApi.as_view(),
        name="staff-attachment",
    ),
    *[
        re_path(
            rf"^staff/complaints/{_TN}/{action}/$",
            view.as_view(),
            name=f"staff-{action}",
        )
        for action, view in staff_api.ACTION_APIS.items()
    ],
]
