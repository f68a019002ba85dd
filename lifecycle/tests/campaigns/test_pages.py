"""Pages: status codes, key text, field errors inline, bounded queries, and who sees what."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse

from lifecycle.campaigns import services
from lifecycle.models import Campaign, CampaignCall

from .factories import AS_OF

pytestmark = pytest.mark.django_db


def _form(org, **over):  # type: ignore[no-untyped-def]
    data = {
        "name": "宽带满意度回访",
        "kind": "questionnaire",
        "region": org["city"].pk,
        "min_monthly_amount": "120",
        "min_months": "3",
        "window_months": "12",
        "questions": "您对网络满意吗？ | 满意 / 一般 / 不满意\n还需要什么服务？",
        "starts_on": "2026-11-16",
        "ends_on": "2026-12-31",
        "callers": [org["am1"].pk, org["am2"].pk],
    }
    data.update(over)
    return data


@pytest.fixture
def generated(org, billed_accounts):
    campaign = services.campaign_create(
        actor=org["rm"],
        data={
            "name": "宽带满意度回访",
            "kind": "questionnaire",
            "region": org["city"],
            "min_monthly_amount": 120,
            "min_months": 3,
            "window_months": 12,
            "questions": [
                {"text": "您对网络满意吗？", "options": ["满意", "不满意"]},
                {"text": "还需要什么服务？", "options": []},
            ],
            "starts_on": dt.date(2026, 11, 16),
            "ends_on": dt.date(2026, 12, 31),
            "callers": [org["am2"], org["am3"]],
        },
    )
    services.campaign_generate(campaign_id=campaign.pk, as_of=AS_OF)
    return campaign


def test_rm_creates_previews_and_generates(client, org, billed_accounts):
    client.force_login(org["rm"])
    response = client.get(reverse("campaigns:create"))
    assert response.status_code == 200
    # Only the manager's own subtree is offered.
    regions = [c[0].value for c in response.context["form"].fields["region"].choices if c[0]]
    assert org["other"].pk not in regions and org["city"].pk in regions
    response = client.post(reverse("campaigns:create"), _form(org))
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:generate", args=[campaign.pk])
    assert campaign.questions[0] == {
        "text": "您对网络满意吗？",
        "options": ["满意", "一般", "不满意"],
    }
    response = client.get(reverse("campaigns:generate", args=[campaign.pk]))
    # Generation as of today: the fixture's bills (Aug–Oct 2026) are in the last 12 months.
    assert "6 accounts match" in response.content.decode()
    assert "2 callers → ~3 each" in response.content.decode()
    response = client.post(reverse("campaigns:generate", args=[campaign.pk]), follow=True)
    assert "6 calls added to the list." in response.content.decode()
    assert CampaignCall.objects.filter(campaign=campaign).count() == 6


def test_field_errors_inline(client, org):
    client.force_login(org["rm"])
    response = client.post(
        reverse("campaigns:create"),
        _form(org, questions="ok? | only one", callers=[org["am_other"].pk]),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="f-questions"' in page and "Line 1" in page
    form = response.context["form"]
    assert "questions" in form.errors and "callers" in form.errors
    # Service-level errors land on their fields too.
    response = client.post(
        reverse("campaigns:create"), _form(org, questions="", min_months="5", window_months="4")
    )
    form = response.context["form"]
    assert "questions" in form.errors and "min_months" in form.errors
    assert not Campaign.objects.exists()


def test_account_manager_cannot_create(client, org):
    client.force_login(org["am1"])
    assert client.get(reverse("campaigns:create")).status_code == 403
    assert client.post(reverse("campaigns:create"), _form(org)).status_code == 403
    assert client.get(reverse("campaigns:list")).status_code == 302  # → My calls
    assert not Campaign.objects.exists()


def test_rm_cannot_create_outside_region(client, org):
    client.force_login(org["rm"])
    response = client.post(reverse("campaigns:create"), _form(org, region=org["other"].pk))
    assert response.status_code == 200 and "region" in response.context["form"].errors
    assert not Campaign.objects.exists()


def test_caller_sees_only_their_calls(client, org, generated, django_assert_max_num_queries):
    client.force_login(org["am2"])
    with django_assert_max_num_queries(8):
        response = client.get(reverse("campaigns:my_calls"))
    assert response.status_code == 200
    mine = list(CampaignCall.objects.filter(caller=org["am2"]))
    assert {c.pk for c in response.context["calls"]} == {c.pk for c in mine}
    page = response.content.decode()
    call = mine[0]
    assert call.account.name in page and call.account.code in page
    assert "张总" in page and "1380000" in page  # the decision maker and phone
    # Another caller's call answers 404; the account page itself stays portfolio-bound.
    other = CampaignCall.objects.filter(caller=org["am3"]).first()
    assert client.get(reverse("campaigns:call", args=[other.pk])).status_code == 404
    assert client.get(reverse("campaigns:call", args=[call.pk])).status_code == 200
    assert client.get(reverse("accounts:detail", args=[call.account.code])).status_code == 404
    assert client.get(reverse("campaigns:detail", args=[generated.pk])).status_code == 404
    assert client.get(reverse("campaigns:export_csv", args=[generated.pk])).status_code == 404


def test_non_caller_gets_404(client, org, generated):
    call = CampaignCall.objects.filter(campaign=generated).first()
    for user in ("am_other", "rm_other"):
        client.force_login(org[user])
        assert client.get(reverse("campaigns:call", args=[call.pk])).status_code == 404
        assert (
            client.post(reverse("campaigns:call", args=[call.pk]), {"reached": "yes"}).status_code
            == 404
        )
        assert client.get(reverse("campaigns:detail", args=[generated.pk])).status_code == 404
    assert CampaignCall.objects.get(pk=call.pk).status == "pending"


def test_record_a_call(client, org, generated):
    call = CampaignCall.objects.filter(caller=org["am2"]).first()
    client.force_login(org["am2"])
    url = reverse("campaigns:call", args=[call.pk])
    page = client.get(url).content.decode()
    assert "您对网络满意吗？" in page and "还需要什么服务？" in page
    response = client.post(url, {"reached": "no", "answer_0": "满意"})
    assert response.status_code == 200 and "reached" in response.context["form"].errors
    response = client.post(
        url,
        {"reached": "yes", "answer_0": "满意", "answer_1": "5G 专网", "issue_raised": "发票寄送慢"},
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.answers == {"0": "满意", "1": "5G 专网"} and call.issue_raised == "发票寄送慢"
    # A manager reads the call but does not record it.
    client.force_login(org["rm"])
    assert client.get(url).status_code == 200
    assert client.post(url, {"reached": "yes"}).status_code == 403


def test_results_page(client, org, generated, django_assert_max_num_queries):
    calls = list(CampaignCall.objects.filter(campaign=generated).order_by("id"))
    services.call_record(
        actor=calls[0].caller,
        call_id=calls[0].pk,
        data={"reached": True, "answers": {"0": "满意"}, "issue_raised": "账单看不懂"},
    )
    services.call_record(
        actor=calls[1].caller,
        call_id=calls[1].pk,
        data={"reached": True, "answers": {"0": "不满意"}},
    )
    services.call_record(actor=calls[2].caller, call_id=calls[2].pk, data={"reached": False})
    client.force_login(org["rm"])
    with django_assert_max_num_queries(14):
        response = client.get(reverse("campaigns:detail", args=[generated.pk]))
    results = response.context["results"]
    assert (results.listed, results.called, results.reached) == (6, 3, 2)
    assert str(results.reach_rate) == "66.7"
    assert [(a.answer, a.count) for a in results.questions[0].counts] == [
        ("满意", 1),
        ("不满意", 1),
    ]
    page = response.content.decode()
    assert "账单看不懂" in page and "66.7 %" in page
    assert len(results.callers) == 2
    # hq and the creator see it; the list page too.
    client.force_login(org["hq"])
    assert client.get(reverse("campaigns:detail", args=[generated.pk])).status_code == 200
    with django_assert_max_num_queries(8):
        assert generated.name in client.get(reverse("campaigns:list")).content.decode()
    with django_assert_max_num_queries(10):
        response = client.get(
            reverse("campaigns:calls", args=[generated.pk]) + f"?caller={org['am2'].pk}"
        )
    assert {c.caller_id for c in response.context["calls"]} == {org["am2"].pk}


def test_exports_are_formula_safe(client, org, generated):
    call = CampaignCall.objects.filter(campaign=generated).order_by("id").first()
    services.call_record(
        actor=call.caller,
        call_id=call.pk,
        data={"reached": True, "issue_raised": '=HYPERLINK("x")'},
    )
    client.force_login(org["rm"])
    response = client.get(reverse("campaigns:export_csv", args=[generated.pk]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "您对网络满意吗？" in text.splitlines()[0]
    assert len(text.strip().splitlines()) == 7
    response = client.get(reverse("campaigns:export_xlsx", args=[generated.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert '\'=HYPERLINK("x")' in values and sheet.max_row == 7


def test_resplit_and_close(client, org, generated):
    client.force_login(org["rm"])
    response = client.post(
        reverse("campaigns:edit", args=[generated.pk]),
        {
            **_form(org),
            "callers": [org["am1"].pk, org["am2"].pk, org["am3"].pk],
            "questions": "您对网络满意吗？ | 满意 / 不满意\n还需要什么服务？",
        },
    )
    assert response.status_code == 302
    assert CampaignCall.objects.filter(campaign=generated, caller=org["am1"]).count() == 2
    assert client.post(reverse("campaigns:resplit", args=[generated.pk])).status_code == 302
    assert client.post(reverse("campaigns:close", args=[generated.pk])).status_code == 302
    generated.refresh_from_db()
    assert generated.status == "closed"
    # A closed campaign's calls leave My calls.
    client.force_login(org["am2"])
    assert list(client.get(reverse("campaigns:my_calls")).context["calls"]) == []
