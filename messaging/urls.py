from django.urls import path

from messaging import sms_views, whatsapp_views

app_name = "messaging"

urlpatterns = [
    path("kanal/sms/", sms_views.receive, name="sms"),
    path("kanal/whatsapp/", whatsapp_views.webhook, name="whatsapp"),
]
