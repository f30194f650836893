"""The content rules and the lexicon as data: the hard cases each entry exists for,
files that do not follow the schema, and the company's own names as exceptions."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import yaml

from workbench.marketing import RulesError, content_features, load_content_rules, load_lexicon
from workbench.marketing._rules import CONTENT_RULES_PATH, LEXICON_PATH

LEXICON = load_lexicon()
RULES = load_content_rules()


def terms(text: str, lexicon=LEXICON) -> list[str]:
    df = pl.DataFrame({"content": [text]}).lazy()
    return content_features(df, lexicon=lexicon).collect()["absolute_terms"][0].to_list()


def features(text: str) -> dict:
    return content_features(pl.DataFrame({"content": [text]}).lazy()).collect().row(0, named=True)


# (text, the terms a correct rule quotes): the lexicon's hard cases, one per decision
LEXICON_CASES = [
    ("国家级大师监制紫砂壶", ["国家级"]),
    ("本季最高级的面料", ["最高级"]),
    ("熊猫基地旁最佳观景民宿", ["最佳"]),
    ("月饼最佳食用期为生产后15天内", []),  # exemption: consumer tip
    ("建议最佳冲泡温度85℃", []),
    ("最好的跑鞋", ["最好的"]),
    ("体检前最好空腹", []),  # advice, not a claim
    ("全网最低价！清仓", ["全网最低"]),
    ("史上最低，到手价999元", ["史上最低"]),
    ("全屋定制最低9.9元/平方米起", []),  # the floor of the sender's own price range
    ("最低消费满500元可用", []),
    ("平板电脑最高立减800元", []),  # the cap of the sender's own offer
    ("最高可享2万元置换补贴", []),
    ("同类产品中性价比最高的洗碗机", ["性价比最高"]),
    ("最后一天！满300减60", []),  # ordinary words with 最
    ("最近天气转凉，羊毛衫上新", []),
    ("最新款智能手表已到货", []),
    ("每人最多限购2件", []),
    ("本活动最终解释权归商家所有", []),
    ("第一次来体验的会员免费", []),  # ordinary words with 第一
    ("我们会第一时间为您解答", []),
    ("第一站杭州，第二站乌镇", []),
    ("行业第一品牌床垫", ["行业第一"]),  # the first claim read is quoted
    ("全国第一的考研辅导", ["全国第一"]),
    ("第1品牌羽绒服", ["第1品牌"]),
    ("NO.1的有机牛奶品牌", ["NO.1"]),
    ("Ｎｏ．１的进口奶粉", ["No.1"]),  # full width is normalised first
    ("最 佳 口 感 的 牛 排", ["最佳"]),  # spaces do not hide a term
    ("TOP10热销榜", []),
    ("TOP1热销爆款", ["TOP1"]),
    ("2025年度华东地区奶粉销量第一（数据来源：某咨询）", []),  # exemption: sourced fact
    ("销量第一的电热水壶", ["销量第一"]),
    ("国家级非物质文化遗产蜀绣", []),  # exemption: designation under national rules
    ("面料100%纯棉", []),  # composition
    ("100%有效，无效退款", ["100%"]),
    ("百分之八十的学员一次通过", []),
    ("绝对保密，请放心", []),  # a service assurance
    ("绝对正品", ["绝对"]),
    ("本行唯一官方客服电话95xxx", []),
    ("本市唯一一家可做MRI的体检中心", ["唯一"]),
    ("我们的目标是做最好的家居品牌", []),  # an aim, not about the goods
    ("以最好的服务回馈您", []),  # service attitude, not about the goods
    ("送礼首选", ["首选"]),
    ("首发！全新折叠屏手机", []),
    ("首家旗舰店开业", []),
    ("顶级真丝睡衣", ["顶级"]),
    ("全年最大力度促销", []),  # exemption: self-comparison
    ("同级最大空间的七座MPV", ["同级最大"]),
    ("全球领先的净水技术", ["全球领先"]),
]


@pytest.mark.parametrize(("text", "expected"), LEXICON_CASES)
def test_lexicon_hard_cases(text: str, expected: list[str]) -> None:
    assert terms(text) == expected


def test_every_lexicon_entry_names_its_source() -> None:
    for entry in (*LEXICON.terms, *LEXICON.exceptions):
        assert entry.why and entry.pattern, entry.name
    assert LEXICON.terms[0].why == "《广告法》第九条第（三）项"
    assert {"国家级", "最高级", "最佳"} <= set(LEXICON.terms[0].pattern.split("|"))


def test_the_companys_own_names_are_exceptions(tmp_path: Path) -> None:
    doc = yaml.safe_load(LEXICON_PATH.read_text(encoding="utf-8"))
    doc["names"] = ["最佳拍档"]
    path = tmp_path / "lexicon.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    own = load_lexicon(path)
    assert terms("最佳拍档保温杯，新品8折", own) == []
    assert terms("最佳拍档保温杯，最佳选择", own) == ["最佳"]
    assert terms("最佳拍档保温杯，新品8折") == ["最佳"]  # the packaged lexicon has no names


# (text, advertises, labelled, opt-out)
TEXT_CASES = [
    ("【云铺】【广告】秋装满299减50，回T退订", True, True, True),
    ("【云铺】秋装满299减50，回N退订【广告】", True, True, True),
    ("【云铺】秋装满299减50【广告】拒收请回复R", True, True, True),
    ("广告：秋装满299减50，退订回TD", True, True, True),
    ("【云铺】秋装满299减50，本店广告位招租，回T退订", True, False, True),  # not a label
    ("【广告】限时秒杀：音箱49元。可在“设置-通知”中关闭推送", True, True, True),
    ("【广告】新品8折。不想再收到此类邮件？点击退订", True, True, True),
    ("【云铺】您的订单已使用优惠券抵扣20元，实付¥99.00", False, False, False),
    ("【云铺】您参与的满300减50活动订单已发货", False, False, False),
    ("【云铺】关于您反映的问题，已补偿10元红包至您的账户", False, False, False),
    ("【云铺】验证码482913，5分钟内有效", False, False, False),
    ("【云铺】包裹已发货，点击 yp.cn/w/9 查看物流", False, False, False),
    ("我们更新了隐私政策，详情请查看 0440.yp.cn/618", False, False, False),
    ("【云铺】您的维修费用¥180，回复Y确认，回复N取消", False, False, False),
    ("【云铺】您已成功退订营销短信", False, False, False),
    ("【云铺】您的会员将于下月自动续费¥99，如需取消请在App中操作", False, False, False),
    ("【云铺】尊敬的会员，以旧换新最高抵扣1500元，点击 yp.cn/t 了解", True, False, False),
    ("您好，我是保险客服，百万医疗险首年仅需99元，您有兴趣了解一下吗？", True, False, False),
]


@pytest.mark.parametrize(("text", "advertises", "labelled", "opt_out"), TEXT_CASES)
def test_text_hard_cases(text: str, advertises: bool, labelled: bool, opt_out: bool) -> None:
    got = features(text)
    assert (got["advertises"], got["ad_labelled"], got["opt_out"]) == (
        advertises, labelled, opt_out), got["signals"]


def test_signals_say_why_a_text_advertises() -> None:
    got = features("【云铺】新客专享：首单立减20元，点击领取 yp.cn/x，回T退订")
    assert set(got["signals"]) >= {"discount", "product_push", "link", "opt_out"}
    assert got["score"] >= RULES.threshold


def _write(tmp_path: Path, source: Path, edit) -> Path:
    doc = yaml.safe_load(source.read_text(encoding="utf-8"))
    edit(doc)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "key", "problem"),
    [
        (lambda d: d["commercial"]["signals"][0].__setitem__("pattern", "(unclosed"),
         "commercial.signals[0].pattern", "not a valid pattern"),
        (lambda d: d["commercial"]["signals"][0].pop("why"),
         "commercial.signals[0].why", "required key is missing"),
        (lambda d: d["commercial"]["signals"][1].__setitem__("weight", 0),
         "commercial.signals[1].weight", "expected an integer ≥ 1"),
        (lambda d: d["commercial"]["signals"][1].__setitem__("name", "discount"),
         "commercial.signals[1].name", "used more than once"),
        (lambda d: d["opt_out"].__setitem__("channels", ["sms", "fax"]),
         "opt_out.channels[1]", "'fax' is not one of"),
        (lambda d: d["ad_label"]["markers"][0].__setitem__("where", ["middle"]),
         "ad_label.markers[0].where[0]", "'middle' is not one of"),
        (lambda d: d.__setitem__("schema_version", 2), "schema_version", "not supported"),
        (lambda d: d["commercial"].__setitem__("extra", 1), "commercial.extra", "unknown key"),
    ],
)
def test_a_bad_content_rules_file_names_file_and_key(tmp_path: Path, edit, key: str,
                                                     problem: str) -> None:
    path = _write(tmp_path, CONTENT_RULES_PATH, edit)
    with pytest.raises(RulesError) as err:
        load_content_rules(path)
    assert str(err.value).startswith(f"content rules file {path}: {key}:"), str(err.value)
    assert problem in str(err.value)


def test_a_bad_lexicon_names_file_and_key(tmp_path: Path) -> None:
    path = _write(tmp_path, LEXICON_PATH, lambda d: d["terms"][2].pop("source"))
    with pytest.raises(RulesError, match=r"absolute-terms lexicon file .*: terms\[2\]\.source: "
                                         "required key is missing"):
        load_lexicon(path)
    with pytest.raises(RulesError, match="not found"):
        load_lexicon(tmp_path / "nope.yaml")
