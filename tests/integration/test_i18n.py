"""Simplified Chinese is the default language, English the other: the catalogue is complete,
pages speak Chinese unless asked for English, and no template shows unmarked English text."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from jinja2 import Environment

from tests.conftest import World, csrf_token
from tests.integration.test_web_register import csv_bytes, text_of, upload

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "consult" / "translations"
# Flask-Babel looks for <BABEL_DEFAULT_LOCALE>/LC_MESSAGES/messages.mo: the locale is zh_Hans.
ZH_PO = TRANSLATIONS / "zh_Hans" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")
HTML_LANG = re.compile(r'<html lang="([^"]+)">')


def zh_catalogue() -> Catalog:
    with ZH_PO.open("rb") as handle:
        return read_po(handle, locale="zh_Hans")


def source_msgids() -> set[str | tuple[str, ...]]:
    """Every string marked for translation in the code now, extracted as `make messages` does."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    found: set[str | tuple[str, ...]] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


# ---------------------------------------------------------------- the catalogue


def test_the_chinese_catalogue_translates_every_marked_string() -> None:
    catalogue = zh_catalogue()
    translated = {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalogue if m.id}
    missing = source_msgids() - translated
    assert not missing, f"run `make messages` and translate: {sorted(map(str, missing))[:10]}"


def test_the_chinese_catalogue_has_no_empty_or_fuzzy_entry_and_keeps_placeholders() -> None:
    catalogue = zh_catalogue()
    assert catalogue.num_plurals == 1  # Chinese has one plural form
    assert not catalogue.fuzzy
    problems = []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        if message.fuzzy or not all(strings):
            problems.append(("untranslated or fuzzy", ids[0]))
            continue
        wanted = sorted(set(PLACEHOLDER.findall(ids[-1])))
        for string in strings:
            if sorted(set(PLACEHOLDER.findall(string))) != wanted:
                problems.append(("placeholders differ", ids[0]))
            if string == ids[0] and re.search("[A-Za-z]{3}", string):
                problems.append(("left in English", ids[0]))
    assert problems == []


# ---------------------------------------------------------------- pages


def test_a_page_without_a_language_preference_is_in_chinese(client: FlaskClient) -> None:
    login = text_of(client.get("/login"))
    assert HTML_LANG.search(login).group(1) == "zh-Hans"  # type: ignore[union-attr]
    assert "<h1>登录</h1>" in login
    assert "电子邮箱" in login
    assert "密码" in login
    assert "Sign in" not in login
    assert "Password" not in login
    home = text_of(client.get("/"))
    assert HTML_LANG.search(home).group(1) == "zh-Hans"  # type: ignore[union-attr]
    assert "基层群众自治，公开透明" in home
    assert "Grassroots self-governance" not in home


def test_lang_en_shows_english_and_the_choice_is_remembered(client: FlaskClient) -> None:
    english = text_of(client.get("/login?lang=en"))
    assert HTML_LANG.search(english).group(1) == "en"  # type: ignore[union-attr]
    assert "<h1>Sign in</h1>" in english
    assert "登录" not in english
    later = text_of(client.get("/"))
    assert HTML_LANG.search(later).group(1) == "en"  # type: ignore[union-attr]
    assert "Grassroots self-governance, in the open" in later


def test_the_language_button_switches_back_to_chinese(client: FlaskClient) -> None:
    english = text_of(client.get("/login?lang=en"))
    assert '<button type="submit" name="lang" value="zh_Hans" lang="zh-Hans">中文</button>' in (
        english
    )
    switched = client.post(
        "/prefs", data={"csrf_token": csrf_token(english), "lang": "zh_Hans", "next": "/login"}
    )
    assert switched.status_code == 302
    assert switched.headers["Location"].endswith("/login")
    chinese = text_of(client.get("/login"))
    assert "<h1>登录</h1>" in chinese
    assert '<button type="submit" name="lang" value="en" lang="en">English</button>' in chinese


def test_form_errors_are_in_chinese(client: FlaskClient) -> None:
    token = csrf_token(text_of(client.get("/signup")))
    page = text_of(
        client.post(
            "/signup",
            data={
                "csrf_token": token,
                "display_name": "",
                "email": "not-an-address",
                "password": "short",
                "confirm": "other",
            },
        )
    )
    assert "请填写此项。" in page
    assert "这不是有效的电子邮箱地址。" in page
    assert "密码至少要有 8 个字符。" in page
    assert "两次输入的密码不一样。" in page
    assert "Field must" not in page
    assert "This field is required" not in page


