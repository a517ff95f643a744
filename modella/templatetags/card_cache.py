"""`{% cardcache key %}...{% endcardcache %}`: a fragment cached under `key` (modella.fragments),
shared by every session of the user that asks for the same thing.

Unlike Django's `{% cache %}`, the cached HTML holds no CSRF token: the block is rendered with a
placeholder where `{% csrf_token %}` would write the token, and each response gets its own
session's token put in its place. So one rendered card serves every tab and every poll.
"""

from django import template
from django.core.cache import cache

from modella.fragments import CARD_SECONDS

register = template.Library()

PLACEHOLDER = "__modella_csrf_token__"


class CardCacheNode(template.Node):
    def __init__(self, nodelist, key):
        self.nodelist, self.key = nodelist, key

    def render(self, context):
        key = self.key.resolve(context)
        html = cache.get(f"modella:card:{key}") if key else None
        if html is None:
            with context.push(csrf_token=PLACEHOLDER):
                html = self.nodelist.render(context)
            if key:
                cache.set(f"modella:card:{key}", html, CARD_SECONDS)
        token = context.get("csrf_token")
        return html.replace(PLACEHOLDER, str(token) if token and str(token) != "NOTPROVIDED" else "")


@register.tag
def cardcache(parser, token):
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("{% cardcache key %} takes one argument")
    nodelist = parser.parse(("endcardcache",))
    parser.delete_first_token()
    return CardCacheNode(nodelist, parser.compile_filter(bits[1]))
