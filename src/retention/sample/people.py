"""Synthetic people: resident IDs with real birth dates and check characters, and names.

No real person: an ID is built from a real-looking region prefix, a birth date in the range
the role calls for (graduates born ~1995-2003, talents older), a sequence number whose parity
carries the sex, and the GB 11643-1999 check character. One allocator hands out every ID of a
run, so a person keeps one ID across feeds and no two people share one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retention.identifiers import ID_CHECK, ID_WEIGHTS

CIXI = "330282"

# Region prefix -> how a roster writes the place of origin (生源地).
REGIONS: dict[str, str] = {
    "330282": "浙江省慈溪市",
    "330203": "浙江省宁波市海曙区",
    "330205": "浙江省宁波市江北区",
    "330206": "浙江省宁波市北仑区",
    "330211": "浙江省宁波市镇海区",
    "330212": "浙江省宁波市鄞州区",
    "330213": "浙江省宁波市奉化区",
    "330225": "浙江省象山县",
    "330226": "浙江省宁海县",
    "330281": "浙江省余姚市",
    "330102": "浙江省杭州市上城区",
    "330106": "浙江省杭州市西湖区",
    "330302": "浙江省温州市鹿城区",
    "330381": "浙江省瑞安市",
    "330402": "浙江省嘉兴市南湖区",
    "330482": "浙江省平湖市",
    "330602": "浙江省绍兴市越城区",
    "330681": "浙江省诸暨市",
    "330702": "浙江省金华市婺城区",
    "330782": "浙江省义乌市",
    "330802": "浙江省衢州市柯城区",
    "330902": "浙江省舟山市定海区",
    "331002": "浙江省台州市椒江区",
    "331082": "浙江省临海市",
    "331102": "浙江省丽水市莲都区",
    "340104": "安徽省合肥市蜀山区",
    "340822": "安徽省怀宁县",
    "341221": "安徽省临泉县",
    "360102": "江西省南昌市东湖区",
    "360730": "江西省宁都县",
    "361121": "江西省上饶县",
    "410102": "河南省郑州市中原区",
    "411302": "河南省南阳市宛城区",
    "412721": "河南省扶沟县",
    "421002": "湖北省荆州市沙市区",
    "421182": "湖北省武穴市",
    "431102": "湖南省永州市零陵区",
    "430521": "湖南省邵东县",
    "500101": "重庆市万州区",
    "500230": "重庆市丰都县",
    "510722": "四川省三台县",
    "511321": "四川省南部县",
    "520102": "贵州省贵阳市南明区",
    "522101": "贵州省遵义市",
    "530102": "云南省昆明市五华区",
    "532128": "云南省镇雄县",
    "320102": "江苏省南京市玄武区",
    "320582": "江苏省张家港市",
    "370102": "山东省济南市历下区",
    "350102": "福建省福州市鼓楼区",
    "440106": "广东省广州市天河区",
    "450102": "广西壮族自治区南宁市兴宁区",
    "610102": "陕西省西安市新城区",
    "620102": "甘肃省兰州市城关区",
    "130102": "河北省石家庄市长安区",
    "140105": "山西省太原市小店区",
    "220102": "吉林省长春市南关区",
    "230102": "黑龙江省哈尔滨市道里区",
    "210102": "辽宁省沈阳市和平区",
    "150102": "内蒙古自治区呼和浩特市新城区",
    "640102": "宁夏回族自治区银川市兴庆区",
    "460106": "海南省海口市龙华区",
}
PROVINCES = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
}


def origin_of(prefix: str) -> str:
    """The place of origin (生源地) a roster writes for an ID's region prefix."""
    return REGIONS.get(prefix) or PROVINCES.get(prefix[:2], "")


NINGBO_OTHER = [k for k in REGIONS if k.startswith("3302") and k != CIXI]
ZHEJIANG_OTHER = [k for k in REGIONS if k.startswith("33") and not k.startswith("3302")]
ELSEWHERE = [k for k in REGIONS if not k.startswith("33")]
# Where migrant workers' families (公租房) mostly come from.
MIGRANT_SOURCES = [
    k for k in ELSEWHERE if k[:2] in {"34", "36", "41", "42", "43", "50", "51", "52", "53"}
]


