"""Django-Q2 entry points of the catalog (thin: they call one function each)."""

from catalog import updates


def check_updates() -> int:
    """Scheduled: compare every downloaded variant with its remote file (see catalog.updates)."""
    return updates.check_all()


def queue_early_access_ended() -> int:
    """Scheduled: queue the Civitai files users asked for once their Early Access has ended."""
    from catalog import civitai_store

    return civitai_store.queue_early_access_ended()


def read_gguf_shape(repo: str) -> bool:
    """Queued after a fetch (catalog.probe.queue_remote_shape): read the GGUF header of `repo` from
    the hub with a Range request, so its variants get a fit estimate before any download."""
    from catalog import probe
    from catalog.models import ModelRepository

    repository = ModelRepository.objects.filter(repo__iexact=repo).first()
    if repository is None or not probe.wants_remote_shape(repository):
        return False
    return bool(probe.read_remote_shape(repository))
