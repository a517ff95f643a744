"""`manage.py serve`: the web server and a Django-Q2 worker cluster together, in the foreground.

Ctrl-C (or SIGTERM) stops both; if either one exits, the other is stopped too.
"""

import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server and the Django-Q2 workers together (Ctrl-C stops both)."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port for the web server")

    def handle(self, *args, addr: str, **options):
        manage = [sys.executable, "manage.py"]
        children = [
            subprocess.Popen([*manage, "qcluster"]),
            subprocess.Popen([*manage, "runserver", addr, "--noreload"]),
        ]
        self.stdout.write(self.style.SUCCESS(f"Modella is running on http://{addr}/ (Ctrl-C stops it)"))
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 15
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
