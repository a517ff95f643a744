"""Civitai models stored in the catalog: one variant per file of each version, types, base
models, NSFW, trigger words and images kept; listed in /api/v1/modelfiles with both sources."""

from catalog import civitai_store, sync
from catalog.models import ModelRepository, ModelVariant
from tests.factories import ModelRepositoryFactory, ModelVariantFactory


def test_resolving_a_civitai_url_stores_the_model_and_every_file(civ, api_client):
    response = api_client.post("/api/v1/modelfiles/resolve", {"input": "https://civitai.red/models/4203"},
                               format="json")
    assert response.status_code == 200
    data = response.json()
    assert data["repo"] == "civitai:4203" and data["source"] == "civitai"
    assert data["metadata"]["model_type"] == "Checkpoint" and data["metadata"]["base_model"] == "SD 1.5"
    assert sorted(v["filename"] for v in data["variants"]) == [
        "classicRealism_v8.safetensors", "classicRealism_v8.yaml", "classicRealism_v8_full.safetensors"]
    assert data["metadata"]["recommended_filename"] == "classicRealism_v8.safetensors"


def test_every_version_becomes_variants_with_their_own_base_model(civ):
    repository = sync.fetch_repository("civitai:4214")
    variants = {v.civitai_version_id: v for v in repository.variants.all()}
    assert set(variants) == {600217, 600218}
    assert variants[600218].is_recommended  # primary file of the newest version
    assert variants[600217].base_model == "Pony" and variants[600217].model_type == "LORA"
    assert variants[600217].files[0]["sha256"] == variants[600217].sha256 and len(variants[600217].sha256) == 64
    assert variants[600217].format == "safetensors"
    extra = repository.extra["civitai"]
    assert [v["nsfw_level"] for v in extra["versions"]] == [8, 1]
    assert extra["versions"][0]["images"][0]["nsfw_level"] == 8
    assert repository.nsfw  # one version is adult


def test_trigger_words_are_kept(civ):
    repository = civitai_store.fetch_repository("civitai:4202")
    assert repository.extra["civitai"]["versions"][0]["trained_words"] == ["paperlantern style"]
    assert repository.author == "lanternmaker" and repository.likes == 37


def test_files_with_the_same_name_in_two_versions_stay_apart(civ):
    model = civ.civitai.models[4201]
    model["modelVersions"][1]["files"][0]["name"] = model["modelVersions"][0]["files"][0]["name"]
    repository = civitai_store.fetch_repository("civitai:4201")
    assert sorted(repository.variants.values_list("filename", flat=True)) == [
        "600202-dreamforgeXL_v20.safetensors", "dreamforgeXL_v20.safetensors"]


def test_syncing_again_keeps_variant_ids_and_drops_files_gone_upstream(civ):
    first = {v.civitai_file_id: v.pk for v in civitai_store.fetch_repository("civitai:4203").variants.all()}
    civ.civitai.models[4203]["modelVersions"][0]["files"].pop()  # the yaml goes away
    from django.core.cache import cache

    cache.clear()
    second = {v.civitai_file_id: v.pk for v in civitai_store.fetch_repository("civitai:4203").variants.all()}
    assert second == {k: v for k, v in first.items() if k != 700206}


def test_type_and_base_model_filters_work_across_both_sources(civ, api_client):
    hf = ModelRepositoryFactory(author="acme", name="sd15-lora", model_type="LORA", base_model="SD 1.5")
    ModelVariantFactory(repository=hf, filename="x.safetensors", size=10)
    civitai_store.fetch_repository("civitai:4216")
    civitai_store.fetch_repository("civitai:4203")

    def repos(query):
        return sorted(r["repo"] for r in api_client.get(f"/api/v1/modelfiles?{query}").json()["repositories"])

    assert repos("type=LORA") == ["acme/sd15-lora", "civitai:4216"]
    assert repos("base_model=SD 1.5") == ["acme/sd15-lora", "civitai:4203", "civitai:4216"]
    assert repos("type=Checkpoint&source=civitai") == ["civitai:4203"]


def test_downloaded_files_show_in_modelfiles(civ, api_client):
    repository = civitai_store.fetch_repository("civitai:4216")
    variant = repository.variants.get(civitai_file_id=700161)
    variant.mark_downloaded("civitai/LORA/Tiny Test LoRA-4216/tiny_test_lora.safetensors")
    data = api_client.get("/api/v1/modelfiles?source=civitai&status=downloaded").json()
    assert [r["repo"] for r in data["repositories"]] == ["civitai:4216"]
    assert data["repositories"][0]["variants"][0]["status"] == "downloaded"


def test_identification_by_hash_uses_the_one_civitai_client(civ):
    from storage import identify

    sha = civ.civitai.contents[700161].sha256
    version = identify.civitai_version_by_hash(sha)
    assert version["id"] == 600161
    assert civ.requests_for("/by-hash/")[-1].path.endswith(sha.upper())
    identify.civitai_version_by_hash(sha)
    assert len(civ.requests_for("/by-hash/")) == 1  # cached by the client
    assert not ModelRepository.objects.exists() and not ModelVariant.objects.exists()


def test_a_version_link_selects_that_versions_primary_file(civ, api_client):
    response = api_client.post("/api/v1/modelfiles/resolve",
                               {"input": "https://civitai.com/models/4201?modelVersionId=600202"}, format="json")
    assert response.json()["selected_filename"] == "dreamforgeXL_v10.safetensors"