# Real-looking county prefixes (province, prefecture, county) to spill into when the usual
# ones run out of sequence numbers at large scales.
SPILL = np.array(
    [
        f"{p}{c:02d}{k:02d}"
        for p in (
            11,
            12,
            13,
            14,
            15,
            21,
            22,
            23,
            31,
            32,
            33,
            34,
            35,
            36,
            37,
            41,
            42,
            43,
            44,
            45,
            46,
            50,
            51,
            52,
            53,
            54,
            61,
            62,
            63,
            64,
            65,
        )
        for c in range(1, 10)
        for k in (*range(2, 10), *range(21, 30))
    ]
)


def region_mix(cixi: float, ningbo: float, zhejiang: float, elsewhere: float) -> dict[str, float]:
    """Prefix weights: shares for Cixi, the rest of Ningbo, the rest of Zhejiang, elsewhere."""
    weights = {CIXI: cixi}
    for group, share in (
        (NINGBO_OTHER, ningbo),
        (ZHEJIANG_OTHER, zhejiang),
        (ELSEWHERE, elsewhere),
    ):
        for p in group:
            weights[p] = weights.get(p, 0.0) + share / len(group)
    return weights


# Common surnames with rough frequencies; Cixi's own (胡, 孙, 岑, 施, 沈) a little more common.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤岑施应俞楼裘鲁柴童"
)
_SURNAME_W = np.array([1.0 / (i + 8) ** 0.9 for i in range(len(SURNAMES))])
for _c, _boost in (("胡", 3.0), ("孙", 2.5), ("岑", 4.0), ("施", 3.0), ("沈", 2.0), ("徐", 1.5)):
    _SURNAME_W[SURNAMES.index(_c)] *= _boost
_SURNAME_P = _SURNAME_W / _SURNAME_W.sum()
GIVEN_MALE = np.array(
    list(
        "伟强磊军洋勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳晨博文轩睿哲昊然子豪泽宸铭"
        "航逸嘉振家天佳毅峰亮建国志成海东晓云鸣锋承柏诚远翔彬锦瑞恒达正"
    )
)
GIVEN_FEMALE = np.array(
    list(
        "芳娜敏静丽艳娟霞燕玲婷雪慧颖琳倩欣怡萱雨梦佳悦晨瑶彤诗琪涵妍然思语可馨蕾楠月嘉文璐洁丹"
        "蓉薇莉萍红青岚舒婧洋琦晴宁茜媛蓓"
    )
)
_SURNAME_ARR = np.array(list(SURNAMES))


def names(rng: np.random.Generator, female: np.ndarray) -> np.ndarray:
    """Plausible Chinese names, matching the sex that the ID encodes."""
    n = female.size
    surname = _SURNAME_ARR[rng.choice(_SURNAME_ARR.size, size=n, p=_SURNAME_P)]
    g1 = np.where(
        female,
        GIVEN_FEMALE[rng.integers(0, GIVEN_FEMALE.size, n)],
        GIVEN_MALE[rng.integers(0, GIVEN_MALE.size, n)],
    )
    g2 = np.where(
        female,
        GIVEN_FEMALE[rng.integers(0, GIVEN_FEMALE.size, n)],
        GIVEN_MALE[rng.integers(0, GIVEN_MALE.size, n)],
    )
    two = (rng.random(n) < 0.78) & (g1 != g2)
    return np.strings.add(np.strings.add(surname, g1), np.where(two, g2, ""))


_POW10 = 10 ** np.arange(16, -1, -1, dtype=np.int64)
_ID_W = np.array(ID_WEIGHTS, np.int64)


_ID_CHECK_ASCII = np.frombuffer(ID_CHECK.encode("ascii"), np.uint8)


