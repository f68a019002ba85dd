"""The generate page's preview: counted by a task and stored, never counted in the request when
Celery is not eager; "counting…" with htmx polling until it is stored; POST without it goes to
the background."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.views.test_translations import _english_words
from lifecycle.campaigns import selection, services, tasks
from lifecycle.models import Campaign, CampaignCall

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(org, billed_accounts):  # type: ignore[no-untyped-def]
    return services.campaign_create(
        actor=org["rm"],
        data={
            "name": "宽带满意度回访",
            "kind": Campaign.Kind.QUESTIONNAIRE,
            "region": org["city"],
            "min_monthly_amount": Decimal("120"),
            "min_months": 3,
            "window_months": 12,
            "questions": [{"text": "满意吗？", "options": ["满意", "不满意"]}],
            "starts_on": dt.date(2026, 11, 16),
            "ends_on": dt.date(2026, 12, 31),
            "callers": [org["am1"], org["am2"]],
        },
    )


@pytest.fixture
def not_eager(monkeypatch):  # type: ignore[no-untyped-def]
    """Celery with a broker: `.delay()` only enqueues (mocked), and counting in the request
    fails the test."""
    monkeypatch.setitem(tasks.campaign_preview_task.app.conf, "task_always_eager", False)

    def no_count(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("count_targets ran in the request")

    monkeypatch.setattr(selection, "count_targets", no_count)
    with (
        mock.patch.object(tasks.campaign_preview_task, "delay") as preview_delay,
        mock.patch.object(tasks.campaign_generate_task, "delay") as generate_delay,
    ):
        yield {"preview": preview_delay, "generate": generate_delay}


def _count(monkeypatch, campaign):  # type: ignore[no-untyped-def]
    """What the worker does: the task, with the real count."""
    monkeypatch.undo()  # the real count_targets (and eager again)
    tasks.campaign_preview_task(campaign_id=campaign.pk, as_of=timezone.localdate().isoformat())


def test_get_enqueues_once_and_polls(
    client, org, campaign, not_eager, monkeypatch, django_capture_on_commit_callbacks
):
    client.force_login(org["rm"])
    fragment = reverse("campaigns:generate_preview", args=[campaign.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("campaigns:generate", args=[campaign.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Counting the accounts that match…" in page
    assert f'hx-get="{fragment}"' in page and 'hx-trigger="every 2s"' in page
    assert "accounts match" not in page
    # The generate button is there: generating without a count goes to the background.
    assert 'button type="submit" class="primary"' in page
    not_eager["preview"].assert_called_once_with(
        campaign_id=campaign.pk, as_of=timezone.localdate().isoformat()
    )
    # While one is pending, neither the page nor the poll enqueues again.
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(reverse("campaigns:generate", args=[campaign.pk])).status_code == 200
        response = client.get(fragment)
    assert response.status_code == 200
    assert f'hx-get="{fragment}"' in response.content.decode()
    assert "<html" not in response.content.decode()
    assert not_eager["preview"].call_count == 1

    # The worker counts and stores; the poll gets the numbers and stops polling.
    _count(monkeypatch, campaign)
    response = client.get(fragment)
    body = response.content.decode()
    assert "6 accounts match" in body and "2 callers → ~3 each" in body
    assert "hx-get" not in body and "hx-trigger" not in body


def test_page_shows_a_stored_preview_without_counting(client, org, campaign, monkeypatch):
    # Counted once (here in the test, as the worker would) …
    tasks.campaign_preview_task(campaign_id=campaign.pk, as_of=timezone.localdate().isoformat())
    # … then nothing counts any more: the stored preview is shown as it is.
    monkeypatch.setitem(tasks.campaign_preview_task.app.conf, "task_always_eager", False)
    with (
        mock.patch.object(selection, "count_targets", side_effect=AssertionError("counted")),
        mock.patch.object(tasks.campaign_preview_task, "delay") as delay,
    ):
        client.force_login(org["rm"])
        page = client.get(reverse("campaigns:generate", args=[campaign.pk])).content.decode()
        # The same key counts once, even when the task is delivered twice.
        tasks.campaign_preview_task(campaign_id=campaign.pk, as_of=timezone.localdate().isoformat())
    assert "6 accounts match" in page and "every 2s" not in page
    delay.assert_not_called()


def test_eager_shows_the_numbers_on_the_first_get(client, org, campaign):
    client.force_login(org["rm"])
    page = client.get(reverse("campaigns:generate", args=[campaign.pk])).content.decode()
    assert "6 accounts match" in page and "every 2s" not in page


def test_key_follows_what_the_count_depends_on(org, campaign):
    today = timezone.localdate()
    key = services.preview_key(campaign, today)
    assert services.preview_key(campaign, today) == key
    assert services.preview_key(campaign, today + dt.timedelta(days=1)) != key
    for name, value in (("min_months", 2), ("stages", ["B"]), ("region_id", org["other"].pk)):
        changed = Campaign.objects.get(pk=campaign.pk)
        setattr(changed, name, value)
        assert services.preview_key(changed, today) != key, name
    campaign.callers.add(org["am3"])
    assert services.preview_key(campaign, today) != key
    key = services.preview_key(campaign, today)
    # A generation adds calls (and stamps generated_at): another key.
    services.campaign_generate(campaign_id=campaign.pk, as_of=today)
    campaign.refresh_from_db()
    assert services.preview_key(campaign, today) != key


def test_post_without_a_preview_goes_to_the_background(
    client, org, campaign, not_eager, django_capture_on_commit_callbacks
):
    client.force_login(org["rm"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("campaigns:generate", args=[campaign.pk]), follow=True)
    assert "The list is being generated in the background." in response.content.decode()
    not_eager["generate"].assert_called_once_with(
        campaign_id=campaign.pk,
        as_of=timezone.localdate().isoformat(),
        triggered_by=org["rm"].username,
    )
    assert not CampaignCall.objects.exists()


def test_post_with_a_small_stored_preview_generates_now(client, org, campaign, request):
    services.campaign_preview_count(campaign_id=campaign.pk, as_of=timezone.localdate())
    not_eager = request.getfixturevalue("not_eager")  # from here on, nothing counts
    client.force_login(org["rm"])
    response = client.post(reverse("campaigns:generate", args=[campaign.pk]), follow=True)
    assert "6 calls added to the list." in response.content.decode()
    not_eager["generate"].assert_not_called()
    assert CampaignCall.objects.filter(campaign=campaign).count() == 6


def test_post_refusals_unchanged_without_a_preview(client, org, campaign, not_eager):
    client.force_login(org["rm"])
    campaign.callers.clear()
    response = client.post(reverse("campaigns:generate", args=[campaign.pk]), follow=True)
    assert "Choose at least one caller." in response.content.decode()
    services.campaign_close(actor=org["rm"], campaign_id=campaign.pk)
    response = client.post(reverse("campaigns:generate", args=[campaign.pk]), follow=True)
    assert "A closed campaign cannot be generated." in response.content.decode()
    not_eager["generate"].assert_not_called()


def test_fragment_is_404_for_another_region(client, org, campaign, not_eager):
    fragment = reverse("campaigns:generate_preview", args=[campaign.pk])
    for user in ("rm_other", "am1"):
        client.force_login(org[user])
        assert client.get(fragment).status_code == 404
        assert client.get(reverse("campaigns:generate", args=[campaign.pk])).status_code == 404
    not_eager["preview"].assert_not_called()
    client.force_login(org["hq"])
    assert client.get(fragment).status_code == 200


def test_counting_state_in_chinese(org, campaign, not_eager):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(org["rm"])
    data_values = {u.username for u in org.values() if hasattr(u, "username")}
    for url in ("campaigns:generate", "campaigns:generate_preview"):
        page = client.get(reverse(url, args=[campaign.pk])).content.decode()
        assert "正在统计符合条件的客户…" in page
        assert _english_words(page, data_values) == set(), url