def test_an_error_page_is_in_chinese(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    page = text_of(response)
    assert "找不到页面" in page
    assert "回到首页" in page
    assert "Not Found" not in page
    assert "requested URL" not in page


def test_the_register_speaks_chinese_to_staff(as_role: Any, world: World) -> None:
    staff = as_role("staff")
    page = text_of(staff.get("/c/heping/residents"))
    assert "<h1>名册" in page
    assert "张秀英" in page
    assert "户籍在本社区" in page  # the registration category, from web/labels.py
    assert "Household register" not in page
    home = text_of(staff.get("/"))
    assert "委员会工作人员" in home  # the role label
    assert "有选民资格的人数" in home


def test_the_import_report_explains_bad_lines_in_chinese(as_role: Any, world: World) -> None:
    staff = as_role("staff")
    response = upload(staff, csv_bytes("H101,刘德福,1946-11-02,X,G1,,"))
    assert response.status_code == 422
    page = text_of(response)
    assert "没有导入任何内容" in page
    assert "文件中有 1 行有误。请改正后重新导入整个文件。" in page
    assert "gender（性别）列应填 M（男）或 F（女），不能填 &#39;X&#39;。" in page
    staff.get("/?lang=en")
    english = text_of(upload(staff, csv_bytes("H101,刘德福,1946-11-02,X,G1,,")))
    assert "gender must be M or F, not &#39;X&#39;." in english


# ---------------------------------------------------------------- templates


class _TextFinder(HTMLParser):
    """Text nodes (and visible attributes) with Latin letters, outside code and English."""

    VISIBLE_ATTRIBUTES = frozenset({"title", "alt", "placeholder", "aria-label", "label"})
    VOID = frozenset({"br", "input", "meta", "link", "img", "hr", "source", "wbr"})
    VERBATIM = frozenset({"code", "pre", "script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, dict[str, str | None]]] = []
        self.found: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in self.VISIBLE_ATTRIBUTES and re.search("[A-Za-z]", value or ""):
                self.found.append((self.getpos()[0], f"{tag} {name}={value!r}"))
        if tag not in self.VOID:
            self.open.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        while self.open and self.open.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if any(tag in self.VERBATIM for tag, _ in self.open):
            return
        if any((attrs.get("lang") or "").startswith("en") for _, attrs in self.open):
            return  # text marked as English on purpose (the "English" button)
        line = self.getpos()[0]
        for fragment in data.split(MARK):  # the text between two template tags
            if re.search("[A-Za-z]", fragment):
                self.found.append(
                    (
                        line + fragment[: len(fragment) - len(fragment.lstrip())].count("\n"),
                        fragment.strip(),
                    )
                )
            line += fragment.count("\n")


MARK = "\u00a7"  # stands for a {{ }} or {% %}: not a letter
_JINJA = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)  # only lexes
# Text that is not shown: the body class a child template adds through a block.
_NOT_SHOWN = {("registry/code_slip.html", "slip-page")}


def unmarked_text(source: str) -> list[tuple[int, str]]:
    """The template's literal text with every {{ }} and {% %} replaced by a neutral mark
    (the lexer drops {# #} comments), then searched for Latin letters. A `style` block holds
    CSS for the layout's <style> element (the PDF templates), not shown text."""
    parts: list[str] = []
    line = 1
    tokens = list(_JINJA.lex(source))
    blocks: list[str] = []
    for n, (lineno, kind, value) in enumerate(tokens):
        parts.append("\n" * max(0, lineno - line))
        line = max(line, lineno)
        if kind == "data":
            parts.append(value)
            line += value.count("\n")
        elif kind in ("variable_begin", "block_begin"):
            parts.append(MARK)
            tag = _tag_words(tokens, n) if kind == "block_begin" else ()
            if tag[:1] == ("block",) and len(tag) > 1:
                blocks.append(tag[1])
                if tag[1] == "style":
                    parts.append("<style>")
            elif tag[:1] == ("endblock",) and blocks and blocks.pop() == "style":
                parts.append("</style>")
    finder = _TextFinder()
    finder.feed("".join(parts))
    finder.close()
    return finder.found


def _tag_words(tokens: list[tuple[int, str, str]], start: int) -> tuple[str, ...]:
    """The names of the {% %} tag beginning at `start`: ("block", "style"), ("endblock",)."""
    words = []
    for _lineno, kind, value in tokens[start + 1 :]:
        if kind == "block_end":
            break
        if kind == "name":
            words.append(value)
    return tuple(words[:2])


def test_the_text_finder_catches_unmarked_english() -> None:
    source = (
        '{% extends "base.html" %}{% block content %}\n'
        '<p>{{ _("Marked") }}</p>\n<p>Not marked</p>\n<input placeholder="Type here">\n'
        '<code>household</code><button lang="en">English</button>{# a comment #}\n'
        "{% endblock %}"
    )
    assert unmarked_text(source) == [(3, "Not marked"), (4, "input placeholder='Type here'")]
    css = '{% extends "pdf/base.html" %}{% block style %}\n.a { color: red; }\n{% endblock %}'
    assert unmarked_text(css + "{% block body %}<p>Shown</p>{% endblock %}") == [(3, "Shown")]


def test_templates_show_no_unmarked_english_text() -> None:
    templates = ROOT / "templates"
    problems = []
    for path in sorted(templates.rglob("*.html")):
        name = path.relative_to(templates).as_posix()
        for line, text in unmarked_text(path.read_text(encoding="utf-8")):
            if (name, text) not in _NOT_SHOWN:
                problems.append(f"{name}:{line}: {text}")
    assert problems == [], "wrap these in _(): " + "; ".join(problems)
