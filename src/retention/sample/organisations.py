"""Synthetic employers, bases and partners: names, towns, industries and credit codes.

A credit code (统一社会信用代码) is built like a real one: registration authority and type
(91 enterprise, 92 sole trader, 93 co-operative, 12 public institution, 52 private non-profit),
the six-digit region, a nine-character organisation code that carries its own GB 11714 check
character, and the GB 32100-2015 check character over all of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retention.identifiers import USCC_ALPHABET, USCC_WEIGHTS, org_code_check_char

_ALPHA = np.array(list(USCC_ALPHABET))
_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
_W = np.array(USCC_WEIGHTS, np.int64)

# Trade-name characters (字号) and, per GB/T 4754 section, the words a firm's name ends with.
TRADE_CHARS = list(
    "恒达兴宏鑫盛华振远博瑞通泰顺佳丰源德隆昌新联宇创凯航腾飞越冠豪金银海天星辰科精锐"
    "诚信和安康力伟成永利嘉祥福润聚川峰杰明光亿万东升旭曜晟彩巨方正浩卓立群益美惠广"
)
INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "A": ("农业科技", "果蔬专业合作社", "生态农业"),
    "B": ("矿业",),
    "C": (
        "电器",
        "机械",
        "塑业",
        "五金",
        "轴承",
        "汽车零部件",
        "医疗器械",
        "家用电器",
        "电子",
        "新材料",
        "纺织",
        "服饰",
        "精密制造",
        "模具",
        "电机",
        "照明电器",
        "化纤",
        "食品",
        "智能装备",
        "密封件",
        "厨具",
        "阀门",
        "电线电缆",
        "印刷包装",
    ),
    "D": ("热电", "燃气", "供水"),
    "E": ("建设", "建筑工程", "市政工程", "装饰工程"),
    "F": ("贸易", "商贸", "进出口", "电子商务"),
    "G": ("物流", "供应链管理", "运输"),
    "H": ("餐饮管理", "酒店管理"),
    "I": ("信息技术", "网络科技", "软件", "数字科技"),
    "J": ("融资担保", "小额贷款"),
    "K": ("房地产开发", "物业服务"),
    "L": ("人力资源", "企业管理咨询", "会展服务"),
    "M": ("检测技术", "科技", "工程设计", "技术研究院"),
    "N": ("环境工程", "园林绿化"),
    "O": ("家政服务", "汽车维修"),
    "P": ("教育科技", "培训学校"),
    "Q": ("医院", "康复医疗中心"),
    "R": ("文化传媒", "体育发展"),
    "S": ("社会工作服务中心", "青年发展服务中心"),
}
# Cixi's employers: manufacturing first (smart appliances, auto parts, medical devices).
SECTION_WEIGHTS: dict[str, float] = {
    "C": 60,
    "F": 8,
    "I": 5,
    "M": 4,
    "L": 3,
    "E": 3.5,
    "G": 3,
    "P": 2.5,
    "Q": 2.5,
    "H": 1.5,
    "K": 1.5,
    "J": 1,
    "R": 1,
    "O": 1,
    "N": 0.8,
    "S": 0.8,
    "D": 0.5,
    "A": 0.6,
    "B": 0.1,
}
PLACES = {"慈溪市": 0.6, "宁波": 0.25, "浙江": 0.15}


@dataclass
class Organisations:
    """Column arrays of equal length."""

    name: np.ndarray
    uscc: np.ndarray
    town: np.ndarray
    section: np.ndarray

    def __len__(self) -> int:
        return self.name.size

    def take(self, index: np.ndarray) -> Organisations:
        return Organisations(
            self.name[index], self.uscc[index], self.town[index], self.section[index]
        )


def uscc_strings(bodies: np.ndarray) -> np.ndarray:
    """18-character credit codes from 17-character bodies (numpy string array)."""
    n = bodies.size
    chars = np.frombuffer("".join(bodies.tolist()).encode("ascii"), np.uint8).reshape(n, 17)
    lookup = np.zeros(128, np.int64)
    for c, i in _VALUE.items():
        lookup[ord(c)] = i
    total = lookup[chars] @ _W
    return np.strings.add(bodies, _ALPHA[(31 - total % 31) % 31])


def org_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Nine-character organisation codes: newer `MA…` codes and older numeric ones."""
    letters = _ALPHA[rng.integers(0, _ALPHA.size, (n, 6))]
    digits = rng.integers(0, 10, (n, 6)).astype("U1")
    newer = rng.random(n) < 0.6
    heads = np.array(["14", "25", "70", "72", "73", "74", "75", "76", "77", "79"])
    head = np.where(newer, "MA", heads[rng.integers(0, heads.size, n)])
    tail = np.where(newer[:, None], letters, digits)
    tail[newer, 0] = "2"  # Zhejiang's newer codes start MA2
    bodies = [h + "".join(t) for h, t in zip(head.tolist(), tail.tolist(), strict=True)]
    return np.array([b + org_code_check_char(b) for b in bodies])


