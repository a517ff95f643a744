"""Will it fit: the recommended variant is the best-rated one that fits this machine's GPU, else its RAM."""

import pytest

from catalog import probe, sync
from catalog.models import ModelVariant
from tests.fakehub import FakeHub
from tests.fakehub.catalog_seed import GGUF_REPO

GiB = 1024**3
# The emulator's seeded Llama 2 7B Chat repository: 14 quantizations with the community files'
# sizes and real GGUF headers of the 7B shape (32 layers, 32 heads, 32 KV heads: multi-head
# attention, a 2 GiB KV cache at 4096 tokens), so every variant needs its size + 2.5 GiB.
REPO = GGUF_REPO
STEM = "llama-2-7b-chat"


@pytest.fixture
def repo(hub):
    return REPO


def recommended(repository) -> str:
    return ModelVariant.objects.get(repository=repository, is_recommended=True).quant_method


def verdicts(repository) -> dict:
    return {v.quant_method: v.fit.verdict for v in repository.variants.all()}


def read_header(repository, tmp_path, quant="Q4_K_M"):
    """What a finished download does: the file's header is read into the catalog (catalog.probe)."""
    variant = repository.variants.get(filename=f"{STEM}.{quant}.gguf")
    path = tmp_path / variant.filename
    path.write_bytes(FakeHub.gguf_bytes(arch="llama", n_params_hint=6.74e9, quant=quant))
    probe.update_variant_from_file(variant, path)
    repository.refresh_from_db()


def test_a_machine_with_room_gets_the_best_rated_quantization(repo, settings):
    settings.RAM_BYTES, settings.GPU_BYTES = 32 * GiB, 0
    assert recommended(sync.fetch_repository(repo)) == "Q4_K_M"


def test_before_any_header_is_read_weights_too_large_for_the_ram_are_passed_over(repo, settings):
    # 6 GiB - 2 GiB reserve: only the files up to IQ4_XS (3.6 GB + the runtime) may fit.
    settings.RAM_BYTES, settings.GPU_BYTES = 6 * GiB, 0
    repository = sync.fetch_repository(repo)
    assert recommended(repository) == "IQ4_XS"
    found = verdicts(repository)
    assert {q for q, v in found.items() if v == "unknown"} == {"Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "IQ4_XS"}
    assert found["Q4_K_M"] == found["F16"] == "too_large"


def test_once_the_header_is_known_a_variant_that_fits_the_gpu_is_preferred(repo, settings, tmp_path):
    settings.RAM_BYTES, settings.GPU_BYTES = 32 * GiB, 6 * GiB
    repository = sync.fetch_repository(repo)
    assert recommended(repository) == "Q4_K_M"  # nothing is known to fit the GPU yet
    read_header(repository, tmp_path)
    # 5.5 GiB of GPU: Q3_K_S (2.95 GB + 2.5 GiB) fits, Q3_K_M (3.3 GB + 2.5 GiB) does not.
    found = verdicts(repository)
    assert {q for q, v in found.items() if v == "gpu"} == {"Q2_K", "Q3_K_S"}
    assert found["Q3_K_M"] == found["Q4_K_M"] == found["F16"] == "ram"
    assert recommended(repository) == "Q3_K_S"
    # A later fetch keeps the shape it learnt and the same choice.
    repository = sync.fetch_repository(repo)
    assert repository.extra["gguf_shape"]["head_count_kv"] == 32
    assert recommended(repository) == "Q3_K_S"


def test_a_larger_gpu_keeps_the_best_rated_quantization(repo, settings, tmp_path):
    settings.RAM_BYTES, settings.GPU_BYTES = 32 * GiB, 7 * GiB
    repository = sync.fetch_repository(repo)
    read_header(repository, tmp_path, quant="Q8_0")
    assert verdicts(repository)["Q4_K_M"] == "gpu"
    assert recommended(sync.fetch_repository(repo)) == "Q4_K_M"


def test_without_a_gpu_the_best_rated_variant_that_fits_the_ram_is_chosen(repo, settings, tmp_path):
    settings.RAM_BYTES, settings.GPU_BYTES = 8 * GiB, 0  # 6 GiB usable
    repository = sync.fetch_repository(repo)
    read_header(repository, tmp_path)
    found = verdicts(repository)
    assert (found["IQ4_XS"], found["Q4_0"]) == ("ram", "too_large")
    assert recommended(repository) == "IQ4_XS"


def test_when_nothing_fits_the_quality_pick_stays(repo, settings):
    settings.RAM_BYTES, settings.GPU_BYTES = 2 * GiB, 0
    assert recommended(sync.fetch_repository(repo)) == "Q4_K_M"


def test_the_page_marks_the_fitting_variant_recommended(repo, settings, tmp_path, logged_in_client):
    settings.RAM_BYTES, settings.GPU_BYTES = 32 * GiB, 6 * GiB
    repository = sync.fetch_repository(repo)
    read_header(repository, tmp_path)
    body = logged_in_client.get(f"/models/info/{repo}").content.decode()
    row = body.split(f'class="filename" title="{STEM}.Q3_K_S.gguf"')[1].split("</tr>")[0]
    assert "Recommended" in row and "Fits in GPU" in row
