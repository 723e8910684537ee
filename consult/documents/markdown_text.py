"""Markdown written by residents and recorders, made into HTML that is safe to print or show.

Python-Markdown passes raw HTML through, so its output is never trusted: nh3 (ammonia) then keeps
only a small allow-list of tags and attributes. Images are not allowed at all: a document must
not reach out for resources (render.safe_fetcher refuses them anyway) and a picture in the minutes
belongs in an attachment.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Final

import markdown
import nh3
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup

__all__ = ["ALLOWED_ATTRIBUTES", "ALLOWED_SCHEMES", "ALLOWED_TAGS", "markdown_to_safe_html"]

ALLOWED_TAGS: Final = frozenset(
    {
        "p",
        "br",
        "strong",
        "em",
        "ul",
        "ol",
        "li",
        "blockquote",
        "code",
        "pre",
        "h3",
        "h4",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "a",
    }
)
ALLOWED_ATTRIBUTES: Final = {"a": frozenset({"href"})}
ALLOWED_SCHEMES: Final = frozenset({"http", "https", "mailto"})
_LINK_REL: Final = "noopener noreferrer"

# Headings inside a document sit under its own h1/h2, so "#" and "##" become h3 and h4, and
# deeper levels stay h4 (the allow-list has no h5/h6, which would otherwise lose their break).
_HEADING_LEVELS: Final = {"h1": "h3", "h2": "h4", "h3": "h4", "h4": "h4", "h5": "h4", "h6": "h4"}


class _ShiftHeadings(Treeprocessor):
    def run(self, root: ET.Element) -> None:
        for element in root.iter():
            element.tag = _HEADING_LEVELS.get(element.tag, element.tag)


def _keep_absolute_links(tag: str, attribute: str, value: str) -> str | None:
    # nh3's scheme list admits relative URLs, which mean nothing in a PDF or to a reader of
    # the minutes elsewhere; keep only absolute addresses with an allowed scheme.
    if tag == "a" and attribute == "href":
        scheme, colon, _ = value.strip().partition(":")
        if not colon or scheme.lower() not in ALLOWED_SCHEMES:
            return None
    return value


_CLEANER: Final = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    # <script> and <style> lose their content, not just their tags (nh3's default set, spelled
    # out so the allow-list above cannot silently drift from it).
    clean_content_tags={"script", "style"},
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    attribute_filter=_keep_absolute_links,
    url_schemes=set(ALLOWED_SCHEMES),
    link_rel=_LINK_REL,
    strip_comments=True,
)


def markdown_to_safe_html(text: str) -> Markup:
    """Markdown to sanitised HTML, ready to be inserted into an autoescaping template.

    Tables and sane lists are on (minutes list motions and tallies); single line breaks are
    kept (nl2br), because recorders type line by line and expect the lines to stay.
    """
    converter = markdown.Markdown(extensions=["tables", "sane_lists", "nl2br"])
    converter.treeprocessors.register(_ShiftHeadings(converter), "consult_shift_headings", 5)
    html = converter.convert(text)
    return Markup(_CLEANER.clean(html))  # noqa: S704 - nh3 has just sanitised it
