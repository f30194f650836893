"""Identifiers in free text are masked where the text enters the workbench.

Free-text columns (a complaint's root cause, a handling note, the reason for a
manual tier, a registry penalty's reason, a business scope) are written by people
and can hold a customer's name and phone number ("王先生 139 1234 5678 投诉配送慢");
whatever an analysis copies from them (a recurring root cause, a worklist row)
would carry it into findings.csv, the HTML reports and the worklists. So the
loader masks identifiers in every free-text column of :data:`FREE_TEXT_COLUMNS`
(:func:`mask_free_text`), before any analysis sees the text — by construction,
not by a scan at the end. The publish-time scan (:mod:`workbench.report.privacy`)
stays as the second line.

Masked (each with a placeholder that says what was there, so the text still
groups and reads): mobile phones with or without separators (``139 1234 5678``,
``139-1234-5678``, ``+86 13912345678``), landlines with an area code
(``021-6234 5678``), 18-character ID-card numbers, e-mail addresses, bank-card
numbers (16–19 digits, separators allowed), and a name before an honorific
(``王先生``, ``李女士``, ``张小姐``; not job titles such as 经理, which are
ordinary words in a handling note: "升级至区域客服经理") or a name written next to a phone
number (:data:`NAME_MASKS`).

A name next to a phone is told from an ordinary word by where it stands, never by
a dictionary of names: after a label that says a name follows (``联系人张伟13912345678``,
``姓名：王小明，电话 139…``: any two to four characters), or else a word of two or
three characters that starts with a common surname (:data:`SURNAMES`, compound
ones included: ``欧阳娜娜``), stands on its own or after a word such as 客户/用户
(``客户李娜（电话：010-12345678）``), and touches the phone number, a phone label
such as 电话/手机 between them allowed (``王小明 139 1234 5678``,
``139… 张伟``). So "受理 139…", "升级至合规部，电话 139…" or "139… 催单" keep their
words; the few ordinary words that start with a surname and could touch a phone
number (马上, 周末, 谢谢, …: :data:`NOT_NAMES`) are left alone too.

The patterns run in polars (Rust ``regex``: linear time whatever the input, so a
1 MB value cannot hang a run).
"""

from __future__ import annotations

import polars as pl

#: ``table`` → its free-text columns (contract: ``str`` columns people write).
FREE_TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "tier_assignments": ("reason",),
    "complaints": ("root_cause",),
    "complaint_events": ("note",),
    "registry_snapshots": ("business_scope",),
    "registry_events": ("reason",),
    # a refusal's reason is judged present or not, never quoted: masking costs nothing.
    # marketing_messages.content is left as sent: the marketing rules read it (a
    # hotline in an advertisement is content), and no output ever copies it.
    "privacy_requests": ("refusal_reason",),
}

_D = "[0-9０-９]"
_SEP = r"[\s\-－—·.]?"
_PRE = r"(?P<pre>^|[^0-9０-９A-Za-z])"  # not inside a longer number or code
#: (pattern, replacement), applied in order (the longer numbers first).
MASKS: tuple[tuple[str, str], ...] = (
    (r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}", "［邮箱］"),
    (rf"{_PRE}[1-9]{_D}{{5}}(?:18|19|20){_D}{{2}}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
     rf"{_D}{{3}}[0-9Xx]", "${pre}［身份证号］"),
    (rf"{_PRE}(?:[3-6]{_D}{{3}}{_SEP})(?:{_D}{{4}}{_SEP}){{2}}{_D}{{4}}(?:{_SEP}?{_D}{{1,3}})?",
     "${pre}［银行卡号］"),
    (rf"{_PRE}(?:\+?86{_SEP})?1[3-9]{_D}{_SEP}{_D}{{4}}{_SEP}{_D}{{4}}", "${pre}［电话］"),
    (rf"{_PRE}0{_D}{{2,3}}{_SEP}{_D}{{3,4}}{_SEP}{_D}{{4}}", "${pre}［电话］"),
    (r"\p{Han}{1,3}(?P<title>先生|女士|小姐)", "［姓名］${title}"),
)

