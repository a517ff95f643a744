"""Civitai models as stored by the fake hub, and their API renderings (model, version, hashes)."""

from __future__ import annotations

import copy
import hashlib
import threading
from dataclasses import dataclass
from urllib.parse import urlencode

from .content import Content, GeneratedContent, as_content

MODEL_TYPES = [
    "Checkpoint", "TextualInversion", "Hypernetwork", "AestheticGradient", "LORA", "LoCon", "DoRA", "Controlnet",
    "Upscaler", "MotionModule", "VAE", "TextEncoder", "UNet", "CLIPVision", "Poses", "Wildcards", "Workflows",
    "ComfyWorkflows", "Detection", "VisionLanguage", "CLIP", "LLM", "Other",
]
FILE_TYPES = [
    "Model", "Text Encoder", "Vision Encoder", "Pruned Model", "Negative", "Training Data", "VAE", "Config",
    "Archive", "UNet", "Diffusion Model", "CLIPVision", "ControlNet", "Workflow", "Upscaler", "Enhancement LoRA",
    "Other",
]
FILE_FORMATS = ["SafeTensor", "PickleTensor", "GGUF", "Diffusers", "Core ML", "ONNX", "Other"]
AIR_ECOSYSTEMS = {"SD 1.5": "sd1", "SD 1.4": "sd1", "SDXL 1.0": "sdxl", "Pony": "sdxl", "Illustrious": "sdxl",
                  "Flux.1 D": "flux1", "Flux.1 S": "flux1", "SD 3.5": "sd3"}
AIR_TYPES = {"TextualInversion": "embedding", "LORA": "lora", "LoCon": "lycoris", "DoRA": "lora"}


@dataclass
class ModelFlags:
    require_auth: bool = False
    early_access_deadline: str | None = None  # ISO date; downloads 403 "Early Access" until then


def civitai_hashes(content: Content, filename: str = "") -> dict[str, str]:
    """The hash set Civitai stores per file (upper-case hex).

    AutoV1 is Civitai's legacy "model hash" (SHA-256 of 64 KiB at offset 1 MiB, 8 hex). BLAKE3 is
    a stand-in (stdlib has no BLAKE3): consistent for by-hash lookups, not verifiable by clients.
    AutoV3 (hash of safetensors tensor data) is given only for stored safetensors files.
    """
    sha = content.sha256.upper()
    window = content.read(0x100000, 0x110000)  # empty for files under 1 MiB, as in the legacy algorithm
    hashes = {
        "AutoV1": hashlib.sha256(window).hexdigest()[:8].upper(),
        "AutoV2": sha[:10],
        "SHA256": sha,
        "CRC32": content.crc32.upper(),
        "BLAKE3": hashlib.blake2s(bytes.fromhex(sha) + b"blake3-standin").hexdigest().upper(),
    }
    if filename.endswith(".safetensors") and not isinstance(content, GeneratedContent) and content.size > 8:
        header_len = int.from_bytes(content.read(0, 8), "little")
        if 8 + header_len <= content.size:
            hashes["AutoV3"] = hashlib.sha256(content.read(8 + header_len)).hexdigest()[:12].upper()
    return hashes


