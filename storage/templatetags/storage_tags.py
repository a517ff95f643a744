"""Sizes in the user's locale: "127.4 GB" in English, "127,4 GB" in German."""

from django import template
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()

_UNITS = [
    (1024**5, lambda n: _("%(size)s PB") % {"size": n}),
    (1024**4, lambda n: _("%(size)s TB") % {"size": n}),
    (1024**3, lambda n: _("%(size)s GB") % {"size": n}),
    (1024**2, lambda n: _("%(size)s MB") % {"size": n}),
    (1024, lambda n: _("%(size)s KB") % {"size": n}),
]


def format_size(value) -> str:
    """Binary units with at most one decimal, in the active locale's number format."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return ""
    sign = "−" if number < 0 else ""
    number = abs(number)
    for factor, label in _UNITS:
        if number >= factor:
            scaled = round(number / factor, 1)
            decimals = 0 if scaled == int(scaled) else 1
            return sign + label(formats.number_format(scaled, decimals, use_l10n=True))
    count = formats.number_format(number, 0, use_l10n=True)
    return sign + ngettext("%(size)s byte", "%(size)s bytes", number) % {"size": count}


@register.filter(name="size")
def size_filter(value) -> str:
    return format_size(value)


@register.filter
def percent_of(part, whole) -> str:
    """A share as a localized percentage with one decimal ("12.5 %")."""
    try:
        share = 100 * float(part) / float(whole)
    except (TypeError, ValueError, ZeroDivisionError):
        share = 0.0
    return _("%(percent)s%%") % {"percent": formats.number_format(round(share, 1), 1, use_l10n=True)}
