from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from complaints import views as complaint_views
from demo import phone as demo_phone

urlpatterns = [
    path("", complaint_views.home, name="home"),
    path("", include("complaints.urls")),
    path("", include("messaging.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("reports/", include("reports.urls")),
    path("api/v1/", include("lapor.api_urls")),
    path("open311/v2/", include("open311.urls")),
    # Off (404) unless LAPOR_DEMO_PHONE: `make run` only.
    path("demo/ponsel/", demo_phone.phone, name="demo-phone"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up as a script file: no inline script (CSP).
    # Swagger UI sets inline styles as it draws, so this one page allows those (styles only).
    path(
        "api/docs/",
        csp_update({"style-src": [UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    # The admin's login page links "Forgotten your password?" here when the name exists.
    path(
        "admin/password_reset/",
        RedirectView.as_view(pattern_name="complaints:password-reset"),
        name="admin_password_reset",
    ),
    path("admin/", admin.site.urls),
]

handler400 = "lapor.errors.bad_request"
handler403 = "lapor.errors.permission_denied"
handler404 = "lapor.errors.page_not_found"
handler500 = "lapor.errors.server_error"
