"""Django-Q2 entry points of the storage app: thin functions that call one thing."""

from storage import scan, snapshots


def take_snapshot() -> None:
    snapshots.take()


def thin_snapshots() -> None:
    snapshots.thin()


def scan_models_folder() -> dict:
    """Scan the models directory (started from the Storage page); returns the scan's counts."""
    return scan.scan().as_dict()
