"""Template helpers for multi-file downloads (whole repositories, split sets)."""

from django import template

register = template.Library()


@register.filter
def files_done(job) -> int:
    """How many files of a download are verified and in place."""
    from downloads.api import files_done as count

    return count(job)


@register.simple_tag
def whole_repository_offer(repository):
    """The preview of downloading `repository` whole (every file), or None when not worth offering."""
    from catalog import whole_repo

    if repository is None or not whole_repo.offers_whole_repository(repository):
        return None
    return whole_repo.preview(repository, [], [])
