"""Template helpers for the "Add to list" menu that every page with a model or file can show.

    {% include "lists/_add_to_list.html" with repo=repository.repo filename=variant.filename %}

or, the same thing as a tag: `{% load lists_tags %}{% add_to_list repository.repo variant.filename %}`.
The user's lists are read once per request however many menus a page shows.
"""

from django import template

from lists.models import ModelList, ModelListItem

register = template.Library()


def _user_lists(request) -> tuple[list[ModelList], set[tuple[int, str, str]]]:
    cached = getattr(request, "_modella_user_lists", None)
    if cached is None:
        user = getattr(request, "user", None)
        model_lists = list(ModelList.objects.owned_by(user).only("pk", "name"))
        contents = set(
            ModelListItem.objects.filter(model_list__in=model_lists).values_list("model_list_id", "repo", "filename")
        )
        cached = (model_lists, contents)
        request._modella_user_lists = cached
    return cached


def forget_user_lists(request) -> None:
    """Drop the per-request cache (after a list or an item was added in this request)."""
    request.__dict__.pop("_modella_user_lists", None)


@register.simple_tag(takes_context=True)
def add_to_list_menu(context, repo, filename=""):
    """The menu's data: [{"list", "contains"}] for the current user, and the item's label."""
    request = context.get("request")
    if request is None:
        return {"lists": [], "label": repo}
    model_lists, contents = _user_lists(request)
    filename = filename or ""
    return {
        "lists": [{"list": ml, "contains": (ml.pk, repo, filename) in contents} for ml in model_lists],
        "label": f"{repo} · {filename}" if filename else repo,
    }


@register.inclusion_tag("lists/_add_to_list.html", takes_context=True)
def add_to_list(context, repo, filename=""):
    return {"request": context.get("request"), "csrf_token": context.get("csrf_token"), "repo": repo,
            "filename": filename or "", "user": context.get("user")}
