"""The shell: login with brute-force protection, navigation by role, languages, CSP."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _login_attempt(client: Client, username: str, password: str, ip: str):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_login_page_renders_in_both_languages(db):
    assert "Log in" in Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("login")).content.decode()
    assert "登录" in Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(reverse("login")).content.decode()


def test_login_and_logout(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = _login_attempt(client, "am_gz", "pass-word-123", "10.0.0.1")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_shows_an_error(world):
    response = _login_attempt(Client(HTTP_ACCEPT_LANGUAGE="en"), "am_gz", "nope", "10.0.0.1")
    assert response.status_code == 200
    assert "The username or password is not right" in response.content.decode()


def test_lockout_blocks_the_attacker_address_but_not_the_real_user_elsewhere(world):
    attacker = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(5):
        _login_attempt(attacker, "am_gz", "guess", "203.0.113.9")
    # Even the right password is refused from the attacker's address, with a clear message.
    locked = _login_attempt(attacker, "am_gz", "pass-word-123", "203.0.113.9")
    assert locked.status_code == 429
    body = locked.content.decode()
    assert 'id="locked-out"' in body and "Too many failed attempts" in body
    assert "_auth_user_id" not in attacker.session
    # The real user at their desk logs in normally.
    desk = Client(HTTP_ACCEPT_LANGUAGE="en")
    ok = _login_attempt(desk, "am_gz", "pass-word-123", "10.1.1.1")
    assert ok.status_code == 302 and ok["Location"] == reverse("home")
    # Another user from the attacker's address is not locked either (the pair is locked).
    other = _login_attempt(Client(), "am_gz2", "pass-word-123", "203.0.113.9")
    assert other.status_code == 302


def test_lockout_message_in_chinese(world):
    attacker = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    for _ in range(6):
        response = _login_attempt(attacker, "am_gz", "guess", "203.0.113.10")
    assert response.status_code == 429
    assert "失败次数过多" in response.content.decode()


def test_billing_client_cannot_use_pages(world):
    client = Client()
    client.force_login(world.billing)
    assert client.get(reverse("home")).status_code == 403
    assert client.get(reverse("accounts:list")).status_code == 403


def test_anonymous_is_sent_to_login(db):
    response = Client().get(reverse("accounts:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("username", "present", "absent"),
    [
        ("am_gz", ["My accounts", "Import"], ["Administration", "Region accounts"]),
        ("rm_gz", ["Region accounts", "Import"], ["Administration", "My accounts"]),
        ("hq", ["All accounts", "Administration", "API"], ["My accounts"]),
    ],
)
def test_navigation_by_role(world, login, username, present, absent):
    user = {"am_gz": world.am_a, "rm_gz": world.rm_a, "hq": world.hq}[username]
    if username == "hq":
        user.is_staff = True
        user.save()
    body = login(user).get(reverse("home")).content.decode()
    nav = body[body.index('class="mainnav"') : body.index("</nav>")]
    for text in present:
        assert text in nav
    for text in absent:
        assert text not in nav


def test_browser_language_decides_by_default_and_the_switch_overrides(world, login):
    client = login(world.am_a, "zh-hans")
    assert "我的客户" in client.get(reverse("home")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "My accounts" in client.get(reverse("home")).content.decode()
    assert "My accounts" in login(world.am_a, "en").get(reverse("home")).content.decode()


class _InlineFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        names = dict(attrs)
        if tag == "script":
            if not names.get("src"):
                self.problems.append("inline <script>")
            elif re.match(r"^(https?:)?//", names["src"] or ""):
                self.problems.append(f"external script {names['src']}")
        if tag == "link" and re.match(r"^(https?:)?//", names.get("href") or ""):
            self.problems.append(f"external link {names['href']}")
        for name in names:
            if name.startswith("on"):
                self.problems.append(f"inline handler {name} on <{tag}>")
            if name == "style":
                self.problems.append(f"inline style on <{tag}>")
        if tag == "style":
            self.problems.append("<style> block")


def test_pages_have_csp_and_no_inline_script_or_style(world, portfolio, login):
    client = login(world.rm_a)
    for url in (
        reverse("login"),
        reverse("home"),
        reverse("accounts:list"),
        reverse("accounts:detail", args=["G-HQ-001"]),
        reverse("accounts:edit", args=["G-HQ-001"]),
        reverse("accounts:key_person_add", args=["G-HQ-001"]),
        reverse("accounts:import"),
    ):
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, url
        finder = _InlineFinder()
        finder.feed(response.content.decode())
        assert finder.problems == [], (url, finder.problems)


def test_htmx_is_served_by_the_app(world, login):
    body = login(world.am_a).get(reverse("home")).content.decode()
    assert re.search(r'<script src="/static/django_htmx/htmx-2\.min\.js"', body)
    assert '"includeIndicatorStyles": false' in body
