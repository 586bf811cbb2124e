"""Chinese place names for the demo county, generated from syllable lists (all unique).

Village names follow the loess-plateau pattern of 临县 and its neighbours: a surname and 家 plus
a landform word (高家塔, 刘家沟, 前李家峁), or a descriptive word plus a landform (石门坪,
柳林湾). Township names are two place syllables plus 镇/乡; towns' residential communities are
named like 凤鸣小区, 锦绣家园.
"""

from __future__ import annotations

import numpy as np

__all__ = ["NameMaker"]

SURNAMES = list(
    "王李张刘陈杨赵黄周吴徐孙马胡朱郭何罗高林郑梁谢宋唐许韩冯邓曹彭曾田董袁蔡蒋余杜叶程魏苏"
    "吕丁任卢姚崔薛闫段雷史陶贺毛郝武乔樊白孟秦侯常康牛成訾冀柴贾尚任辛曲兰苗岳"
)
LANDFORMS = list("沟塔峁坪湾庄岭渠峪墕咀山寨坡圪焉梁村圪")
LANDFORMS = [w for w in LANDFORMS if w != "圪"] + ["圪台", "圪垛", "崖底", "河畔", "则", "里", "会", "头"]
DESCRIPTORS = list("石柳杏枣榆杨松桃槐清白青红黑马牛羊龙凤金银东西南北前后上下中大小新老")
DESCRIPTORS2 = list("门林园泉口峰阳岩窑堡湾坡家石沙川水")
PLACE_1 = list("白城兔克三湍林招碛丛曲青石雷玉大车安木临湫安丰正义德永兴吉宁定庆和康泰同")
PLACE_2 = list("文庄坂虎交头坪贤口罗峪凉寺碛坪禹赶业堡家瓜泉水源川平阳安乐丰宁兴化山村")
STREET_NAMES = ["城关", "凤城", "龙泉", "城东", "城西", "湫水", "城北", "城南", "滨河", "鼓楼"]
COMMUNITY_1 = list("锦绣凤鸣龙泉滨河阳光幸福和谐翠苑金都新华东方丽景书香御景康乐华府长兴文昌")
COMMUNITY_2 = ["小区", "家园", "花园", "苑", "新村", "名邸", "佳苑", "雅居"]
NEIGHBOURHOOD_1 = list("东西南北中新文兴安和平康福民乐泰华城河桥园")


def _pairs(first: list[str], second: list[str]) -> list[str]:
    return [a + b for a in first for b in second if a != b]


class NameMaker:
    """Draws unique names of each kind from a seeded generator.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.

    Examples
    --------
    >>> import numpy as np
    >>> names = NameMaker(np.random.default_rng(0))
    >>> a, b = names.village(), names.village()
    >>> a != b
    True
    """

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._used: set[str] = set()
        self._village = (
            [s + "家" + w for s in SURNAMES for w in LANDFORMS],
            [p + s + "家" + w for p in "前后上下东西南北大小" for s in SURNAMES for w in LANDFORMS[:8]],
            [a + b + w for a in DESCRIPTORS for b in DESCRIPTORS2 for w in LANDFORMS],
        )
        self._township = _pairs(PLACE_1, PLACE_2)
        self._neighbourhood = _pairs(NEIGHBOURHOOD_1, NEIGHBOURHOOD_1 + list("阳苑街路门"))
        self._community = ([COMMUNITY_1[i] + COMMUNITY_1[i + 1] + s
                            for i in range(0, len(COMMUNITY_1) - 1, 2) for s in COMMUNITY_2]
                           + [a + b + s for a in PLACE_1 for b in "苑园城府" for s in ("小区", "家园")])

    def _draw(self, candidates: list[str]) -> str:
        name = candidates[int(self._rng.integers(len(candidates)))]
        if name in self._used:
            free = [c for c in candidates if c not in self._used]
            name = free[int(self._rng.integers(len(free)))]
        self._used.add(name)
        return name

    def village(self) -> str:
        """An administrative-village name (…村 is implied, as planners write them)."""
        u = self._rng.random()
        return self._draw(self._village[0 if u < 0.62 else 1 if u < 0.78 else 2])

    def township(self, kind: str) -> str:
        """A township name; ``kind`` is ``"town"`` (…镇) or ``"township"`` (…乡)."""
        base = self._draw(self._township)
        return base + ("镇" if kind == "town" else "乡")

    def street(self) -> str:
        """A street-office name (…街道)."""
        return self._draw(STREET_NAMES) + "街道"

    def neighbourhood(self) -> str:
        """An urban neighbourhood committee name (…社区)."""
        return self._draw(self._neighbourhood) + "社区"

    def community(self) -> str:
        """A residential-community (小区) name."""
        return self._draw(self._community)