class CivitaiStore:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.models: dict[int, dict] = {}
        self.flags: dict[int, ModelFlags] = {}
        self.contents: dict[int, Content] = {}
        self.version_model: dict[int, int] = {}
        self.file_version: dict[int, int] = {}

    # ---- mutation -------------------------------------------------------------------------
    def add(self, model: dict, require_auth: bool = False, early_access_deadline: str | None = None) -> dict:
        model = copy.deepcopy(model)
        with self.lock:
            self.models[model["id"]] = model
            self.flags[model["id"]] = ModelFlags(require_auth, early_access_deadline)
            for version in model.get("modelVersions", []):
                self.version_model[version["id"]] = model["id"]
                for file in version.get("files", []):
                    self.file_version[file["id"]] = version["id"]
                    if file["id"] not in self.contents:
                        size = round(float(file.get("sizeKB", 1)) * 1024)
                        self.contents[file["id"]] = GeneratedContent(size, seed=file["id"])
        return model

    def remove(self, model_id: int) -> None:
        with self.lock:
            model = self.models.pop(model_id, None)
            self.flags.pop(model_id, None)
            for version in (model or {}).get("modelVersions", []):
                self.version_model.pop(version["id"], None)
                for file in version.get("files", []):
                    self.file_version.pop(file["id"], None)

    def set_content(self, file_id: int, content: Content | bytes) -> None:
        with self.lock:
            self.contents[file_id] = as_content(content)

    # ---- lookups --------------------------------------------------------------------------
    def content_for(self, file_id: int) -> Content | None:
        return self.contents.get(file_id) if file_id in self.file_version else None

    def version(self, version_id: int) -> tuple[dict, dict] | None:
        model_id = self.version_model.get(version_id)
        if model_id is None:
            return None
        model = self.models[model_id]
        return model, next(v for v in model["modelVersions"] if v["id"] == version_id)

    def find_by_hash(self, value: str) -> tuple[dict, dict] | None:
        value = value.upper()
        matches = []
        for model in self.models.values():
            if model.get("status", "Published") != "Published":
                continue
            for version in model.get("modelVersions", []):
                if version.get("status", "Published") != "Published":
                    continue
                for file in version.get("files", []):
                    if value in self._hashes(file).values():
                        matches.append((version.get("publishedAt") or "", version["id"], model, version))
        if not matches:
            return None
        _, _, model, version = min(matches, key=lambda m: (m[0], m[1]))
        return model, version

    def _hashes(self, file: dict) -> dict[str, str]:
        content = self.contents[file["id"]]
        cached = content.meta.get("_civitai_hashes")
        if cached is None:
            cached = civitai_hashes(content, file.get("name", ""))
            content.meta["_civitai_hashes"] = cached
        return cached

    def early_access_ends(self, model: dict, version: dict) -> str | None:
        flags = self.flags.get(model["id"])
        return (flags.early_access_deadline if flags else None) or version.get("earlyAccessEndsAt")

    # ---- rendering ------------------------------------------------------------------------
    def render_file(self, version: dict, file: dict, civitai_url: str, always_primary: bool,
                    basic_metadata: bool) -> dict:
        content = self.contents[file["id"]]
        data = {k: v for k, v in file.items() if k not in ("url", "visibility")}
        data["sizeKB"] = content.size / 1024
        data["hashes"] = dict(self._hashes(file))
        metadata = dict(file.get("metadata") or {})
        if basic_metadata:
            metadata = {k: metadata[k] for k in ("format", "size", "fp") if k in metadata}
        data["metadata"] = metadata
        primary = bool(file.get("primary"))
        url = f"{civitai_url}/api/download/models/{version['id']}"
        if not primary:
            query = {"type": file.get("type")} | {k: metadata.get(k) for k in ("format", "size", "fp")}
            url += "?" + urlencode({k: v for k, v in query.items() if v})
        data["downloadUrl"] = url
        if always_primary:
            data["primary"] = primary
        elif primary:
            data["primary"] = True
        else:
            data.pop("primary", None)
        return data

    @staticmethod
    def render_image(image: dict, cdn_url: str) -> dict:
        data = dict(image)
        if str(data.get("url", "")).startswith("/"):
            data["url"] = cdn_url + data["url"]
        return data

    def render_model(self, model: dict, civitai_url: str, cdn_url: str, primary_only: bool = False) -> dict:
        data = copy.deepcopy(model)
        data.pop("status", None)
        archived = data.get("mode") == "Archived"
        taken_down = data.get("mode") == "TakenDown"
        creator = data.get("creator") or {}
        if str(creator.get("image", "")).startswith("/"):
            creator["image"] = cdn_url + creator["image"]
        versions = []
        for version in model.get("modelVersions", []):
            if version.get("status", "Published") != "Published":
                continue
            v = {k: val for k, val in version.items() if k not in ("files", "images")}
            if early_access := self.early_access_ends(model, version):
                v["availability"], v["earlyAccessEndsAt"] = "EarlyAccess", early_access
            files = [f for f in version.get("files", []) if f.get("visibility", "Public") == "Public"]
            if primary_only:
                files = [f for f in files if f.get("primary")][:1]
            v["files"] = [] if archived else [
                self.render_file(version, f, civitai_url, always_primary=False, basic_metadata=False) for f in files
            ]
            v["images"] = [] if taken_down else [self.render_image(i, cdn_url) for i in version.get("images", [])]
            if not archived:
                v["downloadUrl"] = f"{civitai_url}/api/download/models/{version['id']}"
            versions.append(v)
        data["modelVersions"] = versions
        return data

    def render_version(self, model: dict, version: dict, civitai_url: str, cdn_url: str) -> dict:
        model_type = model.get("type", "Other")
        ecosystem = AIR_ECOSYSTEMS.get(version.get("baseModel", ""), "other")
        air_type = AIR_TYPES.get(model_type, model_type.lower())
        files = [f for f in version.get("files", []) if f.get("visibility", "Public") == "Public"]
        archived = model.get("mode") == "Archived"
        data = {
            "id": version["id"],
            "modelId": model["id"],
            "name": version.get("name"),
            "description": version.get("description"),
            "baseModel": version.get("baseModel"),
            "baseModelType": version.get("baseModelType", "Standard"),
            "air": f"urn:air:{ecosystem}:{air_type}:civitai:{model['id']}@{version['id']}",
            "status": version.get("status", "Published"),
            "availability": version.get("availability", "Public"),
            "nsfwLevel": version.get("nsfwLevel", 1),
            "createdAt": version.get("createdAt"),
            "updatedAt": version.get("updatedAt", version.get("publishedAt")),
            "publishedAt": version.get("publishedAt"),
            "uploadType": version.get("uploadType", "Created"),
            "usageControl": version.get("usageControl", "Download"),
            "trainedWords": version.get("trainedWords", []),
            "trainingStatus": None,
            "trainingDetails": None,
            "licensingFee": None,
            "paidAccess": None,
            "stats": {k: version.get("stats", {}).get(k, 0) for k in ("downloadCount", "thumbsUpCount")},
            "model": {k: model[k] for k in ("name", "type", "nsfw", "poi", "mode") if k in model},
            "files": [] if archived else [
                self.render_file(version, f, civitai_url, always_primary=True, basic_metadata=True) for f in files
            ],
            "images": [] if model.get("mode") == "TakenDown" else [
                self.render_image(i, cdn_url) for i in version.get("images", [])[:10]
            ],
        }
        early_access = self.early_access_ends(model, version)
        if early_access:
            data["availability"] = "EarlyAccess"
            data["earlyAccessEndsAt"] = early_access
        if not archived:
            data["downloadUrl"] = f"{civitai_url}/api/download/models/{version['id']}"
        return data
