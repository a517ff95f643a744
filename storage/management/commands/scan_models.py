from django.core.management.base import BaseCommand

from storage import scan


class Command(BaseCommand):
    help = "Find model files in the models directory that Modella did not download, hash, identify and import them."

    def add_arguments(self, parser):
        parser.add_argument("--no-identify", action="store_true", help="Do not ask Civitai about the hashes.")

    def handle(self, *args, **options):
        result = scan.scan(identify_files=not options["no_identify"])
        self.stdout.write(
            f"{result.found} model files found: {result.hashed} hashed ({result.bytes_hashed} bytes), "
            f"{result.cached} unchanged, {result.identified} identified on Civitai, {result.forgotten} gone"
        )
        for error in result.errors:
            self.stderr.write(error)
        if result.lookup_errors:
            self.stderr.write("Civitai could not be reached; unidentified files are asked again on the next scan.")
