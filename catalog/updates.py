"""Update checks: is the file on disk still what the hub serves?

Fetching a repository again (catalog.sync) compares each downloaded variant's stored SHA-256
(or git blob id for small non-LFS files) with the remote's and marks changed ones
`update_available`, with the old and new commit, hash and size in `update_details`. This module
only decides which repositories to look at, and keeps going when one of them fails.
"""

from __future__ import annotations

import logging

from catalog.models import ModelRepository, Source
from catalog.sync import fetch_repository
from modella.errors import ModellaError

logger = logging.getLogger(__name__)


def check_all() -> int:
    """Check every Hugging Face repository with a downloaded variant; returns how many have updates."""
    found = 0
    repos = ModelRepository.objects.with_downloads().filter(source=Source.HUGGINGFACE).values_list("repo", flat=True)
    for repo in list(repos):
        try:
            repository = fetch_repository(repo)
        except ModellaError as exc:
            # One unreachable or deleted repository must not stop the others.
            logger.info("Update check of %s failed: %s", repo, exc)
            continue
        if repository.variants.filter(update_available=True).exists():
            found += 1
    return found
