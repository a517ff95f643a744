"""Hugging Face API wire formats: model info, tree, search, paths-info, errors (raw HTTP and HfApi)."""

import requests
from huggingface_hub import HfApi
from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError

from tests.fakehub.catalog_seed import (
    GATED_AUTO,
    GATED_MANUAL,
    GGUF_REPO,
    PRIVATE_REPO,
    SPLIT_REPO,
    TINY_REPO,
)


def test_model_info_with_blobs_has_lfs_sha256_and_blob_ids(fakehub):
    body = requests.get(f"{fakehub.hf_url}/api/models/{TINY_REPO}", params={"blobs": "true"}).json()
    repo = fakehub.hf_repo(TINY_REPO)
    assert body["id"] == TINY_REPO and body["sha"] == repo.head.sha and body["gated"] is False
    assert body["lastModified"].endswith("Z") and body["createdAt"] == "2024-11-01T08:00:00.000Z"
    siblings = {s["rfilename"]: s for s in body["siblings"]}
    gguf = siblings["tiny-q4_k_m.gguf"]
    assert gguf["lfs"] == {"sha256": repo.head.files["tiny-q4_k_m.gguf"].sha256, "size": gguf["size"],
                           "pointerSize": gguf["lfs"]["pointerSize"]}
    assert len(gguf["blobId"]) == 40
    assert "lfs" not in siblings["README.md"] and siblings["README.md"]["size"] > 0
    assert body["gguf"]["architecture"] == "llama" and "license:apache-2.0" in body["tags"]


def test_model_info_without_blobs_lists_names_only(fakehub):
    body = requests.get(f"{fakehub.hf_url}/api/models/{TINY_REPO}").json()
    assert all(set(s) == {"rfilename"} for s in body["siblings"])


def test_expand_returns_only_the_listed_properties_in_both_spellings(fakehub):
    for params in ([("expand", "likes"), ("expand", "sha")], [("expand[]", "likes"), ("expand[]", "sha")]):
        body = requests.get(f"{fakehub.hf_url}/api/models/{TINY_REPO}", params=params).json()
        assert set(body) == {"_id", "id", "modelId", "likes", "sha"}
    bad = requests.get(f"{fakehub.hf_url}/api/models/{TINY_REPO}", params={"expand": "nope"})
    assert bad.status_code == 400


def test_model_info_via_huggingface_hub(fakehub):
    info = HfApi(endpoint=fakehub.hf_url).model_info(GGUF_REPO, files_metadata=True)
    quants = [s for s in info.siblings if s.rfilename.endswith(".gguf")]
    assert len(quants) == 14 and all(s.lfs and len(s.lfs.sha256) == 64 for s in quants)
    q4 = next(s for s in quants if "Q4_K_M" in s.rfilename)
    assert q4.size == 4_081_004_224
    assert info.gguf["context_length"] == 4096 and info.card_data.license == "llama2"


def test_revision_segment_is_url_decoded(fakehub):
    api = HfApi(endpoint=fakehub.hf_url)
    pr = api.model_info(TINY_REPO, revision="refs/pr/1")
    main = api.model_info(TINY_REPO)
    assert pr.sha != main.sha
    raw = requests.get(f"{fakehub.hf_url}/api/models/{TINY_REPO}/revision/refs%2Fpr%2F1")
    assert raw.json()["sha"] == pr.sha
    by_sha = api.model_info(TINY_REPO, revision=main.sha)
    assert by_sha.sha == main.sha


def test_unknown_revision_is_revision_not_found(fakehub):
    response = requests.get(f"{fakehub.hf_url}/api/models/{TINY_REPO}/revision/v9")
    assert response.status_code == 404 and response.headers["X-Error-Code"] == "RevisionNotFound"
    try:
        HfApi(endpoint=fakehub.hf_url).model_info(TINY_REPO, revision="v9")
    except RevisionNotFoundError:
        pass
    else:
        raise AssertionError("expected RevisionNotFoundError")


def test_tree_paginates_through_link_header(fakehub):
    fakehub.tree_page_size = 2
    first = requests.get(f"{fakehub.hf_url}/api/models/{TINY_REPO}/tree/main", params={"recursive": "true"})
    assert first.status_code == 200 and len(first.json()) == 2
    assert 'rel="next"' in first.headers["Link"] and "cursor=" in first.links["next"]["url"]
    entries = HfApi(endpoint=fakehub.hf_url).list_repo_tree(TINY_REPO, recursive=True)
    paths = [e.path for e in entries]
    assert paths[0] == "subdir"  # directories first, like the Hub
    assert set(paths) == {"subdir", "subdir/notes.txt", ".gitattributes", "README.md", "tiny-f16.gguf",
                          "tiny-q4_k_m.gguf", "tiny-q8_0.gguf"}
    assert len(fakehub.requests_for(f"/api/models/{TINY_REPO}/tree/main")) >= 5


