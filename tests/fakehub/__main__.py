"""python -m tests.fakehub [--port P] [--verbose]: serve the demo catalog until Ctrl-C."""

from __future__ import annotations

import argparse
import threading

from .catalog_seed import GATED_AUTO, GATED_MANUAL, PRIVATE_REPO, TINY_REPO
from .hub import FakeHub


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakehub", description=__doc__)
    parser.add_argument("--port", type=int, default=None, help="hub port; cdn = port+1, civitai = port+2")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args()
    hub = FakeHub(port=args.port, verbose=args.verbose).start()
    print(f"Hugging Face hub: {hub.hf_url}   (HF_ENDPOINT={hub.hf_url})")
    print(f"CDN / storage:    {hub.cdn_url}")
    print(f"Civitai:          {hub.civitai_url}")
    print(f"Repos: {len(hub.hf_repo_list())} (tiny: {TINY_REPO}; gated: {GATED_AUTO}, {GATED_MANUAL}; "
          f"private: {PRIVATE_REPO})")
    print("Tokens: HF hf_good / hf_pending / hf_nogrant; Civitai civ_good. Ctrl-C stops.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        hub.stop()


if __name__ == "__main__":
    main()
