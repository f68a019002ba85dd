"""Import: safe reading, dry-run preview with every problem, confirmed background job, upsert."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from accounts import imports
from accounts.models import Account, KeyPerson
from accounts.tests.factories import AccountFactory, valid_credit_code
from core.models import JobRun

pytestmark = pytest.mark.django_db

HEADER = "code,name,credit_code,org_kind,industry,size_band,status,joined_on\n"


def _csv(text: str, *, encoding: str = "utf-8", bom: bool = False, name: str = "a.csv"):  # type: ignore[no-untyped-def]
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    return SimpleUploadedFile(name, data, content_type="text/csv")


def _upload(client, upload):  # type: ignore[no-untyped-def]
    return client.post(reverse("accounts:import"), {"file": upload})


@pytest.fixture
def confirm(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Confirm the previewed import; the task is enqueued on commit (eager here)."""

    def _confirm(client, body: str):  # type: ignore[no-untyped-def]
        token = re.search(r'name="token" value="([0-9a-f]+)"', body).group(1)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("accounts:import_confirm"), {"token": token})
        assert response.status_code == 302
        return client.get(response["Location"])

    return _confirm


def test_upload_page(world, login):
    body = login(world.am_a).get(reverse("accounts:import")).content.decode()
    assert 'type="file"' in body and "credit_code" in body and "统一社会信用代码" in body
    template = login(world.am_a).get(reverse("accounts:import_template"))
    assert b"".join(template.streaming_content).decode("utf-8-sig").startswith("code,name")


@pytest.mark.parametrize(("encoding", "bom"), [("utf-8", False), ("utf-8", True), ("gbk", False)])
def test_csv_in_any_chinese_encoding_imports(world, login, encoding, bom, confirm):
    client = login(world.am_a)
    text = HEADER + (
        f"NEW-001,广州新材料有限公司,{valid_credit_code(1)},企业,制造,中型,active,2024-03-01\n"
        f"NEW-002,广州港务局,,government,logistics_transport,large,,2024/03/02\n"
    )
    response = _upload(client, _csv(text, encoding=encoding, bom=bom))
    body = response.content.decode()
    assert response.status_code == 200, body
    assert "No problems found: 2 to create, 0 to update." in body
    assert not Account.objects.filter(code__startswith="NEW-").exists()  # dry run only
    final = confirm(client, body)
    assert "succeeded" in final.content.decode()
    created = {a.code: a for a in Account.objects.filter(code__startswith="NEW-")}
    assert created["NEW-001"].name == "广州新材料有限公司"
    assert (
        created["NEW-001"].industry == "manufacturing" and created["NEW-001"].size_band == "medium"
    )
    assert created["NEW-002"].status == "prospect" and created["NEW-002"].owner == world.am_a
    assert created["NEW-001"].history.first().history_user == world.am_a
    run = JobRun.objects.get(job=imports.IMPORT_JOB)
    assert run.status == "succeeded" and run.rows == run.total == 2 and run.triggered_by == "am_gz"


def test_preview_lists_every_problem_by_row_and_column_and_imports_nothing(world, login):
    client = login(world.am_a, "en")
    text = HEADER + (
        "OK-1,好客户,,enterprise,finance,small,,\n"
        "OK-1,重复,,enterprise,finance,small,,\n"
        "BAD-2,,91440101MA59XXXXX1,alien,finance,tiny,,yesterday\n"
    )
    body = _upload(client, _csv(text)).content.decode()
    assert "problems found" in body
    problems = re.findall(r"<tr><td>CSV</td><td>(\d+)</td><td><code>(\w+)</code></td>", body)
    assert ("3", "code") in problems  # duplicate code
    for column in ("name", "credit_code", "org_kind", "size_band", "joined_on"):
        assert ("4", column) in problems
    assert 'name="token"' not in body  # no way to import a file with problems
    assert not Account.objects.filter(code="OK-1").exists()
    assert client.post(reverse("accounts:import_confirm"), {"token": "x"}).status_code == 302


def test_preview_in_chinese(world, login):
    client = login(world.am_a, "zh-hans")
    body = _upload(client, _csv(HEADER + "X-1,,,,,,,\n")).content.decode()
    assert "新客户必填" in body


def test_upsert_updates_an_existing_account_by_code(world, login, confirm):
    AccountFactory(code="UP-1", name="旧名", owner=world.am_a, region=world.district_a1)
    client = login(world.am_a)
    body = _upload(client, _csv("code,name,status\nUP-1,新名,churned\n")).content.decode()
    assert "0 to create, 1 to update" in body
    confirm(client, body)
    account = Account.objects.get(code="UP-1")
    assert (account.name, account.status, account.version) == ("新名", "churned", 2)


def test_someone_elses_account_cannot_be_overwritten(world, login):
    AccountFactory(code="THEIRS", owner=world.am_b, region=world.city_b)
    body = _upload(login(world.am_a), _csv("code,name\nTHEIRS,抢来的\n")).content.decode()
    assert "exists and you may not edit it" in body


def test_formulas_reject_the_whole_file(world, login):
    text = (
        HEADER
        + 'F-1,=HYPERLINK("http://evil"),,enterprise,finance,small,,\nF-2,好,,enterprise,finance,small,,\n'
    )
    body = _upload(login(world.am_a), _csv(text)).content.decode()
    assert "Formulas are not accepted" in body and "row 2" in body
    assert not Account.objects.filter(code__startswith="F-").exists()


def test_negative_numbers_are_not_formulas():
    assert not imports._is_formula("-12.5")
    assert imports._is_formula("-cmd|' /C calc'!A0")
    assert imports._is_formula("@SUM(A1)")


