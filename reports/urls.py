from django.urls import path, re_path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.monthly, name="monthly"),
    re_path(r"^export\.(?P<kind>csv|xlsx|pdf)$", views.monthly_export, name="monthly-export"),
    path("evaluation/", views.evaluation, name="evaluation"),
    re_path(
        r"^evaluation/export\.(?P<kind>csv|pdf)$", views.evaluation_export, name="evaluation-export"
    ),
]