def test_tree_entries_use_oid_for_lfs_hash_and_support_subpaths(fakehub):
    entries = requests.get(f"{fakehub.hf_url}/api/models/{TINY_REPO}/tree/main").json()
    by_path = {e["path"]: e for e in entries}
    assert "subdir/notes.txt" not in by_path  # not recursive by default
    assert by_path["subdir"]["type"] == "directory"
    lfs = by_path["tiny-q8_0.gguf"]["lfs"]
    assert set(lfs) == {"oid", "size", "pointerSize"} and len(lfs["oid"]) == 64
    sub = requests.get(f"{fakehub.hf_url}/api/models/{TINY_REPO}/tree/main/subdir").json()
    assert [e["path"] for e in sub] == ["subdir/notes.txt"]
    missing = requests.get(f"{fakehub.hf_url}/api/models/{TINY_REPO}/tree/main/nope")
    assert missing.status_code == 404 and missing.headers["X-Error-Code"] == "EntryNotFound"


def test_tree_expand_adds_last_commit_and_security(fakehub):
    entries = HfApi(endpoint=fakehub.hf_url).list_repo_tree(TINY_REPO, expand=True)
    readme = next(e for e in entries if e.path == "README.md")
    assert readme.last_commit.title == "Update README.md"
    assert readme.security["safe"] is True


def test_paths_info_accepts_form_and_json_and_drops_unknown_paths(fakehub):
    api = HfApi(endpoint=fakehub.hf_url)
    infos = api.get_paths_info(TINY_REPO, ["tiny-q8_0.gguf", "subdir", "missing.bin"])
    assert [i.path for i in infos] == ["tiny-q8_0.gguf", "subdir"]
    as_json = requests.post(f"{fakehub.hf_url}/api/models/{TINY_REPO}/paths-info/main",
                            json={"paths": ["README.md"], "expand": True}).json()
    assert as_json[0]["path"] == "README.md" and "lastCommit" in as_json[0]


def test_search_filters_sort_and_bare_array(fakehub):
    response = requests.get(f"{fakehub.hf_url}/api/models",
                            params=[("author", "acme"), ("filter", "gguf"), ("sort", "downloads")])
    body = response.json()
    assert isinstance(body, list)
    assert [m["id"] for m in body] == [TINY_REPO, "acme/medium-gguf"]
    assert "siblings" not in body[0] and {"id", "likes", "downloads", "tags", "createdAt"} <= set(body[0])
    full = requests.get(f"{fakehub.hf_url}/api/models", params={"search": "tiny-llama", "full": "true"}).json()
    assert full[0]["siblings"] and full[0]["sha"]
    ascending = requests.get(f"{fakehub.hf_url}/api/models",
                             params={"author": "acme", "sort": "likes", "direction": "1"}).json()
    assert [m["likes"] for m in ascending] == sorted(m["likes"] for m in ascending)


def test_search_paginates_with_cursor_links(fakehub):
    fakehub.search_page_size = 2
    api = HfApi(endpoint=fakehub.hf_url)
    everything = [m.id for m in api.list_models()]
    assert len(everything) == len(set(everything)) == 9  # the private repo is hidden
    assert PRIVATE_REPO not in everything
    limited = [m.id for m in api.list_models(author="acme", limit=3, sort="likes")]
    assert limited == [TINY_REPO, "acme/medium-gguf", "acme/tiny-sd-lora"]
    page = requests.get(f"{fakehub.hf_url}/api/models", params={"limit": 3})
    assert len(page.json()) == 3 and "next" in page.links


def test_search_shows_private_repos_to_their_owner(fakehub):
    ids = [m.id for m in HfApi(endpoint=fakehub.hf_url, token="hf_good").list_models(author="modella-tester")]
    assert ids == [PRIVATE_REPO]


