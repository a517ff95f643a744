"""Django-Q2 entry points of the catalog (thin: they call one function each)."""

from catalog import updates


def check_updates() -> int:
    """Scheduled: compare every downloaded variant with its remote file (see catalog.updates)."""
    return updates.check_all()


def queue_early_access_ended() -> int:
    """Scheduled: queue the Civitai files users asked for once their Early Access has ended."""
    from catalog import civitai_store

    return civitai_store.queue_early_access_ended()
