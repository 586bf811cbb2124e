"""Chinese text of the HTML report and map renders on a machine without Chinese fonts: the page
embeds the subset of Noto Sans CJK SC it needs, checked in real headless chromium whose only font
is DejaVu Sans."""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib
import pytest
from fontTools.ttLib import TTFont

from browser import chromium_command
from planning.maps import make_map, save_map
from planning.reports import build_report
from planning.reports.charts import bundled_cjk_font
from planning.reports.webfont import EMBEDDED_FAMILY, cjk_woff, embed_cjk_font, page_characters

_spec = importlib.util.spec_from_file_location("tiny_county", Path(__file__).parent / "tiny.py")
tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tiny)

DEJAVU = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
_FACE = re.compile(r"<style>@font-face \{[^<]*?base64,([A-Za-z0-9+/=]+)\)[^<]*</style>\n")


def _embedded_cmap(page: str) -> set[str]:
    found = _FACE.findall(page)
    assert len(found) == 1, "the page should embed exactly one font"
    font = TTFont(io.BytesIO(base64.b64decode(found[0])))
    assert font.flavor == "woff"
    return {chr(c) for c in font.getBestCmap()}


def _full_cmap(path: Path) -> set[str]:
    with TTFont(path, lazy=True) as font:
        return {chr(c) for c in font.getBestCmap()}


def test_page_characters_include_script_escapes():
    page = '<html><head></head><body>东关村 ok<script>var s = "\\u67f3\\u6811\\u576a\\u6751 \\u0041";</script></body></html>'
    assert page_characters(page) == "".join(sorted("东关村柳树坪"))


def test_subset_holds_every_character_the_font_has():
    wanted = "示范县村卫生室覆盖率％（）——·●①"
    font = TTFont(io.BytesIO(cjk_woff(wanted)))
    has = {chr(c) for c in font.getBestCmap()}
    full = _full_cmap(bundled_cjk_font())
    assert {c for c in wanted if c in full} <= has
    assert len(has) < 40, "the subset should hold the characters asked for, not the whole font"
    names = {r.nameID: r.toUnicode() for r in font["name"].names}
    assert "SIL Open Font License" in names[13] and 0 in names       # the license travels with the font


def test_embedding_is_deterministic_and_leaves_plain_pages_alone():
    page = "<html><head><title>t</title></head><body>示范县</body></html>"
    cjk_woff.cache_clear()
    first = embed_cjk_font(page)
    cjk_woff.cache_clear()
    assert embed_cjk_font(page) == first                      # byte-identical, no timestamp
    assert first.index("@font-face") < first.index("</head>") and EMBEDDED_FAMILY in first
    assert embed_cjk_font("<html><head></head><body>only ASCII</body></html>").count("@font-face") == 0


def test_report_and_map_embed_every_character_they_show(tmp_path):
    report = build_report(tiny.county(), tiny.compliance(after=True), before=tiny.compliance(),
                          actions=tiny.actions(), lang="zh")
    report_page = report.write_html(tmp_path / "report.html").read_text(encoding="utf-8")
    map_page = save_map(_map(), tmp_path / "map.html").read_text(encoding="utf-8")
    full = _full_cmap(bundled_cjk_font())
    for page in (report_page, map_page):
        shown = {c for c in page_characters(page) if c in full}
        assert shown and shown <= _embedded_cmap(page)
        assert f'"{EMBEDDED_FAMILY}", sans-serif' in page    # named by the page's font list


def _map():
    return make_map(tiny.county(), compliance=tiny.compliance(), nearest={"village_clinic": tiny.nearest()},
                    service_areas=tiny.service_areas(), actions=tiny.actions())


# ---------------------------------------------------------------------------------------------
# in chromium, with DejaVu Sans as the only font of the machine
# ---------------------------------------------------------------------------------------------

#: Appended to a copy of the page (run once it has loaded: the map builds its elements in a script
#: after ``</body>``): draws every character of ``CHARS`` in the font list of the
#: element ``SELECTOR`` and compares it with the drawing of a private-use character that no font
#: has (the missing-glyph box); writes the characters drawn as that box into the page.
_CHECK = """
<pre id="font-check">pending</pre>
<script>
window.addEventListener('load', function () {
  var chars = CHARS;
  var family = getComputedStyle(document.querySelector(SELECTOR)).fontFamily;
  function drawn(ch) {
    var c = document.createElement('canvas'); c.width = 56; c.height = 56;
    var g = c.getContext('2d'); g.font = '40px ' + family; g.textBaseline = 'top';
    g.fillStyle = '#000'; g.fillText(ch, 4, 4);
    return Array.prototype.join.call(g.getImageData(0, 0, 56, 56).data, '');
  }
  document.fonts.load('40px ' + family, chars.join('') + '\\ue000').then(function () {
    var box = drawn('\\ue000');
    var boxes = chars.filter(function (ch) { return drawn(ch) === box; });
    document.getElementById('font-check').textContent = JSON.stringify({family: family, boxes: boxes});
  });
});
</script>
"""


def _boxes_in_chromium(exe: str, page: str, selector: str, chars: list[str], tmp: Path) -> list[str]:
    """The characters chromium draws as missing-glyph boxes in ``page`` on a machine whose only
    font is DejaVu Sans."""
    fonts = tmp / "fonts"
    fonts.mkdir(parents=True, exist_ok=True)
    shutil.copy(DEJAVU, fonts / DEJAVU.name)
    conf = tmp / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
                    f"<dir>{fonts}</dir><cachedir>{tmp / 'fontcache'}</cachedir></fontconfig>\n")
    check = _CHECK.replace("CHARS", json.dumps(chars)).replace("SELECTOR", json.dumps(selector))
    path = tmp / "page.html"
    path.write_text(page + check, encoding="utf-8")
    cmd = chromium_command(exe, path, tmp / "profile", "--dump-dom", budget_ms=8000)
    env = dict(os.environ, FONTCONFIG_FILE=str(conf))
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True, env=env).stdout
    found = re.search(r'<pre id="font-check">(.*?)</pre>', dom, flags=re.S)
    assert found and found.group(1) != "pending", "the check did not run in chromium"
    result = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    return result["boxes"]


@pytest.mark.parametrize("which", ["report", "map"])
def test_chinese_renders_in_chromium_without_chinese_fonts(chromium, tmp_path, which):
    if which == "report":
        report = build_report(tiny.county(), tiny.compliance(), actions=tiny.actions(), lang="zh")
        page, selector = report.write_html(tmp_path / "report.html").read_text(encoding="utf-8"), "body"
    else:
        page, selector = save_map(_map(), tmp_path / "map.html").read_text(encoding="utf-8"), ".leaflet-container"
    full, dejavu = _full_cmap(bundled_cjk_font()), _full_cmap(DEJAVU)
    chars = [c for c in page_characters(page) if c in full and c not in dejavu]
    assert len(chars) > 50
    # without the embedded font, this machine draws them as boxes (so the check can see a failure)
    bare = _FACE.sub("", page)
    assert sorted(_boxes_in_chromium(chromium, bare, selector, chars, tmp_path / "bare")) == sorted(chars)
    # with it, none
    assert _boxes_in_chromium(chromium, page, selector, chars, tmp_path / "embedded") == []
