"""The document layouts: VAT-invoice-like grid, train ticket, waybill, business licence.

Coordinates are layout pixels at 1x. Every field's box is its template region, sized for the longest value
its generator can produce (render() raises LayoutOverflowError otherwise); labels sit left of or above the
box, outside it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import numpy as np
from PIL import ImageDraw

from bench.synth import values as v
from bench.synth.render import INK, RGB, FieldSpec, Layout, text
from bench.synth.values import Rng

Draw = ImageDraw.ImageDraw


def _qr_like(draw: Draw, x: int, y: int, modules: int, cell: int, seed: int, ink: RGB = INK) -> None:
    """A QR-code-looking block: finder squares plus a fixed random module pattern."""
    bits = np.random.default_rng(seed).random((modules, modules)) < 0.5
    for row in range(modules):
        for col in range(modules):
            if bits[row, col]:
                draw.rectangle(
                    (x + col * cell, y + row * cell, x + (col + 1) * cell - 1, y + (row + 1) * cell - 1), ink
                )
    for fx, fy in ((0, 0), (modules - 7, 0), (0, modules - 7)):
        ox, oy = x + fx * cell, y + fy * cell
        draw.rectangle((ox, oy, ox + 7 * cell - 1, oy + 7 * cell - 1), fill=(255, 255, 255))
        draw.rectangle((ox, oy, ox + 7 * cell - 1, oy + 7 * cell - 1), outline=ink, width=cell)
        draw.rectangle((ox + 2 * cell, oy + 2 * cell, ox + 5 * cell - 1, oy + 5 * cell - 1), fill=ink)


def _barcode(draw: Draw, box: tuple[int, int, int, int], rng: Rng) -> None:
    x0, y0, x1, y1 = box
    x = x0
    while x < x1 - 6:
        width = int(rng.integers(1, 5))
        if rng.random() < 0.55:
            draw.rectangle((x, y0, x + width - 1, y1), fill=INK)
        x += width


def _vertical(draw: Draw, x: float, y0: float, y1: float, chars: str, size: int, fill: RGB) -> None:
    step = (y1 - y0) / (len(chars) + 1)
    for i, char in enumerate(chars):
        text(draw, (x, y0 + step * (i + 1)), char, size=size, fill=fill, anchor="mm")


# ---------------------------------------------------------------- VAT invoice
INVOICE_INK: RGB = (150, 85, 45)
INVOICE_ITEMS = (
    "*办公用品*A4打印纸",
    "*计算机设备*Printer",
    "*电子元件*USB Cable",
    "*信息技术服务*服务费",
    "*餐饮服务*餐费",
    "*纸制品*Notebook",
    "*运输服务*Freight",
)
BUYER_ROWS = (200, 250, 300, 350)
SELLER_ROWS = (760, 810, 860, 910)
ITEM_COLUMNS = (40, 480, 640, 850, 1090, 1220, 1560)


def _invoice_values(rng: Rng) -> dict[str, str]:
    quantity = int(rng.integers(1, 500))
    price = Decimal(int(rng.integers(100, 500_000))) / 100
    amount = quantity * price
    rate = int(v.pick(rng, ("6", "9", "13")))
    tax = (amount * rate / 100).quantize(v.CENT)
    total = amount + tax
    return {
        "发票代码": v.digits(rng, 12),
        "发票号码": v.digits(rng, 8),
        "开票日期": v.date_cn(v.date(rng)),
        "购买方名称": v.company_name(rng),
        "购买方税号": v.credit_code(rng),
        "购买方地址电话": f"{v.address(rng, with_room=False)} {v.landline(rng)}",
        "货物名称": v.pick(rng, INVOICE_ITEMS),
        "数量": str(quantity),
        "单价": v.money(price),
        "金额": v.money(amount),
        "税率": f"{rate}%",
        "税额": v.money(tax),
        "价税合计大写": v.amount_in_words(total),
        "价税合计小写": v.money(total),
        "销售方名称": v.company_name(rng),
        "销售方税号": v.credit_code(rng),
        "销售方地址电话": f"{v.address(rng, with_room=False)} {v.landline(rng)}",
    }


def _invoice_form(draw: Draw) -> None:
    ink = INVOICE_INK
    _qr_like(draw, 50, 30, 25, 5, seed=11)
    text(draw, (760, 70), "增值税专用发票", size=46, style="serif-bold", fill=ink, anchor="mm")
    draw.line((600, 112, 920, 112), fill=ink, width=2)
    draw.line((600, 118, 920, 118), fill=ink, width=2)
    text(draw, (760, 150), "VAT SPECIAL INVOICE", size=22, fill=ink, anchor="mm")
    draw.rectangle((40, 200, 1560, 960), outline=ink, width=3)
    for top, name in ((BUYER_ROWS[0], "购买方"), (SELLER_ROWS[0], "销售方")):
        draw.line((90, top, 90, top + 200), fill=ink, width=2)
        draw.line((320, top, 320, top + 200), fill=ink, width=1)
        draw.line((1080, top, 1080, top + 200), fill=ink, width=2)
        draw.line((1130, top, 1130, top + 200), fill=ink, width=1)
        _vertical(draw, 65, top, top + 200, name, 24, ink)
        for row in range(1, 4):
            draw.line((90, top + row * 50, 1080, top + row * 50), fill=ink, width=1)
        draw.line((40, top + 200, 1560, top + 200), fill=ink, width=2)
    _vertical(draw, 1105, BUYER_ROWS[0], BUYER_ROWS[0] + 200, "密码区", 24, ink)
    _vertical(draw, 1105, SELLER_ROWS[0], SELLER_ROWS[0] + 200, "备注", 24, ink)
    text(draw, (315, 375), "开户行及账号 Bank", size=22, fill=ink, anchor="rm")
    text(draw, (315, 935), "开户行及账号 Bank", size=22, fill=ink, anchor="rm")
    # goods table: header row 400-450, items down to 640, totals 640-700, total in words 700-760
    draw.line((40, 450, 1560, 450), fill=ink, width=1)
    draw.line((40, 640, 1560, 640), fill=ink, width=1)
    draw.line((40, 700, 1560, 700), fill=ink, width=2)
    for x in ITEM_COLUMNS[1:-1]:
        draw.line((x, 400, x, 700), fill=ink, width=1)
    text(draw, (260, 670), "合    计 Total", size=22, fill=ink, anchor="mm")
    draw.line((320, 700, 320, 760), fill=ink, width=1)
    # seller's seal: an outlined red oval away from every field
    seal: RGB = (215, 40, 40)
    draw.ellipse((1300, 800, 1500, 920), outline=seal, width=4)
    text(draw, (1400, 845), "发票专用章", size=24, fill=seal, anchor="mm")
    text(draw, (1400, 885), "Invoice Seal", size=20, fill=seal, anchor="mm")
    text(draw, (60, 980), "收款人 Payee:", size=22, fill=ink, anchor="lm")
    text(draw, (560, 980), "复核 Reviewer:", size=22, fill=ink, anchor="lm")
    text(draw, (1060, 980), "开票人 Issuer:", size=22, fill=ink, anchor="lm")


def _invoice_extras(draw: Draw, rng: Rng, values: dict[str, str]) -> None:
    """Cipher block, bank lines, totals row and issuer: print that differs per invoice but is no field."""
    cipher_chars = "0123456789+-*/<>"
    for row in range(4):
        line = "".join(v.pick(rng, cipher_chars) for _ in range(27))
        text(draw, (1145, BUYER_ROWS[0] + 25 + row * 50), line, size=24, anchor="lm")
    text(draw, (331, 375), v.bank_account(rng), size=24, anchor="lm")
    text(draw, (331, 935), v.bank_account(rng), size=24, anchor="lm")
    text(draw, (1080, 670), "¥" + values["金额"], size=24, anchor="rm")
    text(draw, (1550, 670), "¥" + values["税额"], size=24, anchor="rm")
    text(draw, (1210, 980), v.person_name(rng), size=24, anchor="lm")


def _invoice_fields() -> tuple[FieldSpec, ...]:
    header = (
        FieldSpec("发票代码", (1200, 36, 1560, 80), "发票代码 Code"),
        FieldSpec("发票号码", (1200, 86, 1560, 130), "发票号码 No."),
        FieldSpec("开票日期", (1200, 136, 1560, 180), "开票日期 Date"),
    )
    party_labels = (
        ("名称", "名    称 Name"),
        ("税号", "纳税人识别号 Tax ID"),
        ("地址电话", "地址、电话 Addr/Tel"),
    )
    parties = tuple(
        FieldSpec(f"{party}{suffix}", (325, top + 4, 1075, top + 46), label)
        for party, rows in (("购买方", BUYER_ROWS), ("销售方", SELLER_ROWS))
        for (suffix, label), top in zip(party_labels, rows[:3], strict=True)
    )
    item_labels: tuple[tuple[str, str, Literal["left", "center"]], ...] = (
        ("货物名称", "货物或应税劳务名称 Item", "left"),
        ("数量", "数量 Qty", "center"),
        ("单价", "单价 Price", "center"),
        ("金额", "金额 Amount", "center"),
        ("税率", "税率 Rate", "center"),
        ("税额", "税额 Tax", "center"),
    )
    items = tuple(
        FieldSpec(key, (x0 + 4, 456, x1 - 4, 500), label, label_at="above-center", align=align)
        for (key, label, align), x0, x1 in zip(item_labels, ITEM_COLUMNS[:-1], ITEM_COLUMNS[1:], strict=True)
    )
    totals = (
        FieldSpec("价税合计大写", (325, 706, 1000, 754), "价税合计(大写) Total"),
        FieldSpec("价税合计小写", (1160, 706, 1556, 754), "(小写) ¥"),
    )
    return header + parties + items + totals


INVOICE = Layout(
    name="invoice",
    size=(1600, 1000),
    fields=_invoice_fields(),
    generate=_invoice_values,
    draw_form=_invoice_form,
    draw_extras=_invoice_extras,
    paper=(253, 251, 245),
    label_color=INVOICE_INK,
)


# ---------------------------------------------------------------- train ticket
STATIONS = (
    ("北京南", "Beijingnan"),
    ("上海虹桥", "Shanghaihongqiao"),
    ("广州南", "Guangzhounan"),
    ("深圳北", "Shenzhenbei"),
    ("杭州东", "Hangzhoudong"),
    ("南京南", "Nanjingnan"),
    ("武汉", "Wuhan"),
    ("成都东", "Chengdudong"),
    ("西安北", "Xianbei"),
    ("长沙南", "Changshanan"),
    ("郑州东", "Zhengzhoudong"),
    ("天津西", "Tianjinxi"),
    ("重庆北", "Chongqingbei"),
    ("济南西", "Jinanxi"),
    ("合肥南", "Hefeinan"),
)
SEAT_CLASSES = ("二等座", "一等座", "商务座", "硬座", "硬卧", "软卧")
TICKET_RED: RGB = (200, 30, 30)


def _ticket_values(rng: Rng) -> dict[str, str]:
    first, second = rng.choice(len(STATIONS), size=2, replace=False)
    origin, destination = STATIONS[int(first)], STATIONS[int(second)]
    seat_class = v.pick(rng, SEAT_CLASSES)
    car = int(rng.integers(1, 17))
    if seat_class in ("硬卧", "软卧"):
        seat = f"{car:02d}车{int(rng.integers(1, 30)):02d}号{v.pick(rng, ('上铺', '中铺', '下铺'))}"
    else:
        seat = f"{car:02d}车{int(rng.integers(1, 20)):02d}{v.pick(rng, 'ABCDF')}号"
    fare = Decimal(int(rng.integers(100, 20000))) / 10
    return {
        "票号": v.pick(rng, "ABCDEFGHZ") + v.digits(rng, 6),
        "出发站": origin[0] + "站",
        "车次": v.pick(rng, "GDCKZT") + str(int(rng.integers(1, 10000))),
        "到达站": destination[0] + "站",
        "出发站拼音": origin[1],
        "到达站拼音": destination[1],
        "乘车日期": f"{v.date_cn(v.date(rng))}{v.clock(rng)}开",
        "座位": seat,
        "票价": f"{fare}元",
        "席别": seat_class,
        "证件号码": v.masked_id(rng),
        "姓名": v.person_name(rng),
    }


def _ticket_form(draw: Draw) -> None:
    wave: RGB = (192, 216, 234)
    for y in range(20, 800, 24):
        points = [(x, y + 6 * np.sin(x / 40)) for x in range(0, 1281, 16)]
        draw.line(points, fill=wave, width=1)
    draw.line((540, 235, 740, 235), fill=INK, width=3)
    draw.polygon(((740, 226), (760, 235), (740, 244)), fill=INK)
    text(draw, (180, 560), "仅供报销使用 For reimbursement only", size=24, anchor="lm")
    draw.rectangle((170, 600, 760, 660), outline=INK, width=1)
    text(draw, (465, 630), "买票请到12306 发货请到95306", size=22, anchor="mm")
    _qr_like(draw, 1040, 540, 29, 6, seed=23)


def _ticket_extras(draw: Draw, rng: Rng, values: dict[str, str]) -> None:
    sale_code = v.digits(rng, 14) + values["票号"]
    text(draw, (60, 760), f"{sale_code} {values['出发站'].removesuffix('站')}售", size=22, anchor="lm")


TICKET = Layout(
    name="ticket",
    size=(1280, 800),
    fields=(
        FieldSpec("票号", (150, 28, 420, 82), "票号 No.", size=32, color=TICKET_RED),
        FieldSpec("出发站", (60, 130, 460, 210), "出发站 From", label_at="above", size=44, align="center"),
        FieldSpec(
            "车次", (500, 130, 780, 210), "车次 Train", label_at="above-center", size=44, align="center"
        ),
        FieldSpec("到达站", (820, 130, 1220, 210), "到达站 To", label_at="above", size=44, align="center"),
        FieldSpec("出发站拼音", (60, 214, 460, 262), size=28, align="center"),
        FieldSpec("到达站拼音", (820, 214, 1220, 262), size=28, align="center"),
        FieldSpec("乘车日期", (180, 300, 640, 350), "日期 Date"),
        FieldSpec("座位", (860, 300, 1220, 350), "座位 Seat"),
        FieldSpec("票价", (180, 370, 640, 420), "票价 Fare ¥"),
        FieldSpec("席别", (860, 370, 1220, 420), "席别 Class"),
        FieldSpec("证件号码", (180, 450, 640, 500), "证件 ID"),
        FieldSpec("姓名", (860, 450, 1220, 500), "姓名 Name"),
    ),
    generate=_ticket_values,
    draw_form=_ticket_form,
    draw_extras=_ticket_extras,
    paper=(214, 232, 243),
)


# ---------------------------------------------------------------- waybill
WAYBILL_RED: RGB = (200, 30, 40)
CONTENTS = ("文件 Documents", "衣服 Clothes", "书籍 Books", "电子产品 Electronics", "食品 Food", "配件 Parts")
PAYMENTS = ("寄付现结", "寄付月结", "到付")


def _waybill_values(rng: Rng) -> dict[str, str]:
    day = v.date(rng, 2020, 2025)
    return {
        "运单号": "SD" + v.digits(rng, 12),
        "寄件人姓名": v.person_name(rng),
        "寄件人电话": v.mobile(rng),
        "寄件人地址": v.address(rng, with_room=True),
        "收件人姓名": v.person_name(rng),
        "收件人电话": v.mobile(rng),
        "收件人地址": v.address(rng, with_room=True),
        "物品": v.pick(rng, CONTENTS),
        "重量": f"{int(rng.integers(1, 300)) / 10}kg",
        "付款方式": v.pick(rng, PAYMENTS),
        "寄件日期": f"{day.isoformat()} {v.clock(rng)}",
        "保价金额": v.money(Decimal(int(rng.integers(0, 2000)) * 5)) + "元",
    }


def _waybill_form(draw: Draw) -> None:
    draw.rectangle((0, 0, 1100, 120), fill=WAYBILL_RED)
    text(
        draw, (40, 60), "速达快递 SUDA EXPRESS", size=44, style="sans-bold", fill=(255, 255, 255), anchor="lm"
    )
    text(draw, (1060, 60), "标准快递 Standard", size=28, fill=(255, 255, 255), anchor="rm")
    for top, bottom, title in ((330, 600, "寄件人 Sender"), (610, 880, "收件人 Recipient")):
        draw.rectangle((30, top, 1070, bottom), outline=INK, width=2)
        text(draw, (50, top + 12), title, size=26, style="sans-bold", anchor="la")
    draw.rectangle((30, 890, 1070, 1140), outline=INK, width=2)
    draw.line((560, 890, 560, 1140), fill=INK, width=1)
    draw.rectangle((30, 1160, 1070, 1330), outline=INK, width=2)
    text(draw, (50, 1175), "收件人签收 Signature", size=24, anchor="la")
    draw.line((300, 1290, 700, 1290), fill=INK, width=1)
    text(draw, (50, 1360), "本运单条款详见背面 Terms and conditions on the back", size=22, anchor="la")
    text(draw, (50, 1400), "客服电话 Service: 95338", size=22, anchor="la")


def _waybill_extras(draw: Draw, rng: Rng, values: dict[str, str]) -> None:
    _barcode(draw, (300, 145, 1040, 240), rng)
    _barcode(draw, (620, 1380, 1040, 1450), rng)
    text(draw, (830, 1470), values["运单号"], size=22, anchor="mm")


WAYBILL = Layout(
    name="waybill",
    size=(1100, 1500),
    fields=(
        FieldSpec("运单号", (420, 252, 900, 308), "运单号 No.", size=32),
        FieldSpec("寄件人姓名", (200, 390, 560, 440), "姓名 Name"),
        FieldSpec("寄件人电话", (720, 390, 1050, 440), "电话 Tel"),
        FieldSpec("寄件人地址", (50, 492, 1050, 546), "地址 Address", label_at="above"),
        FieldSpec("收件人姓名", (200, 670, 560, 720), "姓名 Name"),
        FieldSpec("收件人电话", (720, 670, 1050, 720), "电话 Tel"),
        FieldSpec("收件人地址", (50, 772, 1050, 826), "地址 Address", label_at="above"),
        FieldSpec("物品", (200, 910, 545, 960), "物品 Item"),
        FieldSpec("重量", (720, 910, 1050, 960), "重量 Weight"),
        FieldSpec("付款方式", (200, 990, 545, 1040), "付款 Payment"),
        FieldSpec("寄件日期", (720, 990, 1050, 1040), "日期 Date"),
        FieldSpec("保价金额", (200, 1070, 545, 1120), "保价 Insured"),
    ),
    generate=_waybill_values,
    draw_form=_waybill_form,
    draw_extras=_waybill_extras,
)


# ---------------------------------------------------------------- business licence
LICENCE_RED: RGB = (190, 40, 35)
COMPANY_TYPES = (
    "有限责任公司（自然人投资或控股）",
    "有限责任公司（自然人独资）",
    "股份有限公司（非上市）",
    "有限责任公司",
    "个人独资企业",
)
SCOPE_TOP = 705  # business scope: four lines of free text below the left-hand fields
CAPITALS_WAN = (10, 50, 100, 200, 300, 500, 1000, 1500, 2000, 5000)
SCOPE_ITEMS = (
    "技术开发",
    "技术咨询",
    "技术服务",
    "软件销售",
    "计算机系统集成",
    "电子产品销售",
    "货物进出口",
    "广告设计",
    "会议及展览服务",
    "企业管理咨询",
    "日用百货销售",
    "仓储服务",
)


def _licence_values(rng: Rng) -> dict[str, str]:
    founded = v.date(rng, 2000, 2024)
    term_end = (
        "长期"
        if rng.random() < 0.4
        else v.date_cn(founded.replace(year=founded.year + 30, day=min(founded.day, 28)))
    )
    return {
        "统一社会信用代码": v.credit_code(rng),
        "编号": v.digits(rng, 15),
        "名称": v.company_name(rng),
        "类型": v.pick(rng, COMPANY_TYPES),
        "法定代表人": v.person_name(rng),
        "注册资本": "人民币"
        + v.amount_in_words(Decimal(int(v.pick(rng, tuple(map(str, CAPITALS_WAN)))) * 10000)),
        "成立日期": v.date_cn(founded),
        "营业期限": f"{v.date_cn(founded)}至{term_end}",
        "住所": v.address(rng, with_room=False),
        "登记日期": v.date_cn(v.date(rng, founded.year, 2025)),
    }


def _licence_form(draw: Draw) -> None:
    draw.rectangle((30, 30, 1570, 1100), outline=LICENCE_RED, width=6)
    draw.rectangle((46, 46, 1554, 1084), outline=LICENCE_RED, width=2)
    draw.ellipse((755, 55, 845, 145), fill=LICENCE_RED)
    star = [
        (800 + 30 * np.cos(a), 100 + 30 * np.sin(a))
        for a in np.linspace(-np.pi / 2, 3.5 * np.pi, 5, endpoint=False)
    ]
    draw.polygon(star, fill=(250, 210, 60))
    text(draw, (800, 205), "营业执照", size=84, style="serif-bold", fill=INK, anchor="mm")
    text(draw, (800, 275), "BUSINESS LICENSE", size=28, style="serif", fill=INK, anchor="mm")
    text(draw, (1480, 80), "（副本）", size=26, style="serif", anchor="rm")
    text(draw, (390, SCOPE_TOP), "经营范围 Scope", size=24, style="serif", anchor="rm")
    _qr_like(draw, 110, 880, 27, 6, seed=37)
    text(draw, (290, 1010), "扫描二维码登录国家企业信用信息公示系统", size=20, style="serif", anchor="lm")
    text(draw, (1100, 900), "登记机关 Registration Authority", size=24, style="serif", anchor="rm")
    # the authority's seal: outlined, over its own caption but clear of every field
    draw.ellipse((1260, 800, 1480, 1000), outline=LICENCE_RED, width=5)
    text(draw, (1370, 870), "★", size=44, fill=LICENCE_RED, anchor="mm")
    text(draw, (1370, 940), "市场监督管理局", size=26, style="serif", fill=LICENCE_RED, anchor="mm")


def _licence_extras(draw: Draw, rng: Rng, values: dict[str, str]) -> None:
    scope = "、".join(v.pick(rng, SCOPE_ITEMS) for _ in range(int(rng.integers(6, 10))))
    lines = [scope[i : i + 30] for i in range(0, len(scope), 30)][:4]
    for row, line in enumerate(lines):
        text(draw, (406, SCOPE_TOP + row * 40), line, size=26, style="serif", anchor="lm")


def _licence_fields() -> tuple[FieldSpec, ...]:
    left = (
        ("名称", "名        称 Name"),
        ("类型", "类        型 Type"),
        ("法定代表人", "法定代表人 Legal Rep."),
        ("营业期限", "营业期限 Term"),
        ("住所", "住        所 Address"),
    )
    right = (("注册资本", "注册资本 Capital"), ("成立日期", "成立日期 Founded"))
    return (
        FieldSpec("统一社会信用代码", (110, 130, 560, 180), "统一社会信用代码 Credit Code", label_at="above"),
        FieldSpec("编号", (1240, 126, 1540, 176), "编号 No."),
        *(
            FieldSpec(key, (400, 330 + 70 * row, 960, 380 + 70 * row), label, size=30, style="serif")
            for row, (key, label) in enumerate(left)
        ),
        *(
            FieldSpec(key, (1180, 330 + 70 * row, 1540, 380 + 70 * row), label, style="serif")
            for row, (key, label) in enumerate(right)
        ),
        FieldSpec("登记日期", (1150, 1020, 1500, 1070), "登记日期 Date", style="serif"),
    )


LICENCE = Layout(
    name="licence",
    size=(1600, 1130),
    fields=_licence_fields(),
    generate=_licence_values,
    draw_form=_licence_form,
    draw_extras=_licence_extras,
    paper=(250, 246, 236),
    label_size=24,
    label_style="serif",
)


# ---------------------------------------------------------------- phone app screen (health-pass-like)
APP_TEAL: RGB = (0, 137, 123)
APP_STATUS_COLOURS: dict[str, RGB] = {"绿码": (22, 160, 70), "黄码": (230, 170, 0), "红码": (215, 40, 40)}
APP_TESTS = ("阴性 Negative", "未检测 None")
APP_VACCINES = ("已完成3剂", "已完成2剂", "已完成1剂", "未接种")


def _app_values(rng: Rng) -> dict[str, str]:
    day = v.date(rng, 2021, 2025)
    test_day = day.fromordinal(day.toordinal() - int(rng.integers(0, 4)))
    name = v.person_name(rng)
    seconds = f"{int(rng.integers(0, 60)):02d}"
    return {
        "姓名": name[0] + "*" * (len(name) - 2) + name[-1] if len(name) > 2 else name[0] + "*",
        "证件号码": v.masked_id(rng),
        "状态": v.pick(rng, tuple(APP_STATUS_COLOURS)),
        "更新时间": f"{day.isoformat()} {v.clock(rng)}:{seconds}",
        "核酸检测": v.pick(rng, APP_TESTS),
        "检测时间": f"{test_day.isoformat()} {v.clock(rng)}",
        "疫苗接种": v.pick(rng, APP_VACCINES),
        "有效期至": f"{day.fromordinal(day.toordinal() + 1).isoformat()} 24:00",
    }


def _app_form(draw: Draw) -> None:
    draw.rectangle((0, 0, 750, 160), fill=APP_TEAL)
    text(
        draw,
        (375, 112),
        "健康通行码 Health Pass",
        size=36,
        style="sans-bold",
        fill=(255, 255, 255),
        anchor="mm",
    )
    draw.rounded_rectangle((30, 190, 720, 1250), radius=24, fill=(255, 255, 255))
    draw.line((60, 890, 690, 890), fill=(220, 220, 220), width=2)
    text(
        draw, (375, 1290), "本服务由示例政务平台提供 Demo service", size=20, fill=(140, 140, 140), anchor="mm"
    )


def _app_extras(draw: Draw, rng: Rng, values: dict[str, str]) -> None:
    """Status-bar clock and battery, and the personal code coloured by status."""
    text(draw, (40, 30), v.clock(rng), size=24, style="sans-bold", fill=(255, 255, 255), anchor="lm")
    battery = int(rng.integers(10, 100))
    text(draw, (650, 30), f"{battery}%", size=22, fill=(255, 255, 255), anchor="rm")
    draw.rectangle((660, 20, 700, 40), outline=(255, 255, 255), width=2)
    draw.rectangle((662, 22, 662 + 36 * battery // 100, 38), fill=(255, 255, 255))
    _qr_like(draw, 230, 385, 29, 10, seed=int(rng.integers(2**31)), ink=APP_STATUS_COLOURS[values["状态"]])


APP = Layout(
    name="app",
    size=(750, 1334),
    fields=(
        FieldSpec("姓名", (230, 225, 690, 275), "姓名 Name"),
        FieldSpec("证件号码", (230, 295, 690, 345), "证件号码 ID"),
        FieldSpec("状态", (215, 700, 535, 780), size=48, style="sans-bold", align="center"),
        FieldSpec("更新时间", (175, 820, 575, 870), size=28, align="center"),
        FieldSpec("核酸检测", (330, 910, 690, 960), "核酸检测 Test"),
        FieldSpec("检测时间", (330, 980, 690, 1030), "检测时间 Tested"),
        FieldSpec("疫苗接种", (330, 1050, 690, 1100), "疫苗接种 Vaccine"),
        FieldSpec("有效期至", (330, 1120, 690, 1170), "有效期至 Valid"),
    ),
    generate=_app_values,
    draw_form=_app_form,
    draw_extras=_app_extras,
    paper=(240, 242, 245),
)

LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (INVOICE, TICKET, WAYBILL, LICENCE, APP)}
