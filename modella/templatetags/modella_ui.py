"""Small display filters for the pages: speeds, durations and rating dots (sizes: storage_tags)."""

from django import template
from django.utils.translation import gettext as _

from storage.templatetags.storage_tags import format_size

register = template.Library()

@register.filter
def speed(value) -> str:
    """Bytes per second -> "52.4 MB/s"."""
    if not value:
        return ""
    return _("%(size)s/s") % {"size": format_size(value)}


@register.filter
def duration(seconds) -> str:
    """43 -> "43 s", 300 -> "5 min", 4800 -> "1 h 20 min"."""
    if seconds is None or seconds == "":
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return _("%(seconds)d s") % {"seconds": seconds}
    minutes = seconds // 60
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    return _("%(hours)d h %(minutes)d min") % {"hours": minutes // 60, "minutes": minutes % 60}


@register.filter
def dots(rating) -> str:
    """3 -> "●●●○○" (decorative; the page gives the text alternative beside it)."""
    try:
        rating = max(0, min(5, int(rating)))
    except (TypeError, ValueError):
        return ""
    return "●" * rating + "○" * (5 - rating)


@register.filter
def sub(value, other) -> int:
    """value - other, for "… left after" lines."""
    try:
        return int(value) - int(other)
    except (TypeError, ValueError):
        return 0