def test_private_and_missing_repos_are_401_anonymous_and_404_authenticated(fakehub):
    for repo_id in (PRIVATE_REPO, "nobody/nothing"):
        anonymous = requests.get(f"{fakehub.hf_url}/api/models/{repo_id}")
        assert anonymous.status_code == 401 and anonymous.headers["X-Error-Code"] == "RepoNotFound"
        assert anonymous.json() == {"error": "Repository not found"}
    authenticated = requests.get(f"{fakehub.hf_url}/api/models/nobody/nothing",
                                 headers={"Authorization": "Bearer hf_nogrant"})
    assert authenticated.status_code == 404 and authenticated.headers["X-Error-Code"] == "RepoNotFound"
    other = requests.get(f"{fakehub.hf_url}/api/models/{PRIVATE_REPO}", headers={"Authorization": "Bearer hf_nogrant"})
    assert other.status_code == 404
    owner = requests.get(f"{fakehub.hf_url}/api/models/{PRIVATE_REPO}", headers={"Authorization": "Bearer hf_good"})
    assert owner.status_code == 200 and owner.json()["private"] is True
    try:
        HfApi(endpoint=fakehub.hf_url).model_info(PRIVATE_REPO)
    except RepositoryNotFoundError:
        pass
    else:
        raise AssertionError("expected RepositoryNotFoundError")


def test_gated_metadata_is_public_but_files_are_not(fakehub):
    info = HfApi(endpoint=fakehub.hf_url).model_info(GATED_MANUAL)
    assert info.gated == "manual"
    assert HfApi(endpoint=fakehub.hf_url).model_info(GATED_AUTO).gated == "auto"
    url = fakehub.hf_file_url(GATED_MANUAL, "helix-2-2b-it-Q4_K_M.gguf")
    cases = {None: 401, "hf_nogrant": 403, "hf_pending": 403}
    for token, status in cases.items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = requests.head(url, headers=headers)
        assert response.status_code == status and response.headers["X-Error-Code"] == "GatedRepo"
    assert "awaiting a review" in requests.head(url, headers={"Authorization": "Bearer hf_pending"}).headers[
        "X-Error-Message"]
    granted = requests.head(url, headers={"Authorization": "Bearer hf_good"})
    assert granted.status_code == 302
    check = requests.get(f"{fakehub.hf_url}/api/models/{GATED_AUTO}/auth-check")
    assert check.status_code == 401 and check.headers["X-Error-Code"] == "GatedRepo"


def test_gated_error_maps_to_gated_repo_error(fakehub):
    from huggingface_hub import get_hf_file_metadata

    try:
        get_hf_file_metadata(fakehub.hf_file_url(GATED_AUTO, "model.safetensors"), token="hf_nogrant")
    except GatedRepoError as error:
        assert error.response.status_code == 403
    else:
        raise AssertionError("expected GatedRepoError")


def test_invalid_token_is_rejected_everywhere(fakehub):
    headers = {"Authorization": "Bearer hf_forged"}
    for url in (f"{fakehub.hf_url}/api/models/{TINY_REPO}", fakehub.hf_file_url(TINY_REPO, "README.md"),
                f"{fakehub.hf_url}/api/whoami-v2"):
        response = requests.get(url, headers=headers)
        assert response.status_code == 401
        assert response.headers["X-Error-Message"] == "Invalid credentials in Authorization header"
        assert "X-Error-Code" not in response.headers


def test_whoami_reports_the_token_owner(fakehub):
    assert HfApi(endpoint=fakehub.hf_url).whoami(token="hf_good")["name"] == "modella-tester"
    assert requests.get(f"{fakehub.hf_url}/api/whoami-v2").status_code == 401


def test_split_gguf_repo_and_refs(fakehub):
    names = [s["rfilename"] for s in requests.get(f"{fakehub.hf_url}/api/models/{SPLIT_REPO}").json()["siblings"]]
    assert sum("-of-00003.gguf" in n for n in names) == 3
    assert any(n.startswith("mmproj-") and n.endswith("-f16.gguf") for n in names)
    refs = requests.get(f"{fakehub.hf_url}/api/models/{TINY_REPO}/refs").json()
    assert refs["branches"][0]["name"] == "main"


def test_add_remove_and_replace_change_what_the_api_reports(fakehub):
    repo = fakehub.add_hf_repo("tests/new-repo", files={"w.safetensors": fakehub.generated(1000, seed=3)},
                               revision_sha="a" * 40, card_data={"license": "mit"})
    info = requests.get(f"{fakehub.hf_url}/api/models/tests/new-repo", params={"blobs": "true"}).json()
    assert info["sha"] == "a" * 40
    old_sha256 = repo.head.files["w.safetensors"].sha256
    commit = fakehub.replace_hf_file("tests/new-repo", "w.safetensors", b"new bytes" * 100)
    info = requests.get(f"{fakehub.hf_url}/api/models/tests/new-repo", params={"blobs": "true"}).json()
    weights = next(s for s in info["siblings"] if s["rfilename"] == "w.safetensors")
    assert info["sha"] == commit.sha != "a" * 40 and weights["lfs"]["sha256"] != old_sha256
    fakehub.remove_hf_repo("tests/new-repo")
    assert requests.get(f"{fakehub.hf_url}/api/models/tests/new-repo").status_code == 401
