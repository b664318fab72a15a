from django.urls import re_path

from open311 import api

app_name = "open311"

_FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(rf"^discovery{_FMT}", api.DiscoveryApi.as_view(), name="discovery"),
    re_path(rf"^services{_FMT}", api.ServiceListApi.as_view(), name="services"),
    re_path(
        rf"^services/(?P<service_code>[A-Za-z0-9_-]{{1,40}}){_FMT}",
        api.ServiceDefinitionApi.as_view(),
        name="service",
    ),
    re_path(rf"^requests{_FMT}", api.RequestListApi.as_view(), name="requests"),
    re_path(
        rf"^requests/(?P<service_request_id>[A-Za-z0-9-]{{1,20}}){_FMT}",
        api.RequestDetailApi.as_view(),
        name="request",
    ),
    re_path(
        rf"^tokens/(?P<token>[A-Za-z0-9_-]{{1,64}}){_FMT}",
        api.TokenDetailApi.as_view(),
        name="token",
    ),
    re_path(r"^(?P<path>.*)$", api.not_found, name="not-found"),
]
