"""DELETE a downloaded file; GET a repository's metadata."""

from catalog.models import ModelVariant
from tests.factories import ModelRepositoryFactory, ModelVariantFactory


def test_deleting_removes_the_file_and_its_parts(api_client, db, models_dir):
    repository = ModelRepositoryFactory(repo="o/split")
    parts = [f"m.Q8_0-0000{i}-of-00003.gguf" for i in (1, 2, 3)]
    variant = ModelVariantFactory(repository=repository, filename=parts[0],
                                  files=[{"path": p, "size": 3, "sha256": ""} for p in parts])
    folder = models_dir / "huggingface" / "o" / "split"
    folder.mkdir(parents=True)
    for part in parts:
        (folder / part).write_bytes(b"abc")
    variant.mark_downloaded(f"huggingface/o/split/{parts[0]}")
    response = api_client.delete(f"/api/v1/modelfiles/o/split/files/{parts[0]}")
    assert response.status_code == 204
    assert not any(folder.iterdir())
    variant.refresh_from_db()
    assert variant.local_path == ""
    status = api_client.get("/api/v1/modelfiles").json()["repositories"][0]["variants"][0]["status"]
    assert status == "available"


def test_deleting_a_file_that_is_not_downloaded_is_not_found(api_client, db):
    variant = ModelVariantFactory(repository=ModelRepositoryFactory(repo="o/x"), filename="a.gguf")
    assert api_client.delete(f"/api/v1/modelfiles/o/x/files/{variant.filename}").status_code == 404
    assert api_client.delete("/api/v1/modelfiles/o/x/files/missing.gguf").status_code == 404
    assert api_client.delete("/api/v1/modelfiles/o/nope/files/a.gguf").status_code == 404


def test_a_stored_path_outside_the_models_directory_is_refused(api_client, db, tmp_path):
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    variant = ModelVariantFactory(repository=ModelRepositoryFactory(repo="o/evil"), filename="a.gguf")
    ModelVariant.objects.filter(pk=variant.pk).update(local_path="../precious.txt")
    response = api_client.delete("/api/v1/modelfiles/o/evil/files/a.gguf")
    assert response.status_code == 400
    assert outside.read_text() == "keep me"


def test_metadata_of_a_known_repository(api_client, db):
    repository = ModelRepositoryFactory(repo="o/llama", family="llama", license="llama2", tags=["chat"])
    ModelVariantFactory(repository=repository, filename="m.Q8_0.gguf", quant_method="Q8_0", quant_bits=8.5)
    ModelVariantFactory(repository=repository, filename="m.Q4_K_M.gguf", quant_method="Q4_K_M", quant_bits=4.89,
                        is_recommended=True, parameters=7_000_000_000, architecture="llama")
    data = api_client.get("/api/v1/modelfiles/o/llama/metadata").json()
    assert data == {
        "repo": "o/llama", "filename": "m.Q4_K_M.gguf", "model_family": "llama", "architecture": "llama",
        "parameters": 7_000_000_000, "quantization": {"bits": 4, "bits_per_weight": 4.89, "method": "Q4_K_M"},
        "license": "llama2", "tags": ["chat"],
        "performance_metrics": {"speed_rating": 4, "memory_rating": 4, "quality_rating": 3},
    }
    other = api_client.get("/api/v1/modelfiles/o/llama/metadata", {"filename": "m.Q8_0.gguf"}).json()
    assert other["quantization"]["method"] == "Q8_0"
    assert other["performance_metrics"]["quality_rating"] == 5


def test_metadata_of_an_unknown_repository_is_fetched_from_the_hub(api_client, hub):
    data = api_client.get("/api/v1/modelfiles/acme/tiny-llama-gguf/metadata").json()
    assert data["quantization"]["method"] == "Q4_K_M"
    assert data["model_family"] == "llama"


def test_metadata_of_a_repository_unknown_everywhere_is_not_found(api_client, hub):
    response = api_client.get("/api/v1/modelfiles/nobody/nothing/metadata")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