def make_organisations(
    rng: np.random.Generator,
    n: int,
    towns: tuple[str, ...],
    sections: dict[str, float] | None = None,
) -> Organisations:
    """n distinct organisations (names and credit codes unique)."""
    sections = sections or SECTION_WEIGHTS
    keys = list(sections)
    w = np.array([sections[k] for k in keys], float)
    out_names: list[str] = []
    out_sections: list[str] = []
    seen: set[str] = set()
    places = list(PLACES)
    pw = np.array(list(PLACES.values()))
    while len(out_names) < n:
        m = (n - len(out_names)) * 2 + 16
        sec = np.array(keys)[rng.choice(len(keys), size=m, p=w / w.sum())]
        a = rng.integers(0, len(TRADE_CHARS), m)
        b = rng.integers(0, len(TRADE_CHARS), m)
        place = rng.choice(len(places), size=m, p=pw / pw.sum())
        word = rng.integers(0, 1000, m)
        suffix = rng.random(m)
        for i in range(m):
            s = str(sec[i])
            if a[i] == b[i]:
                continue
            trade = TRADE_CHARS[a[i]] + TRADE_CHARS[b[i]]
            words = INDUSTRY_WORDS[s]
            kind = words[word[i] % len(words)]
            if s in {"Q", "S"} or kind in {"培训学校", "果蔬专业合作社"}:
                name = f"慈溪市{trade}{kind}"
            else:
                end = (
                    "股份有限公司"
                    if suffix[i] < 0.12
                    else "集团有限公司"
                    if suffix[i] < 0.16
                    else "有限公司"
                )
                name = f"{places[place[i]]}{trade}{kind}{end}"
            if name in seen:
                continue
            seen.add(name)
            out_names.append(name)
            out_sections.append(s)
            if len(out_names) == n:
                break
    names_arr = np.array(out_names)
    sec_arr = np.array(out_sections)
    kind = np.full(n, "91")
    kind[np.char.endswith(names_arr, "医院")] = "12"
    kind[np.char.endswith(names_arr, "中心")] = "52"
    kind[np.char.endswith(names_arr, "合作社")] = "93"
    kind[np.char.endswith(names_arr, "培训学校")] = "52"
    region = np.where(rng.random(n) < 0.9, "330282", "330200")
    uscc = _unique_uscc(rng, np.strings.add(kind, region))
    town_arr = np.array(towns)[rng.integers(0, len(towns), n)]
    return Organisations(names_arr, uscc, town_arr, sec_arr)


def _unique_uscc(rng: np.random.Generator, heads: np.ndarray) -> np.ndarray:
    out = np.strings.add(heads, org_codes(rng, heads.size))
    while True:
        _, first = np.unique(out, return_index=True)
        dup = np.ones(out.size, bool)
        dup[first] = False
        if not dup.any():
            break
        out[dup] = np.strings.add(heads[dup], org_codes(rng, int(dup.sum())))
    return uscc_strings(out)


def sole_traders(rng: np.random.Generator, n: int, towns: tuple[str, ...]) -> Organisations:
    """Graduates' own start-ups (自主创业): sole traders and small firms in Cixi."""
    orgs = make_organisations(
        rng, n, towns, {"F": 4, "I": 2, "H": 2, "O": 2, "R": 1, "C": 2, "L": 1}
    )
    trader = rng.random(n) < 0.5
    heads = np.where(trader, "92330282", "91330282")
    orgs.uscc = _unique_uscc(rng, heads)
    return orgs
