"""Cache keys for the Models page's repository cards (`{% cardcache %}` in templates/modella/home.html,
modella/templatetags/card_cache.py).

Rendering a card's variants table is most of the Models page's cost (about 0.6 ms a row, 160
rows a page), and the page is re-rendered every 2 s by every open tab while a download runs,
although only the card of that download changes. A card is therefore cached under a key made of
everything it shows, so that a cached card is never stale:

* the repository and every decorated variant and job on it (all their field values and the
  `ui_*` attributes the view attached), so any change in the catalog or in a download's progress
  is a new key;
* the request: language, user, full path (the forms' `next`), the user's lists (the "Add to
  list" menu). The CSRF token is not part of a cached card: `{% cardcache %}` puts each
  response's own token in;
* the process (a restart or deploy never serves cards rendered by other code) and the memory
  settings the "Fits" column reads.
"""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import get_language

CARD_SECONDS = 60
_PROCESS = uuid.uuid4().hex


def state(value, depth: int = 0) -> str:
    """A text picture of `value`: a model instance by its public attributes (field values and what
    views attached, in their stable order), following related instances and lists of them."""
    if isinstance(value, models.Model):
        if depth > 3:
            return f"{type(value).__name__}:{value.pk}"
        inner = ", ".join(f"{k}={state(v, depth + 1)}" for k, v in vars(value).items() if not k.startswith("_"))
        return f"{type(value).__name__}({inner})"
    if isinstance(value, list | tuple) and any(isinstance(v, models.Model) for v in value):
        return "[" + ", ".join(state(v, depth) for v in value) + "]"
    return repr(value)


def _user_lists(request) -> tuple:
    try:
        from lists.templatetags.lists_tags import _user_lists as lists_of
    except ImportError:  # pragma: no cover - without the lists app the menu is not shown
        return ()
    model_lists, contents = lists_of(request)
    return tuple((ml.pk, ml.name) for ml in model_lists), tuple(sorted(contents))


def card_keys(request, repositories) -> None:
    """Set `ui_card_key` on each repository (see the module docstring)."""
    context = repr((
        _PROCESS, get_language(), request.user.pk, request.get_full_path(), _user_lists(request),
        [getattr(settings, name, None) for name in ("RAM_BYTES", "GPU_BYTES", "FIT_CONTEXT", "HF_ENDPOINT",
                                                     "CIVITAI_ENDPOINT")],
    ))
    for repository in repositories:
        picture = context + state(repository)
        repository.ui_card_key = hashlib.sha256(picture.encode()).hexdigest()
