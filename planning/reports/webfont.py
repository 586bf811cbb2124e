"""Chinese text of the HTML outputs renders on any machine: the characters a page uses, cut from
the bundled Noto Sans CJK SC and embedded in the page as a web font.

The report and the map name the usual Chinese system fonts first (:data:`FONT_STACK`: "Noto
Sans CJK SC", "Microsoft YaHei", "PingFang SC", "SimSun"); a machine with none of them (a server, a bare Linux desktop)
would draw every Chinese character as an empty box. :func:`embed_cjk_font` adds an
``@font-face`` of :data:`EMBEDDED_FAMILY` to the page — the subset of the font that ``mpl-font``
installs from PyPI holding exactly the page's characters (those written as escapes such as
``\\u6751`` in its scripts included: popups and legends of the map) — which the pages' font
lists name after the system fonts, so a browser takes it only where it has none of them.

The subset is a WOFF file (zlib-compressed), with the font's copyright and SIL Open Font License
entries kept in its name table. The same page gives the same bytes (the font's timestamps are not
touched).
"""

from __future__ import annotations

import base64
import functools
import io
import re

from planning.reports.charts import bundled_cjk_font

__all__ = ["EMBEDDED_FAMILY", "FONT_STACK", "page_characters", "cjk_woff", "embed_cjk_font"]

#: CSS family name of the embedded subset (not a system font's name, so it never shadows one).
EMBEDDED_FAMILY = "Planning Noto Sans SC"
#: The CSS font list of every HTML output: the usual Chinese system fonts, then the embedded subset.
FONT_STACK = f'"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "SimSun", "{EMBEDDED_FAMILY}", sans-serif'
#: Escapes such as ``\u6751`` (JSON strings in the map's scripts).
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
#: Name table entries kept: family, style, names and version (0-6), the license and its URL (13, 14).
_NAME_IDS = [0, 1, 2, 3, 4, 5, 6, 13, 14]


def page_characters(page: str) -> str:
    """The characters beyond ASCII of an HTML page, escaped ones included, sorted, each once.

    Examples
    --------
    >>> page_characters('<p>示范县</p><script>var s = "\\\\u6751";</script>')
    '县村示范'
    """
    found = set(page)
    found.update(chr(int(h, 16)) for h in set(_ESCAPE.findall(page)))
    return "".join(sorted(c for c in found if ord(c) > 127))


@functools.lru_cache(maxsize=8)
def cjk_woff(characters: str) -> bytes | None:
    """WOFF subset of the bundled Noto Sans CJK SC holding ``characters`` (those it has).

    Parameters
    ----------
    characters : str
        The characters to keep.

    Returns
    -------
    bytes or None
        The font file; ``None`` when ``mpl-font`` (a dependency) is not installed.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    path = bundled_cjk_font()
    if path is None:
        return None
    options = subset.Options()
    options.flavor = "woff"
    options.hinting = False
    options.desubroutinize = True          # compresses better
    options.name_IDs = _NAME_IDS
    out = io.BytesIO()
    with TTFont(path, lazy=True, recalcTimestamp=False) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=characters)
        subsetter.subset(font)
        font.flavor = "woff"
        font.save(out)
    return out.getvalue()


def embed_cjk_font(page: str) -> str:
    """``page`` with an ``@font-face`` of :data:`EMBEDDED_FAMILY` for its characters before ``</head>``.

    Parameters
    ----------
    page : str
        A whole HTML page with a ``<head>``.

    Returns
    -------
    str
        The page unchanged when it has no character beyond ASCII, no ``</head>``, or when the
        bundled font is not installed (then system fonts alone draw it).
    """
    characters = page_characters(page)
    if not characters or "</head>" not in page:
        return page
    woff = cjk_woff(characters)
    if woff is None:
        return page
    data = base64.b64encode(woff).decode("ascii")
    style = (f'<style>@font-face {{ font-family: "{EMBEDDED_FAMILY}"; font-style: normal; font-weight: 400; '
             f'src: url(data:font/woff;base64,{data}) format("woff"); }}</style>\n')
    return page.replace("</head>", style + "</head>", 1)
