from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def sms_is_on() -> bool:
    """Whether the portal can send SMS (``LAPOR_SMS_BACKEND``): what the pages promise about
    private links follows it."""
    return bool(settings.LAPOR_SMS_BACKEND)
