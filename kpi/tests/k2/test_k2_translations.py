"""The KPI pages rendered in Simplified Chinese show no English a user would have to read, and
kpi's catalogue is complete and compiled."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.tests.views.test_translations import _english_words

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_kpi_catalogue_is_complete_and_compiled():
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    assert "#, fuzzy" not in text.split("\n\n", 1)[1]
    empty = re.findall(r'msgid "([^"]+)"\nmsgstr ""\n\n', text)
    assert empty == []
    with (LOCALE / "django.mo").open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    assert catalogue.gettext("Scorecard") == "考核计分卡"
    assert catalogue.gettext("churn rate") == "客户流失率"


@pytest.mark.django_db
def test_kpi_pages_show_no_untranslated_english(kpi, login):
    w = kpi.world
    hq = login(w.hq, "zh-hans")
    rm = login(w.rm_a, "zh-hans")
    am = login(w.am_a, "zh-hans")
    pages = [
        (hq, reverse("kpi:dashboard") + "?period=2026Q3"),
        (rm, reverse("kpi:dashboard") + "?period=2026Q3&region=GZ-TH"),
        (rm, reverse("kpi:manager", kwargs={"username": "am_gz"}) + "?period=2026Q3"),
        (am, reverse("kpi:me") + "?period=2026Q3"),
        (rm, reverse("kpi:drill") + "?metric=new_accounts&region=GZ&period=2026Q3"),
        (rm, reverse("kpi:drill") + "?metric=churn_rate&region=GZ&period=2026Q3&part=denominator"),
        (hq, reverse("kpi:schemes")),
        (hq, reverse("kpi:scheme", kwargs={"year": 2026})),
        (hq, reverse("kpi:targets", kwargs={"year": 2026}) + "?quarter=Q3&scope=managers"),
        (hq, reverse("kpi:targets_import", kwargs={"year": 2026})),
    ]
    data = {"am_gz", "am_gz2", "am_sz", "GZ", "SZ", "GD", "GZ-TH", "Q1", "Q2", "Q3", "Q4",
            "2026Q3", "2026Q2", "2026Q1", "2026Q4"}  # fmt: skip
    data |= {a.code for a in kpi.gz_accounts + kpi.sz_accounts}
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        # input names and values of the target grid are data, not text
        html = re.sub(r'aria-label="[^"]*?[rs]-\d+-\w+"', "", html)
        # the page's own content (the shared navigation is tested by its owners)
        html = html[html.index("<main>") : html.index("</main>")]
        assert _english_words(html, data) == set(), url