def id_strings(codes: np.ndarray) -> np.ndarray:
    """18-character IDs from 17-digit integer bodies, with GB 11643 check characters.

    Built as ASCII bytes and decoded once: string arithmetic on millions of IDs is slow.
    """
    digits = (codes[:, None] // _POW10) % 10
    chars = np.empty((codes.size, 18), np.uint8)
    chars[:, :17] = digits + 48
    chars[:, 17] = _ID_CHECK_ASCII[(digits @ _ID_W) % 11]
    return chars.view("S18").ravel().astype("U18")


def id_codes(ids: np.ndarray) -> np.ndarray:
    """The 17-digit bodies of IDs as integers: a cheap key for counting distinct persons."""
    digits = ids.astype("U18").view(np.uint32).reshape(ids.size, 18)[:, :17].astype(np.int64)
    return (digits - 48) @ _POW10


@dataclass
class Persons:
    """A set of synthetic people: column arrays of equal length."""

    id: np.ndarray
    name: np.ndarray
    birth: np.ndarray
    female: np.ndarray
    region: np.ndarray  # the six-digit prefix

    def __len__(self) -> int:
        return self.id.size

    def take(self, index: np.ndarray) -> Persons:
        return Persons(
            *(getattr(self, f)[index] for f in ("id", "name", "birth", "female", "region"))
        )

    @staticmethod
    def concat(parts: list[Persons]) -> Persons:
        return Persons(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in ("id", "name", "birth", "female", "region")
            )
        )


class IdAllocator:
    """Hands out resident IDs that are unique across the whole run."""

    def __init__(self) -> None:
        self._used = np.empty(0, np.int64)

    def people(
        self,
        rng: np.random.Generator,
        births: np.ndarray,
        regions: dict[str, float] | np.ndarray,
    ) -> Persons:
        """One person per birth date, from region weights (or given prefixes)."""
        n = births.size
        if isinstance(regions, dict):
            keys = np.array(list(regions))
            w = np.array(list(regions.values()), float)
            prefix = keys[rng.choice(keys.size, size=n, p=w / w.sum())]
        else:
            prefix = np.asarray(regions)
        prefix = prefix.astype("U6")
        female = rng.random(n) < 0.5
        body = prefix.astype(np.int64) * 10**11 + _ymd(births) * 1000
        codes = np.zeros(n, np.int64)
        todo = np.arange(n)
        taken_now: list[np.ndarray] = []
        now_sorted = np.empty(0, np.int64)
        attempt = 0
        while todo.size:
            # The sequence number's last digit is odd for a man, even for a woman.
            seq = rng.integers(1, 500, todo.size) * 2 - 1 + female[todo]
            cand = body[todo] + seq
            # First occurrences within the draw, not handed out before, nor earlier in this
            # call. Sorted arrays and binary search: far faster than hash sets of millions.
            order = np.argsort(cand, kind="stable")
            ranked = cand[order]
            ok = np.ones(todo.size, bool)
            ok[order[1:]] = ranked[1:] != ranked[:-1]
            ok &= ~_contains(self._used, cand) & ~_contains(now_sorted, cand)
            codes[todo[ok]] = cand[ok]
            taken_now.append(cand[ok])
            now_sorted = np.sort(np.concatenate(taken_now), kind="stable")
            todo = todo[~ok]
            attempt += 1
            if todo.size and attempt >= 4:
                # A region and birthday already crowded (at large scales: Cixi has ten thousand
                # births a year, not a million): a county elsewhere instead.
                prefix[todo] = SPILL[rng.integers(0, SPILL.size, todo.size)]
                body[todo] = prefix[todo].astype(np.int64) * 10**11 + _ymd(births[todo]) * 1000
        self._used = np.sort(np.concatenate([self._used, now_sorted]), kind="stable")
        return Persons(
            id=id_strings(codes),
            name=names(rng, female),
            birth=births,
            female=female,
            region=prefix.astype("U6"),
        )


def _contains(sorted_codes: np.ndarray, values: np.ndarray) -> np.ndarray:
    if sorted_codes.size == 0:
        return np.zeros(values.size, bool)
    pos = np.minimum(np.searchsorted(sorted_codes, values), sorted_codes.size - 1)
    return sorted_codes[pos] == values


def _ymd(dates: np.ndarray) -> np.ndarray:
    from retention.sample.calendar import ymd

    return ymd(dates).astype(np.int64)


def birth_dates(rng: np.random.Generator, years: np.ndarray) -> np.ndarray:
    """A random day of each given birth year."""
    start = (np.asarray(years) - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    length = np.where(_leap(np.asarray(years)), 366, 365)
    return start + (rng.random(start.size) * length).astype(int)


def _leap(years: np.ndarray) -> np.ndarray:
    return (years % 4 == 0) & ((years % 100 != 0) | (years % 400 == 0))
