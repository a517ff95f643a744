"""A local emulator of the Hugging Face Hub, its LFS CDN, and the Civitai API, for tests.

    from tests.fakehub import FakeHub, Fault
    with FakeHub() as hub:
        hub.hf_url, hub.cdn_url, hub.civitai_url

Run it alone with `python -m tests.fakehub --port 8765`.
"""

from .content import BytesContent, Content, GeneratedContent
from .faults import Fault
from .hub import FakeHub
from .server import RequestRecord

__all__ = ["BytesContent", "Content", "FakeHub", "Fault", "GeneratedContent", "RequestRecord"]
