"""Charts: a CJK font is found and used (no missing glyphs), PNGs are deterministic and not blank."""

from __future__ import annotations

import importlib.util
import io
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from planning._errors import PlanningError
from planning.reports import charts

_spec = importlib.util.spec_from_file_location("tiny_county", Path(__file__).parent / "tiny.py")
tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tiny)


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)


def test_cjk_font_found_and_chinese_renders_without_missing_glyphs():
    name = charts.cjk_font()
    assert name in charts.CJK_FAMILIES
    from matplotlib import font_manager

    path = font_manager.findfont(font_manager.FontProperties(family=name), fallback_to_default=False)
    assert "CJK" in path or "wqy" in path.lower() or "hei" in path.lower(), path
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = charts.failing_population_chart(["HC-01", "EM-01"], [515, 2665], lang="zh")
        charts.share_chart(["城关镇", "石门乡"], [1.0, 0.0], lang="zh", title="各乡镇覆盖率（15 分钟）")
        charts.static_map(tiny.county(), village_status={"V5": "fail", "V1": "pass"}, actions=tiny.actions())
    assert [str(w.message) for w in caught] == []
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_bundled_font_renders_chinese_on_a_machine_without_cjk_fonts(monkeypatch):
    # a fresh machine with nothing but Python: matplotlib knows no CJK font and the system has none
    from matplotlib import font_manager

    bundled = charts.bundled_cjk_font()
    assert bundled is not None and bundled.name == charts.BUNDLED_CJK_FILE, "mpl-font (a dependency) is missing"
    manager = font_manager.fontManager
    cjk_hints = ("cjk", "wqy", "hei", "han", "pingfang", "yahei", "simsun")
    latin_only = [f for f in manager.ttflist if not any(h in (f.name + f.fname).lower() for h in cjk_hints)]
    assert latin_only, "matplotlib lists no font at all"
    monkeypatch.setattr(manager, "ttflist", latin_only)
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *args, **kwargs: [])
    font_manager.FontManager._findfont_cached.cache_clear()
    try:
        name = charts.cjk_font()
        assert name == "Noto Sans CJK SC"
        path = font_manager.findfont(font_manager.FontProperties(family=name), fallback_to_default=False)
        assert Path(path) == bundled
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            png = charts.share_chart(["城关镇", "石门乡"], [1.0, 0.0], lang="zh", title="各乡镇覆盖率（15 分钟）")
        assert [str(w.message) for w in caught] == []
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        font_manager.FontManager._findfont_cached.cache_clear()


def test_missing_glyph_detection_works():
    # positive control: the same drawing with a Latin-only font does warn about the Chinese glyphs
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        fig = Figure()
        FigureCanvasAgg(fig)
        fig.add_subplot().set_title("各乡镇覆盖率")
        with pytest.warns(UserWarning, match="missing from font"):
            fig.savefig(io.BytesIO(), format="png")


def test_no_cjk_font_is_a_clear_error():
    with pytest.raises(PlanningError, match="pip install mpl-font.*apt-get install fonts-noto-cjk"):
        charts.cjk_font(families=("No Such Font Family",))


def test_charts_are_deterministic_and_not_blank():
    a = charts.status_chart({"pass": 12, "fail": 9, "no_data": 3, "not_applicable": 1}, lang="zh")
    b = charts.status_chart({"pass": 12, "fail": 9, "no_data": 3, "not_applicable": 1}, lang="zh")
    assert a == b
    px = _pixels(a)
    assert len({tuple(p) for p in px}) > 30
    # each status bar in its colour
    for colour in ("#1a9850", "#d73027", "#9e9e9e"):
        rgb = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
        assert (px == rgb).all(axis=1).sum() > 200, colour


def test_static_map_draws_failing_villages_and_sites_in_their_colours():
    png = charts.static_map(tiny.county(), village_status={"V4": "fail", "V5": "fail", "V1": "pass"},
                            actions=tiny.actions(), lang="zh")
    px = _pixels(png)
    fail = (px == (0xD7, 0x30, 0x27)).all(axis=1).sum()
    site = (px == (0x1B, 0x78, 0x37)).all(axis=1).sum()
    without = _pixels(charts.static_map(tiny.county(), village_status={}, actions=None, lang="zh"))
    # the legend shows both colours too; the map adds the two failing villages and the two sites
    assert fail > (without == (0xD7, 0x30, 0x27)).all(axis=1).sum() + 10
    assert site > 20 and (without == (0x1B, 0x78, 0x37)).all(axis=1).sum() == 0
