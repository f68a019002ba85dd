"""The lifecycle catalogue is complete and compiled, and the lifecycle pages rendered in
Simplified Chinese show no English a user would have to read."""

from __future__ import annotations

import datetime as dt
import gettext
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from accounts.tests.views.test_translations import _english_words
from lifecycle.tests.factories import NotificationFactory, RetentionActionFactory

LOCALE = Path(__file__).resolve().parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES"


def _entries() -> list[tuple[str | None, str, str]]:
    import ast

    entries = []
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    for block in text.split("\n\n")[1:]:
        fields: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[0\])?) (\".*\")$", line)
            if match:
                current = match.group(1)
                fields[current] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and current:
                fields[current] += ast.literal_eval(line)
        if "msgid" in fields:
            msgstr = fields.get("msgstr", fields.get("msgstr[0]", ""))
            entries.append((fields.get("msgctxt"), fields["msgid"], msgstr))
    return entries


def test_catalogue_is_complete_compiled_and_keeps_placeholders() -> None:
    entries = _entries()
    assert len(entries) > 200
    assert [m for _c, m, s in entries if not s.strip()] == []
    with (LOCALE / "django.mo").open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    for ctx, msgid, msgstr in entries:
        got = catalogue.pgettext(ctx, msgid) if ctx else catalogue.gettext(msgid)
        assert got == msgstr, msgid
        pattern = r"%\(\w+\)[sd]"
        assert sorted(re.findall(pattern, msgid)) == sorted(re.findall(pattern, msgstr)), msgid


def test_playbook_texts_are_translated() -> None:
    from django.utils import translation

    from lifecycle import labels
    from lifecycle.playbook import NO_STAGE, PLAYBOOK

    with translation.override("zh-hans"):
        for play in [*PLAYBOOK.values(), NO_STAGE]:
            for text in (play.meaning, play.question, play.strategy):
                assert labels.playbook_text(text) != text


@pytest.mark.django_db
def test_lifecycle_pages_show_no_untranslated_english(scene) -> None:  # type: ignore[no-untyped-def]
    w = scene.world
    for user in (w.am_a, w.rm_a, w.hq):
        user.display_name = "陈经理"
        user.save()
    RetentionActionFactory(task=scene.task, done_on=dt.date(2026, 11, 18), note="上门拜访")
    NotificationFactory(recipient=w.am_a, account=scene.high)
    NotificationFactory(recipient=w.am_a, account=scene.high, kind="task_overdue")
    from accounts.models import Account

    data_values = set(Account.objects.values_list("code", flat=True)) | {"GZ", "SZ"}
    am = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    am.force_login(w.am_a)
    rm = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    rm.force_login(w.rm_a)
    drill = {"region": "GZ", "month": "2026-10-01", "from_stage": "C", "to_stage": "D"}
    pages = [
        (am, reverse("lifecycle:desk"), {}),
        (am, reverse("lifecycle:task", args=[scene.task.pk]), {}),
        (am, reverse("lifecycle:account_panel", args=[scene.high.code]), {}),
        (am, reverse("lifecycle:account_panel", args=[scene.calm.code]), {}),
        (am, reverse("notifications"), {}),
        (am, reverse("home"), {}),
        (rm, reverse("lifecycle:desk"), {}),
        (rm, reverse("lifecycle:overview"), {}),
        (rm, reverse("lifecycle:drill"), drill),
    ]
    for client, url, params in pages:
        response = client.get(url, params)
        assert response.status_code == 200, url
        html = response.content.decode()
        # Other helpers' navigation entries (KPI, campaigns) are theirs to translate.
        html = re.sub(r'<nav class="mainnav".*?</nav>', "", html, flags=re.S)
        words = _english_words(html, data_values) - {"KPI"}
        assert words == set(), (url, sorted(words))
    # the task forms with errors
    response = am.post(reverse("lifecycle:task_close", args=[scene.task.pk]), {"outcome": "x"})
    html = re.sub(r'<nav class="mainnav".*?</nav>', "", response.content.decode(), flags=re.S)
    assert _english_words(html, data_values) == set()
