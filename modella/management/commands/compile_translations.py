"""`manage.py compile_translations`: compile every locale/*/LC_MESSAGES/*.po to .mo with polib.

Pure Python, so a fresh machine needs no GNU gettext. The compiled .mo files are committed; a test
fails when one is stale against its .po.
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


def po_files() -> list[Path]:
    return sorted(p for root in settings.LOCALE_PATHS for p in Path(root).glob("*/LC_MESSAGES/*.po"))


class Command(BaseCommand):
    help = "Compile the translation catalogs (.po -> .mo) without GNU gettext."

    def add_arguments(self, parser):
        parser.add_argument("-l", "--locale", action="append", default=[], help="only these locales (repeatable)")

    def handle(self, *args, locale: list[str], **options):
        for po_path in po_files():
            if locale and po_path.parent.parent.name not in locale:
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
            self.stdout.write(f"compiled {po_path.relative_to(settings.BASE_DIR)}")
