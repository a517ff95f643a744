"""The Models page caches each repository card (modella.fragments, {% cardcache %}): a repeated
view renders no variants table again, yet any change a card shows (a download's progress, a
finished file, a new list) is on the next view, and every response carries its own session's
CSRF token, cached card or not."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from downloads.models import DownloadJob
from tests.factories import DownloadJobFactory, ModelRepositoryFactory, ModelVariantFactory, UserFactory

pytestmark = pytest.mark.django_db

TABLE = "modella/_variants_table.html"


@pytest.fixture
def catalog(db):
    repository = ModelRepositoryFactory(author="acme", name="cached-GGUF")
    variants = [ModelVariantFactory(repository=repository, filename=f"cached.{q}.gguf") for q in ("Q4_K_M", "Q8_0")]
    return repository, variants


def view(client, **headers):
    response = client.get(reverse("home"), {"sort": "repo"}, **headers)
    assert response.status_code == 200
    return response


def card(response) -> str:
    return re.search(r'<article class="repo-card".*?</article>', response.content.decode(), re.S).group(0)


def rendered_tables(response) -> int:
    return sum(t.name == TABLE for t in response.templates)


def test_a_repeated_view_serves_the_cached_card(logged_in_client, catalog):
    first = view(logged_in_client)
    second = view(logged_in_client)
    assert rendered_tables(first) == 1 and rendered_tables(second) == 0
    def without_tokens(html):  # each response masks its token anew
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)

    assert without_tokens(card(second)) == without_tokens(card(first))


def test_progress_and_a_finished_download_show_at_once(logged_in_client, catalog):
    _repository, (variant, _other) = catalog
    job = DownloadJobFactory(variant=variant, status="downloading", bytes_done=0)
    view(logged_in_client)
    view(logged_in_client)
    DownloadJob.objects.filter(pk=job.pk).update(bytes_done=variant.size // 2, speed_bps=10_000_000)
    body = view(logged_in_client).content.decode()
    assert "50.0 %" in body and "9.5 MB/s" in body
    DownloadJob.objects.filter(pk=job.pk).update(status="completed", bytes_done=variant.size)
    variant.local_path = f"huggingface/acme/cached-GGUF/{variant.filename}"
    variant.save()
    body = view(logged_in_client).content.decode()
    assert f'id="delete-{variant.pk}"' in body and f'id="cancel-{variant.pk}"' not in body


def test_a_new_list_shows_in_the_add_to_list_menu(logged_in_client, catalog, user):
    from lists.models import ModelList

    view(logged_in_client)
    view(logged_in_client)
    ModelList.objects.create(owner=user, name="Night shift")
    assert "Night shift" in view(logged_in_client).content.decode()


def token_of(response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', card(response)).group(1)


def test_each_session_gets_forms_with_its_own_csrf_token(catalog, user):
    _repository, (first_variant, second_variant) = catalog
    laptop = Client(enforce_csrf_checks=True)
    laptop.force_login(user)
    phone = Client(enforce_csrf_checks=True)
    phone.force_login(user)
    assert rendered_tables(view(laptop)) == 1
    served = view(phone)
    assert rendered_tables(served) == 0  # the laptop's card, shared...
    assert "__modella_csrf_token__" not in served.content.decode()
    # ...with the phone's own token in it: its form posts, where the laptop's token would not.
    response = phone.post(reverse("download_variant", args=[first_variant.pk]),
                          {"csrfmiddlewaretoken": token_of(view(laptop)), "next": "/"})
    assert response.status_code == 403
    response = phone.post(reverse("download_variant", args=[first_variant.pk]),
                          {"csrfmiddlewaretoken": token_of(served), "next": "/"})
    assert response.status_code == 302
    assert DownloadJob.objects.filter(variant=first_variant).exists()
    response = laptop.post(reverse("download_variant", args=[second_variant.pk]),
                           {"csrfmiddlewaretoken": token_of(view(laptop)), "next": "/"})
    assert response.status_code == 302


def test_another_user_never_gets_this_users_card(catalog, user):
    alice = Client()
    alice.force_login(user)
    bob = Client()
    bob.force_login(UserFactory(username="bob"))
    view(alice)
    assert rendered_tables(view(bob)) == 1
