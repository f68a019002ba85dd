"""Translation completeness: the catalogue is complete and compiled, and the main pages rendered
in Simplified Chinese show no English a user would have to read."""

from __future__ import annotations

import ast
import gettext
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import AccountFactory, KeyPersonFactory, ServiceRequestFactory

LOCALE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"

# Latin words a Chinese user sees on purpose: file formats, standards, brands and units.
ALLOWED = {
    "CSV", "Excel", "xlsx", "csv", "UTF", "GBK", "SLA", "VIP", "VIPs", "VPMN", "MB", "API",
    "GB", "YYYY", "MM", "DD", "IT",
}  # fmt: skip


def _po_entries() -> list[tuple[str | None, str, str]]:
    """(context, msgid, msgstr) for every entry of the .po file (first plural form)."""
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    entries = []
    for block in text.split("\n\n")[1:]:
        fields: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            match = re.match(
                r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[0\])?|msgstr\[\d+\])\s+(.*)$", line
            )
            if match:
                current = match.group(1)
                fields[current] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and current:
                fields[current] += ast.literal_eval(line)
        if "msgid" in fields:
            msgstr = fields.get("msgstr", fields.get("msgstr[0]", ""))
            entries.append((fields.get("msgctxt"), fields["msgid"], msgstr))
    return entries


def test_every_string_has_a_chinese_translation():
    entries = _po_entries()
    assert len(entries) > 400
    missing = [msgid for _ctx, msgid, msgstr in entries if not msgstr.strip()]
    assert missing == []
    assert "#, fuzzy" not in (LOCALE / "django.po").read_text(encoding="utf-8").split("\n\n", 1)[1]


def test_compiled_catalogue_matches_the_source():
    with (LOCALE / "django.mo").open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    stale = []
    for ctx, msgid, msgstr in _po_entries():
        got = catalogue.pgettext(ctx, msgid) if ctx else catalogue.gettext(msgid)
        if got != msgstr:
            stale.append(msgid)
    assert stale == [], "run msgfmt (see locale/README.md)"


def test_placeholders_survive_translation():
    for _ctx, msgid, msgstr in _po_entries():
        assert sorted(re.findall(r"%\(\w+\)[sd]|%\(\w+\)\.\d+f", msgid)) == sorted(
            re.findall(r"%\(\w+\)[sd]|%\(\w+\)\.\d+f", msgstr)
        ), msgid


class _VisibleText(HTMLParser):
    """Text a user reads: text nodes outside script/style, and visible attributes."""

    VISIBLE_ATTRS = ("placeholder", "title", "aria-label", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        if tag in ("script", "style", "code"):
            self.skip += 1
        for name, value in attrs:
            if name in self.VISIBLE_ATTRS and value:
                self.chunks.append(value)
            if (
                tag == "input"
                and name == "value"
                and dict(attrs).get("type") in ("submit", "button")
            ):
                self.chunks.append(value or "")

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag in ("script", "style", "code") and self.skip:
            self.skip -= 1

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if not self.skip and data.strip():
            self.chunks.append(data)


def _english_words(html: str, data_values: set[str]) -> set[str]:
    parser = _VisibleText()
    parser.feed(html)
    text = " ".join(parser.chunks)
    for value in sorted(data_values, key=len, reverse=True):
        text = text.replace(value, " ")
    # The language switch names each language in itself.
    text = text.replace("English", " ")
    return {w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in ALLOWED}


@pytest.mark.django_db
def test_main_pages_show_no_untranslated_english(world, portfolio):
    world.am_a.display_name = "陈经理"
    world.am_a.save()
    account = portfolio["hq"]
    for i in range(3):
        KeyPersonFactory(
            account=account, name=f"员工{i}", role="finance", drivers=["image", "power"]
        )
    ServiceRequestFactory(account=account, title="网络慢", severity="low")
    AccountFactory(
        code="ZH-2", name="第二客户", owner=world.am_a, region=world.district_a1, parent=account
    )
    model = AccountFactory._meta.model
    data_values = (
        set(model.objects.values_list("code", flat=True))
        | set(model.objects.values_list("credit_code", flat=True))
        | {"am_gz", "am_gz2", "alien"}  # usernames, and a bad value echoed from the file
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    pages = {"login": client.get(reverse("login")).content.decode()}
    client.force_login(world.am_a)
    sr = portfolio["sr"]
    urls = {
        "home": reverse("home"),
        "list": reverse("accounts:list"),
        "list-empty": reverse("accounts:list") + "?q=nothing-matches",
        "detail": reverse("accounts:detail", args=["G-HQ-001"]),
        "edit": reverse("accounts:edit", args=["G-HQ-001"]),
        "key-person": reverse("accounts:key_person_add", args=["G-HQ-001"]),
        "activity": reverse("accounts:activity_log", args=["G-HQ-001"]),
        "sr-open": reverse("accounts:sr_open", args=["G-HQ-001"]),
        "sr-update": reverse("accounts:sr_update", args=["G-HQ-001", sr.pk]),
        "import": reverse("accounts:import"),
    }
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, name
        pages[name] = response.content.decode()
    # Forms with errors: Django's and our messages in Chinese.
    pages["edit-errors"] = client.post(
        reverse("accounts:edit", args=["G-HQ-001"]),
        {"version": "1", "name": "", "credit_code": "123", "org_kind": "x"},
    ).content.decode()
    pages["key-person-errors"] = client.post(
        reverse("accounts:key_person_add", args=["G-HQ-001"]),
        {"name": "", "email": "bad", "care-TOTAL_FORMS": "0", "care-INITIAL_FORMS": "0"},
    ).content.decode()
    upload = SimpleUploadedFile(
        "a.csv", b"code,name,org_kind\nZH-9,,alien\n", content_type="text/csv"
    )
    pages["import-preview"] = client.post(
        reverse("accounts:import"), {"file": upload}
    ).content.decode()
    rm = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    rm.force_login(world.rm_a)
    pages["list-manager"] = rm.get(reverse("accounts:list")).content.decode()
    pages["edit-manager"] = rm.get(reverse("accounts:edit", args=["G-HQ-001"])).content.decode()
    found = {name: _english_words(html, data_values) for name, html in pages.items()}
    assert {name: words for name, words in found.items() if words} == {}


def test_the_check_itself_catches_english():
    assert _english_words("<p>保存 Save</p><input placeholder='Name'>", set()) == {"Save", "Name"}
    assert _english_words("<p>导出 CSV</p><script>var x</script>", set()) == set()