#: Common Chinese surnames (single characters that seldom start an ordinary word of
#: a handling note; 安, 关, 金, 方, 于, 顾, … are left out for 安装, 关于, 金额, 方式,
#: 于是, 顾客) and compound ones.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡杜叶程苏"
    "魏吕丁沈姚卢姜崔钟谭陆汪范廖石贾夏韦邹熊孟秦邱江尹薛闫阎段雷侯龙史陶黎贺郝龚邵覃武戴莫"
    "孔汤康施牛樊葛邢乔伍庞颜倪庄聂章鲁岳翟殷詹欧耿兰焦俞柳甘舒阮柯纪梅童毕裴霍涂苗谷盛翁冉"
    "骆蓝辛靳柴蒙鲍喻祁蒲滕屈饶牟艾尤穆卓缪褚娄窦戚岑宫卜晏柏瞿桂佟臧闵苟邬卞姬仇栾隋刁巫寇"
    "桑郎甄丛仲虞敖巩佘邝毛温"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容",
                     "令狐", "长孙", "宇文", "司徒", "夏侯", "轩辕", "端木", "独孤", "南宫",
                     "西门", "呼延", "澹台", "钟离")
#: Ordinary words that start with a surname and may touch a phone number.
NOT_NAMES = ("马上", "周末", "周一", "周二", "周三", "周四", "周五", "周六", "周日", "谢谢",
             "许多", "曾经", "程序", "何时", "陆续", "高价", "范围", "施工", "颜色", "尤其",
             "麻烦", "夏季", "温馨", "身份", "信息", "本人", "材料", "证件", "资料")
#: Labels after which a name follows (whatever its surname) and labels of a phone number.
NAME_LABELS = ("联系人", "姓名", "收件人", "收货人", "投诉人", "举报人", "来电人", "经办人",
               "申请人", "当事人")
_WEAK_LABELS = ("客户", "用户", "顾客", "会员", "消费者")
PHONE_LABELS = ("联系电话", "联系方式", "手机号码", "手机号", "手机", "电话号码", "电话", "座机",
                "号码", "tel", "Tel", "TEL")

_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use marks around a candidate name
_SURNAME = "(?:" + "|".join(COMPOUND_SURNAMES) + f"|[{SURNAMES}])"
_MID = rf"[\s:：,，、/(（]*(?:(?:{'|'.join(PHONE_LABELS)})[\s:：]*)?"
#: (pattern, replacement) for a name next to a masked phone number, applied after
#: :data:`MASKS`: candidates are marked, :data:`NOT_NAMES` unmarked, the rest masked.
NAME_MASKS: tuple[tuple[str, str], ...] = (
    # after a name label: any two to four characters
    (rf"(?P<pre>(?:{'|'.join(NAME_LABELS)})[\s:：]*)(?P<name>\p{{Han}}{{2,4}}?)(?P<mid>{_MID})［电话］",
     f"${{pre}}{_OPEN}${{name}}{_CLOSE}${{mid}}［电话］"),
    # a surname word on its own (or after 客户, 用户, …) right before the number
    (rf"(?P<pre>^|[^\p{{Han}}］{_CLOSE}]|{'|'.join(_WEAK_LABELS)})(?P<name>{_SURNAME}\p{{Han}}{{1,2}}?)"
     rf"(?P<mid>{_MID})［电话］", f"${{pre}}{_OPEN}${{name}}{_CLOSE}${{mid}}［电话］"),
    # … or right after it, as a word of its own
    (rf"［电话］(?P<sp>[\s,，、/(（]*)(?P<name>{_SURNAME}\p{{Han}}{{1,2}})(?P<post>$|[^\p{{Han}}])",
     f"［电话］${{sp}}{_OPEN}${{name}}{_CLOSE}${{post}}"),
    (rf"{_OPEN}(?P<word>(?:{'|'.join(NOT_NAMES)})\p{{Han}}?){_CLOSE}", "${word}"),
    (rf"{_OPEN}[^{_CLOSE}]*{_CLOSE}", "［姓名］"),
)


def mask_identifiers(expr: pl.Expr) -> pl.Expr:
    """``expr`` (a string column) with every identifier of :data:`MASKS` replaced.

    >>> df = pl.DataFrame({"t": ["王先生 139 1234 5678 投诉配送慢", "送货慢", None,
    ...                          "单号 20260915123456，联系 li.na@example.com"]})
    >>> df.select(mask_identifiers(pl.col("t")))["t"].to_list()
    ['［姓名］先生 ［电话］ 投诉配送慢', '送货慢', None, '单号 20260915123456，联系 ［邮箱］']
    """
    out = expr
    for pattern, replacement in (*MASKS, *NAME_MASKS):
        out = out.str.replace_all(pattern, replacement)
    return out


def mask_free_text(table: str, frame: pl.LazyFrame) -> pl.LazyFrame:
    """``frame`` of contract table ``table`` with its free-text columns masked."""
    columns = [c for c in FREE_TEXT_COLUMNS.get(table, ()) if c in frame.collect_schema()]
    if not columns:
        return frame
    return frame.with_columns(mask_identifiers(pl.col(c)).alias(c) for c in columns)