@override_settings(
    GROUPCRM={
        "IMPORT_MAX_BYTES": 1024,
        "ACCOUNT_LIST_MAX_COUNT": 10_000,
        "SLA_HOURS": {"critical": 4, "high": 24, "medium": 72, "low": 168},
    }
)
def test_oversize_file_is_rejected(world, login):
    text = HEADER + "".join(f"S-{i},名称{i},,enterprise,finance,small,,\n" for i in range(100))
    body = _upload(login(world.am_a), _csv(text)).content.decode()
    assert "The file is too large" in body
    assert not Account.objects.filter(code__startswith="S-").exists()


def test_unreadable_text_is_rejected(world, login):
    upload = SimpleUploadedFile(
        "a.csv", b"\x81\x30\xff\xfe\x00garbage\xff", content_type="text/csv"
    )
    body = _upload(login(world.am_a), upload).content.decode()
    assert "neither UTF-8 nor GBK" in body or "not a text file" in body


def test_other_file_types_are_rejected(world, login):
    body = _upload(login(world.am_a), SimpleUploadedFile("a.exe", b"MZ....")).content.decode()
    assert "Upload a .csv or .xlsx file." in body


def _xlsx(rows_by_sheet: dict[str, list[list[object]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in rows_by_sheet.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_excel_workbook_with_accounts_and_key_persons(world, login, confirm):
    import datetime as dt

    data = _xlsx(
        {
            "客户": [
                ["客户编码", "客户名称", "组织类型", "行业", "规模", "入网日期"],
                ["XL-1", "深圳电子集团", "企业", "电子", "大型", dt.datetime(2023, 5, 1)],
            ],
            "关键人": [
                ["所属客户编码", "姓名", "职务", "角色", "影响力", "关系", "驱动因素", "生日"],
                ["XL-1", "陈总", "总经理", "决策者", 5, 3, "权力、成就", "1970-01-02"],
            ],
        }
    )
    client = login(world.am_a, "zh-hans")
    body = _upload(client, SimpleUploadedFile("book.xlsx", data)).content.decode()
    assert "2 个新建" in body or "新建 2" in body or "2 to create" in body, body
    confirm(client, body)
    person = KeyPerson.objects.get(name="陈总")
    assert person.account.code == "XL-1" and person.role == "decision_maker"
    assert person.drivers == ["power", "achievement"] and person.influence == 5
    assert Account.objects.get(code="XL-1").joined_on == dt.date(2023, 5, 1)


def test_excel_formula_cells_are_rejected(world, login):
    data = _xlsx({"accounts": [["code", "name"], ["XF-1", "=1+1"]]})
    body = _upload(login(world.am_a), SimpleUploadedFile("f.xlsx", data)).content.decode()
    assert "Formulas are not accepted" in body


def test_zip_bomb_is_rejected_before_openpyxl_reads_it(world, login, monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<x/>")
        archive.writestr("xl/workbook.xml", "<x/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * (60 * 1024 * 1024) + b">")
    loaded = []
    monkeypatch.setattr("openpyxl.load_workbook", lambda *a, **k: loaded.append(1))
    body = _upload(
        login(world.am_a), SimpleUploadedFile("bomb.xlsx", buffer.getvalue())
    ).content.decode()
    assert "would expand to" in body or "zip bomb" in body
    assert loaded == []


def test_highly_compressed_member_is_rejected(world, login):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<x/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (20 * 1024 * 1024))
    body = _upload(
        login(world.am_a), SimpleUploadedFile("b.xlsx", buffer.getvalue())
    ).content.decode()
    assert "zip bomb" in body


def test_not_a_zip_is_rejected(world, login):
    body = _upload(login(world.am_a), SimpleUploadedFile("x.xlsx", b"not a zip")).content.decode()
    assert "not a valid .xlsx file" in body


def test_manager_import_assigns_owner_and_region(world, login, confirm):
    client = login(world.rm_a)
    text = (
        "code,name,org_kind,industry,size_band,region,owner\n"
        "RM-1,番禺制造,enterprise,manufacturing,small,GZ,am_gz2\n"
        "RM-2,深圳客户,enterprise,manufacturing,small,SZ,am_sz\n"
    )
    body = _upload(client, _csv(text)).content.decode()
    problems = re.findall(r"<tr><td>CSV</td><td>(\d+)</td><td><code>(\w+)</code></td>", body)
    assert ("3", "region") in problems and ("3", "owner") in problems
    body = _upload(client, _csv(text.rsplit("RM-2", 1)[0])).content.decode()
    confirm(client, body)
    account = Account.objects.get(code="RM-1")
    assert account.owner == world.am_a2 and account.region == world.city_a


def test_import_job_page_polls_while_running_and_is_private(world, login):
    run = JobRun.objects.create(job=imports.IMPORT_JOB, total=10, rows=4, triggered_by="am_gz")
    client = login(world.am_a)
    body = client.get(reverse("accounts:import_job", args=[run.pk])).content.decode()
    assert '<progress max="10" value="4">' in body and 'hx-trigger="every 1s"' in body
    partial = client.get(reverse("accounts:import_job", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    assert login(world.am_a2).get(reverse("accounts:import_job", args=[run.pk])).status_code == 404


def test_confirm_without_a_preview_is_refused(world, login):
    response = login(world.am_a).post(
        reverse("accounts:import_confirm"), {"token": "abc"}, follow=True
    )
    assert "This preview has expired" in response.content.decode()
    assert not JobRun.objects.exists()
