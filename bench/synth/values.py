"""Random field values (names, companies, addresses, dates, amounts, codes) drawn from a seeded numpy RNG."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

Rng = np.random.Generator

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国红志文斌宇浩然欣怡子轩梓涵晨阳佳琪思雨博一诺"
)
CITIES = ("北京", "上海", "深圳", "杭州", "广州", "成都", "武汉", "南京", "苏州", "西安", "天津", "重庆")
BRANDS = ("华信", "鼎盛", "恒通", "新锐", "博远", "中科", "天成", "瑞丰", "金桥", "远航", "启明", "宏图")
TRADES = ("科技", "贸易", "物流", "电子", "建设", "信息技术", "餐饮管理", "文化传媒", "医疗器械", "环保工程")
COMPANY_FORMS = ("有限公司", "股份有限公司", "有限责任公司")
DISTRICTS = (
    "上海市浦东新区",
    "上海市徐汇区",
    "北京市海淀区",
    "北京市朝阳区",
    "广东省深圳市南山区",
    "浙江省杭州市西湖区",
    "四川省成都市武侯区",
    "江苏省南京市鼓楼区",
    "湖北省武汉市洪山区",
    "天津市和平区",
)
ROADS = (
    "人民路",
    "中山路",
    "解放路",
    "建设路",
    "科技园路",
    "长江路",
    "学院路",
    "南京西路",
    "滨江大道",
    "文三路",
)
BANKS = ("中国工商银行", "中国建设银行", "中国银行", "招商银行", "交通银行", "中国农业银行")
BANK_BRANCHES = ("分行", "支行", "营业部")
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
UPPER_DIGITS = "零壹贰叁肆伍陆柒捌玖"
UPPER_UNITS = ("", "拾", "佰", "仟")
CENT = Decimal("0.01")


def pick(rng: Rng, options: tuple[str, ...] | str) -> str:
    return options[int(rng.integers(len(options)))]


def digits(rng: Rng, n: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, size=n))


def person_name(rng: Rng) -> str:
    given = "".join(pick(rng, GIVEN_CHARS) for _ in range(int(rng.integers(1, 3))))
    return pick(rng, SURNAMES) + given


def company_name(rng: Rng) -> str:
    """At most 2 + 2 + 4 + 6 = 14 characters."""
    return pick(rng, CITIES) + pick(rng, BRANDS) + pick(rng, TRADES) + pick(rng, COMPANY_FORMS)


def address(rng: Rng, with_room: bool) -> str:
    """Short form at most 9 + 4 + 4 = 17 characters; with a room number at most 25."""
    street = f"{pick(rng, DISTRICTS)}{pick(rng, ROADS)}{int(rng.integers(1, 1000))}号"
    if with_room:
        street += f"{pick(rng, 'ABCD')}座{int(rng.integers(1, 30))}{int(rng.integers(1, 20)):02d}室"
    return street


def mobile(rng: Rng) -> str:
    return "1" + pick(rng, "3456789") + digits(rng, 9)


def landline(rng: Rng) -> str:
    return pick(rng, ("010", "021", "0755", "0571", "028", "025")) + "-" + digits(rng, 8)


def bank_account(rng: Rng) -> str:
    return f"{pick(rng, BANKS)}{pick(rng, CITIES)}{pick(rng, BANK_BRANCHES)} {digits(rng, 19)}"


def credit_code(rng: Rng) -> str:
    """Unified social credit code: 18 characters, starting 91 (enterprise)."""
    return "91" + digits(rng, 6) + "".join(pick(rng, CREDIT_CODE_CHARS) for _ in range(10))


def masked_id(rng: Rng) -> str:
    """Resident id with the birth date masked, as printed on tickets: 1101011990****123X."""
    return (
        digits(rng, 6)
        + str(int(rng.integers(1960, 2006)))
        + "****"
        + digits(rng, 3)
        + pick(rng, "0123456789X")
    )


def date(rng: Rng, first_year: int = 2015, last_year: int = 2025) -> dt.date:
    start = dt.date(first_year, 1, 1).toordinal()
    end = dt.date(last_year, 12, 31).toordinal()
    return dt.date.fromordinal(int(rng.integers(start, end + 1)))


def date_cn(day: dt.date) -> str:
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def clock(rng: Rng) -> str:
    return f"{int(rng.integers(6, 23)):02d}:{int(rng.integers(0, 60)):02d}"


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _upper_group(group: int) -> str:
    """0 < group < 10000 in capital numerals, with 零 for inner zero runs (1005 -> 壹仟零伍)."""
    text = ""
    pending_zero = False
    for position in range(3, -1, -1):
        digit = group // 10**position % 10
        if digit == 0:
            pending_zero = bool(text)
            continue
        if pending_zero:
            text += "零"
            pending_zero = False
        text += UPPER_DIGITS[digit] + UPPER_UNITS[position]
    return text


def amount_in_words(value: Decimal) -> str:
    """A yuan amount below 10^8 in capital numerals as printed on invoices (1005.30 -> 壹仟零伍元叁角)."""
    cents = int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if not 0 <= cents < 10**10:
        raise ValueError(f"amount out of range: {value}")
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    text = ""
    if yuan:
        wan, rest = divmod(yuan, 10000)
        if wan:
            text += _upper_group(wan) + "万"
        if rest:
            text += ("零" if wan and rest < 1000 else "") + _upper_group(rest)
        text += "元"
    if not jiao and not fen:
        return (text or "零元") + "整"
    if jiao:
        text += UPPER_DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    if fen:
        text += UPPER_DIGITS[fen] + "分"
    return text
