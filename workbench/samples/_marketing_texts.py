"""The sample's message texts, built from parts whose meaning is known by construction.

A commercial text is a promotion body (with or without an absolute claim), put
together with the sender's signature, an advertisement label at the start or the
end (or none) and an opt-out line fit for the channel (or none); a service text is a
transactional body. Every body says what it is (``commercial``, the absolute term
it uses, if any), so the sample's ground truth for the text rules is what was
built, not what a classifier says. Hard negatives are built in: promotions whose
words look absolute but are not (最高立减, 最低…起, 最后一天, 最佳赏味期, 国家级非物质
文化遗产, 100%纯棉, 最终解释权) and service texts that mention prices, coupons
already used, links, codes and 最后还款日.

These texts are the sample's own; none is taken from the labelled set that measures
the text rules (``tests/marketing/data/labelled_messages.tsv``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Signature per subsidiary (SAP-style company code → the name carriers show).
SIGNATURES: dict[str, str] = {
    "0310": "【云铺商城】", "0110": "【京华优选】", "0440": "【南粤数码】",
    "0330": "【之江家居】", "0510": "【天府优品】", "0420": "【荆楚智选】",
}
COMPANIES: dict[str, str] = {k: v.strip("【】") for k, v in SIGNATURES.items()}
ITEMS = ("羽绒服", "空气炸锅", "蓝牙耳机", "乳胶枕", "牛肉干礼盒", "电热水壶", "羊毛被",
         "扫地机器人", "保温杯", "洗碗机", "茶叶礼盒", "行李箱")
#: Promotion bodies without an absolute claim (several are hard negatives for it).
PROMO: tuple[str, ...] = (
    "秋冬新品上市，全场满{a}减{b}，详情 {link}",
    "会员日限时特惠，精选{item}低至{z}折",
    "您有一张{b}元优惠券即将过期，立即使用 {link}",
    "周年庆狂欢，{item}下单立减{b}元，先到先得",
    "爆款{item}直降{b}元，今日下单享包邮",
    "新客专享：首单立减{b}元，点击领取 {link}",
    "以旧换新补贴最高{c}元，本月底截止",
    "家电清仓，部分商品{z}折起",
    "积分即将清零，{n}积分可兑换好礼，快去积分商城兑换吧",
    "中秋礼盒预售，早鸟价{p}元起，满2盒包邮",
    "最后一天！满{a}减{b}，今晚24点结束",
    "定制家具最低{p}元/米起，免费上门测量",
    "新茶上市，最佳赏味期为开封后30天，首购立减{b}元",
    "国家级非物质文化遗产手作礼盒，特价{p}元",
    "床品换季特惠，面料100%纯棉，到手价{p}元",
    "最近到了一批进口坚果，新客下单享{z}折",
    "每人最多限购2件，{item}秒杀价{p}元",
    "新店开业，首单立减{b}元，本活动最终解释权归{company}所有",
)
#: Promotion bodies with an absolute claim: (body, the term a correct rule quotes).
ABSOLUTE: tuple[tuple[str, str], ...] = (
    ("全网最低价！{item}清仓，仅限今日", "全网最低"),
    ("史上最低，{item}到手价{p}元", "史上最低"),
    ("{item}第一品牌，限时{z}折", "第一品牌"),
    ("顶级{item}，现在下单立减{b}元", "顶级"),
    ("最好的{item}就在这里，新品{z}折", "最好的"),
    ("送礼首选{item}，今日下单享{z}折", "首选"),
    ("国家级大师监制{item}，限量发售", "国家级"),
    ("绝对正品，{item}特价{p}元", "绝对"),
    ("独一无二的定制{item}，预约立减{b}元", "独一无二"),
    ("销量冠军{item}，到手价{p}元", "销量冠军"),
    ("最佳口碑{item}，会员专享{z}折", "最佳"),
    ("NO.1的{item}品牌，整箱直降{b}元", "NO.1"),
)
#: Call scripts (channel ``call``): commercial, judged for absolute terms and consent.
CALL: tuple[str, ...] = (
    "您好，这里是{company}，现在{item}有限时{z}折优惠，您需要了解一下吗？",
    "您好，我是{company}的客服，新会员首单立减{b}元，今天下单还送礼品。",
)
CALL_ABSOLUTE: tuple[tuple[str, str], ...] = (
    ("您好，这里是{company}，我们的{item}是市面上最好的，今天订购打{z}折。", "最好的"),
)
#: Service and transaction bodies (not commercial; several are hard negatives).
SERVICE: tuple[str, ...] = (
    "验证码{code}，5分钟内有效，请勿泄露给他人。",
    "您的订单{order}已支付成功，实付¥{p}.00，我们将尽快发货。",
    "您购买的{item}已发货，快递单号SF{code}{code}，点击 {link} 查看物流。",
    "您的退款¥{p}.00已原路退回，预计1-3个工作日到账。",
    "经核实，您下单后该商品降价{b}元，已为您退回差价¥{b}。",
    "您的订单已使用优惠券抵扣{b}元，实付¥{p}.00，感谢您的购买。",
    "您本期账单金额¥{p}.00，最后还款日为下月8日，请按时还款。",
    "您预约的安装服务在明天上午，请最好提前清理安装区域。",
    "您参与的满{a}减{b}活动订单已发货，请注意查收。",
    "价保审核通过，¥{b}.00补偿款将在1-3个工作日内退回。",
    "您的会员等级已更新，权益说明请在“我的-会员”中查看。",
    "您的售后申请已受理，我们会第一时间与您联系。",
    "我们更新了隐私政策，详情请查看 {link}",
    "您本月积分变动+{n}，当前可用积分{m}。",
)
#: Opt-out lines per channel (SMS has several spellings).
OPT_OUT: dict[str, tuple[str, ...]] = {
    "sms": ("回T退订", "拒收请回复R", "退订回TD", "回N退订"),
    "app_push": ("可在“我的-设置-消息通知”中关闭推送",),
    "email": ("不想再收到此类邮件？点击退订",),
    "wechat": ("回复TD不再接收",),
}
LABEL = "【广告】"


@dataclass(frozen=True)
class Built:
    """One text and what it is."""

    content: str
    commercial: bool
    absolute: str | None


def _fill(template: str, rng: np.random.Generator, sub: str) -> str:
    b = int(rng.integers(1, 20)) * 5
    return template.format(
        a=b * int(rng.integers(4, 10)), b=b, c=int(rng.integers(2, 11)) * 100,
        z=int(rng.integers(5, 10)), p=int(rng.integers(9, 500)), n=int(rng.integers(5, 60)) * 100,
        m=int(rng.integers(100, 9000)), item=ITEMS[int(rng.integers(len(ITEMS)))],
        link=f"{sub.lower()}.yp.cn/{int(rng.integers(100, 999))}", company=COMPANIES[sub],
        code=f"{int(rng.integers(100000, 999999))}", order=f"2026{int(rng.integers(10**7, 10**8))}",
    )


def commercial_text(rng: np.random.Generator, sub: str, channel: str, *, label: str | None,
                    opt_out: bool, absolute: bool) -> Built:
    """A promotion from ``sub`` on ``channel``: ``label`` ``"start"``, ``"end"`` or None."""
    if channel == "call":
        if absolute:
            body, term = CALL_ABSOLUTE[int(rng.integers(len(CALL_ABSOLUTE)))]
        else:
            body, term = CALL[int(rng.integers(len(CALL)))], None
        return Built(_fill(body, rng, sub), True, term)
    if absolute:
        body, term = ABSOLUTE[int(rng.integers(len(ABSOLUTE)))]
    else:
        body, term = PROMO[int(rng.integers(len(PROMO)))], None
    text = _fill(body, rng, sub)
    head = SIGNATURES[sub] if channel == "sms" else ""
    if label == "start":
        head += LABEL
    elif channel in ("email", "wechat"):
        text = f"{COMPANIES[sub]}：{text}"
    lines = OPT_OUT[channel]
    tail = ("，" + lines[int(rng.integers(len(lines)))]) if opt_out else ""
    end = LABEL if label == "end" else ""
    return Built(head + text + tail + end, True, term)


def service_text(rng: np.random.Generator, sub: str, channel: str) -> Built:
    """A transactional or service text from ``sub``."""
    body = _fill(SERVICE[int(rng.integers(len(SERVICE)))], rng, sub)
    if channel == "call":
        return Built(f"您好，这里是{COMPANIES[sub]}客服，{body}", False, None)
    head = SIGNATURES[sub] if channel == "sms" else ""
    return Built(head + body, False, None)
