"""The campaign pages rendered in Simplified Chinese show no English a user would have to read
(their msgids live in lifecycle's catalogue; the nav links' in the project one)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.tests.views.test_translations import _english_words
from lifecycle.models import CampaignCall

from .test_pages import generated  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def test_campaign_pages_in_chinese(org, generated):  # noqa: F811
    calls = list(CampaignCall.objects.filter(campaign=generated).order_by("id"))
    from lifecycle.campaigns import services

    services.call_record(
        actor=calls[0].caller,
        call_id=calls[0].pk,
        data={"reached": True, "answers": {"0": "满意"}, "issue_raised": "发票寄送慢"},
    )
    data_values = {a.code for a in [c.account for c in calls]} | {
        u.username for u in org.values() if hasattr(u, "username")
    }
    rm = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    rm.force_login(org["rm"])
    caller = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    caller.force_login(calls[1].caller)
    pages = [
        (rm, reverse("campaigns:list")),
        (rm, reverse("campaigns:create")),
        (rm, reverse("campaigns:detail", args=[generated.pk])),
        (rm, reverse("campaigns:generate", args=[generated.pk])),
        (rm, reverse("campaigns:calls", args=[generated.pk])),
        (rm, reverse("campaigns:edit", args=[generated.pk])),
        (rm, reverse("campaigns:call", args=[calls[0].pk])),
        (caller, reverse("campaigns:my_calls")),
        (caller, reverse("campaigns:call", args=[calls[1].pk])),
    ]
    found = {}
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        words = _english_words(response.content.decode(), data_values)
        if words:
            found[url] = sorted(words)
    assert found == {}
