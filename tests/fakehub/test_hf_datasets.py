"""Dataset repos in the emulator (hub-formats.md A0-A4 with the `datasets/` prefix), through raw HTTP
and huggingface_hub's own dataset calls."""

import hashlib

import requests
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import RepositoryNotFoundError

NAME = "acme/emu-ds"
TRAIN = "data/train.parquet"
ROWS = b"a,b\n1,2\n"


def _add(fakehub):
    return fakehub.add_hf_dataset(NAME, files={TRAIN: fakehub.generated(50_000, seed=5), "data/rows.csv": ROWS,
                                               "images/cat.png": fakehub.generated(3000, seed=6)},
                                  card_data={"license": "mit"})


def test_dataset_info_and_tree_answer_under_api_datasets(fakehub):
    repo = _add(fakehub)
    api = HfApi(endpoint=fakehub.hf_url, token=False)
    info = api.dataset_info(NAME, files_metadata=True)
    assert info.id == NAME and info.sha == repo.head.sha
    siblings = {s.rfilename: s for s in info.siblings}
    assert siblings[TRAIN].lfs.sha256 == repo.head.files[TRAIN].sha256
    assert siblings["images/cat.png"].lfs is not None  # the dataset .gitattributes puts images in LFS
    assert siblings["data/rows.csv"].lfs is None and siblings["data/rows.csv"].blob_id == repo.head.files[
        "data/rows.csv"].blob_id
    tree = {f.path for f in api.list_repo_tree(NAME, repo_type="dataset", recursive=True)}
    assert {TRAIN, "data/rows.csv", "data", "images"} <= tree
    raw = requests.get(f"{fakehub.hf_url}/api/datasets/{NAME}/revision/{repo.head.sha}").json()
    assert "modelId" not in raw and "pipeline_tag" not in raw


def test_a_dataset_is_not_a_model_and_does_not_shadow_one(fakehub):
    _add(fakehub)
    api = HfApi(endpoint=fakehub.hf_url, token=False)
    try:
        api.model_info(NAME)
    except RepositoryNotFoundError:
        pass
    else:
        raise AssertionError("a dataset answered on the model API")
    assert NAME not in [m.id for m in api.list_models(search="emu-ds")]


def test_dataset_files_resolve_under_the_datasets_prefix(fakehub, tmp_path):
    repo = _add(fakehub)
    path = hf_hub_download(NAME, TRAIN, repo_type="dataset", endpoint=fakehub.hf_url, cache_dir=tmp_path,
                           token=False)
    with open(path, "rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == repo.head.files[TRAIN].sha256
    head = requests.head(f"{fakehub.hf_url}/datasets/{NAME}/resolve/main/data/rows.csv", allow_redirects=False)
    assert head.status_code == 200 and head.headers["ETag"] == f'"{repo.head.files["data/rows.csv"].blob_id}"'
    missing = requests.head(f"{fakehub.hf_url}/{NAME}/resolve/main/data/rows.csv")
    assert missing.status_code == 401 and missing.headers["X-Error-Code"] == "RepoNotFound"
