"""The data contract as code: the single source of table schemas, enums and rules.

Every loader, analysis, sample generator and test reads the contract from here, and
``docs/data-contract.md`` is generated from it (``make contract-doc``, i.e.
``python -m workbench._contract_doc``), so the contract is stated once in the code
base. Extensions the workbench makes to the shared contract (new rules, extra
Chinese labels) are marked ``extension`` and documented in
``docs/data-contract-extensions.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import polars as pl

#: The shared contract version this code implements in full; the parts of a newer
#: shared version not yet implemented are listed in ``docs/data-contract.md``.
CONTRACT_VERSION = "1.1"
TIMEZONE = "Asia/Shanghai"

Kind = Literal["str", "int", "float", "bool", "date", "datetime", "enum"]

# polars dtype for every logical kind. Datetimes are naive Asia/Shanghai local time.
DTYPES: dict[str, pl.DataType] = {
    "str": pl.String(), "int": pl.Int64(), "float": pl.Float64(), "bool": pl.Boolean(),
    "date": pl.Date(), "datetime": pl.Datetime("us"), "enum": pl.String(),
}


@dataclass(frozen=True)
class Column:
    """One contract column.

    ``enum`` names an entry of :data:`ENUMS`; ``fk`` is ``"table.column"``;
    ``min_value`` / ``min_exclusive`` state the money and quantity bounds; ``note``
    is what the column means, as the contract document shows it.
    """

    name: str
    kind: Kind
    nullable: bool = False
    enum: str | None = None
    fk: str | None = None
    min_value: float | None = None
    min_exclusive: bool = False
    default: object = None  # filled in for a missing optional-with-default column
    note: str = ""

    @property
    def dtype(self) -> pl.DataType:
        """The polars dtype of the column's kind."""
        return DTYPES[self.kind]


@dataclass(frozen=True)
class Table:
    """One contract table: its columns and primary key (possibly empty).

    ``doc`` is the one-line description the contract document shows in its heading.
    """

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    # Columns used to name offending rows in errors when there is no primary key.
    example_key: tuple[str, ...] = field(default=())
    doc: str = ""

    @property
    def schema(self) -> dict[str, pl.DataType]:
        """Column name → polars dtype, in contract order."""
        return {c.name: c.dtype for c in self.columns}

    @property
    def key_columns(self) -> tuple[str, ...]:
        """The primary key, or the columns that name a row in errors."""
        return self.primary_key or self.example_key

    def column(self, name: str) -> Column:
        """The column called ``name`` (``KeyError`` if there is none)."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")


#: The analyses the report runs on every source (``marketing`` too: on a source
#: without its optional tables it runs and reports itself *not evaluated*).
ANALYSES: tuple[str, ...] = ("tiering", "pricing", "sla", "credit", "marketing")
#: Analyses whose input tables are optional (v1.1): analysis -> its table group. A
#: source may lack a whole group (the analysis is then *not evaluated*); one that has
#: some of a group's tables must have them all.
OPTIONAL_TABLES: dict[str, tuple[str, ...]] = {
    "marketing": ("marketing_messages", "consents", "privacy_requests"),
}

#: What a finding's money is (contract v1.1 ``amount_kind``): money of different kinds
#: is never added up (see :mod:`workbench.money`).
AMOUNT_KINDS: tuple[str, ...] = ("overcharge", "benefit", "discount", "exposure")

# --------------------------------------------------------------------------- enums
# code -> Chinese labels the loader also accepts. Registry status labels are the
# contract's; the others are an extension (see docs/data-contract-extensions.md).
# Output enums carry no labels: the workbench writes them, it never reads them in,
# and what a reader sees is in workbench/labels.py.
ENUMS: dict[str, dict[str, tuple[str, ...]]] = {
    "customer_type": {"individual": ("个人",), "enterprise": ("企业",)},
    "gender": {"f": ("女",), "m": ("男",)},
    "assignment_method": {"rule": ("规则",), "manual": ("人工",)},
    "order_channel": {"app": ("应用",), "web": ("网站",), "store": ("门店",), "phone": ("电话",)},
    "device_os": {"ios": (), "android": ("安卓",), "windows": (), "macos": (), "other": ("其他",)},
    "complaint_channel": {"hotline": ("热线",), "app": ("应用",), "web": ("网站",),
                          "email": ("邮件",), "store": ("门店",),
                          "regulator": ("12315", "监管转办")},
    "severity": {"critical": ("特急",), "high": ("高",), "medium": ("中",), "low": ("低",)},
    "complaint_status": {
        "open": ("待处理",), "in_progress": ("处理中",), "waiting_customer": ("待客户反馈",),
        "resolved": ("已解决",), "closed": ("已关闭",), "rejected": ("不予受理",),
    },
    "complaint_event": {
        "acknowledged": ("已响应",), "accepted": ("已受理",), "rejected": ("不予受理",),
        "progress_update": ("进展告知",), "waiting_customer": ("待客户反馈",),
        "resumed": ("恢复处理",), "escalated": ("升级",), "resolved": ("已解决",),
        "closed": ("已关闭",), "reopened": ("重新打开",),
    },
    "registry_status": {"active": ("存续", "在业"), "revoked": ("吊销",), "cancelled": ("注销",),
                        "moved_out": ("迁出",), "suspended": ("停业",)},
    "registry_event": {
        "abnormal_list_in": ("列入经营异常名录",), "abnormal_list_out": ("移出经营异常名录",),
        "serious_illegal_in": ("列入严重违法失信名单",),
        "serious_illegal_out": ("移出严重违法失信名单",),
        "admin_penalty": ("行政处罚",), "spot_check_fail": ("抽查检查不合格",),
        "equity_pledge": ("股权出质",), "chattel_mortgage": ("动产抵押",), "lawsuit": ("诉讼",),
    },
    # v1.1 marketing and personal-information tables
    "message_channel": {"sms": ("短信",), "app_push": ("应用推送", "推送"), "email": ("邮件",),
                        "wechat": ("微信",), "call": ("外呼", "电话")},
    "message_purpose": {"marketing": ("营销",), "service": ("服务",), "transaction": ("交易",)},
    "consent_purpose": {"marketing": ("营销",), "profiling": ("个性化推荐",),
                        "sharing": ("对外提供", "共享"), "sensitive": ("敏感个人信息",)},
    "privacy_kind": {
        "access": ("查阅",), "copy": ("复制",), "correct": ("更正", "补充"), "delete": ("删除",),
        "withdraw_consent": ("撤回同意",), "explain": ("解释说明",),
        "cancel_account": ("注销账号",), "port": ("转移",),
    },
    "privacy_outcome": {"done": ("已完成",), "refused": ("拒绝",), "pending": ("处理中",)},
    # Output enums.
    "analysis": dict.fromkeys((*ANALYSES, *OPTIONAL_TABLES), ()),
    "finding_severity": {"high": (), "medium": (), "low": ()},
    "entity_type": dict.fromkeys(("customer", "order", "grant", "complaint", "group",
                                  "subsidiary", "enterprise", "policy", "message", "request"),
                                 ()),
    "grade": {"AAA": (), "AA": (), "A": (), "BBB": (), "BB": (), "reject": ()},
    "amount_kind": dict.fromkeys(AMOUNT_KINDS, ()),
}


def enum_codes(name: str) -> list[str]:
    """The codes of enum ``name`` in contract order."""
    return list(ENUMS[name])


def enum_label_map(name: str) -> dict[str, str]:
    """Every accepted spelling (code or Chinese label) → code."""
    out = {code: code for code in ENUMS[name]}
    for code, labels in ENUMS[name].items():
        for label in labels:
            out[label] = code
    return out


# -------------------------------------------------------------------------- tables
_MONEY = 0.0  # money columns are non-negative
_PCT = "percent for `*_pct`, else 1"


def _c(name: str, kind: Kind, **kw: object) -> Column:
    return Column(name, kind, **kw)  # type: ignore[arg-type]


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table("subsidiaries", (
            _c("subsidiary_id", "str"),
            _c("name", "str"),
            _c("province", "str", note="2-digit GB/T 2260 code, e.g. `31`"),
        ), primary_key=("subsidiary_id",)),
        Table("customers", (
            _c("customer_id", "str"),
            _c("subsidiary_id", "str", fk="subsidiaries.subsidiary_id",
               note="owning subsidiary"),
            _c("customer_type", "enum", enum="customer_type"),
            _c("uscc", "str", nullable=True, note="18-char unified social credit code"),
            _c("signup_date", "date"),
            _c("province", "str", nullable=True, note="2-digit code"),
            _c("gender", "enum", nullable=True, enum="gender",
               note="audit attribute, individuals only"),
            _c("birth_year", "int", nullable=True, note="audit attribute, individuals only"),
        ), primary_key=("customer_id",)),
        Table("tier_policy", (
            _c("tier", "str", note="e.g. `vip`, `core`, `standard`"),
            _c("rank", "int"),
            _c("min_spend_12m", "float", min_value=_MONEY,
               note="trailing-12-month spend needed, CNY"),
            _c("min_orders_12m", "int", min_value=0,
               note="trailing-12-month order count needed"),
            _c("min_tenure_months", "int", min_value=0, note="months since signup needed"),
            _c("review_cycle_days", "int", min_value=0, min_exclusive=True,
               note="a tier older than this must be re-evaluated"),
            _c("published_at", "date", nullable=True,
               note="null = never published (itself a finding)"),
        ), primary_key=("tier",), doc="the *published* tier criteria"),
        Table("tier_benefits", (
            _c("tier", "str", fk="tier_policy.tier"),
            _c("benefit_type", "str",
               note="e.g. `discount_pct`, `rebate_pct`, `free_shipping`, `priority_service`"),
            _c("value", "float", min_value=0.0, note=_PCT),
            _c("published", "bool", note="false = internal-only benefit"),
        ), example_key=("tier", "benefit_type"), doc="the *published* benefit schedule"),
        Table("tier_assignments", (
            _c("customer_id", "str", fk="customers.customer_id"),
            _c("tier", "str", fk="tier_policy.tier"),
            _c("assigned_at", "datetime"),
            _c("method", "enum", enum="assignment_method"),
            _c("reason", "str", nullable=True,
               note="free text, required by policy for `manual`"),
        ), example_key=("customer_id", "assigned_at"),
           doc="tier history (latest row per customer is current)"),
        Table("benefit_grants", (
            _c("grant_id", "str"),
            _c("customer_id", "str", fk="customers.customer_id"),
            _c("granted_at", "datetime"),
            _c("benefit_type", "str"),
            _c("value", "float", min_value=0.0, note=_PCT),
            _c("amount_cny", "float", min_value=_MONEY, note="money value of the grant"),
        ), primary_key=("grant_id",), doc="benefits actually given"),
        Table("orders", (
            _c("order_id", "str"),
            _c("customer_id", "str", fk="customers.customer_id"),
            _c("subsidiary_id", "str", fk="subsidiaries.subsidiary_id"),
            _c("sku", "str"),
            _c("ordered_at", "datetime"),
            _c("channel", "enum", enum="order_channel"),
            _c("device_os", "enum", nullable=True, enum="device_os"),
            _c("province", "str", nullable=True, note="delivery province code"),
            _c("quantity", "int", min_value=0, min_exclusive=True),
            _c("list_price", "float", min_value=0.0, min_exclusive=True,
               note="public unit list price at order time"),
            _c("charged_price", "float", min_value=_MONEY,
               note="unit price actually charged, before coupons"),
            _c("promo_id", "str", nullable=True, fk="promotions.promo_id"),
            _c("coupon_cny", "float", min_value=_MONEY, default=0.0,
               note="coupon value applied to the order"),
        ), primary_key=("order_id",)),
        Table("promotions", (
            _c("promo_id", "str"),
            _c("sku", "str", nullable=True, note="null = every sku"),
            _c("starts_at", "datetime"),
            _c("ends_at", "datetime"),
            _c("discount_pct", "float", min_value=0.0),
            _c("eligible_tiers", "str", nullable=True,
               note="comma-separated tiers; null = everyone"),
            _c("public", "bool", note="false = not announced (itself a finding when used)"),
        ), primary_key=("promo_id",)),
        Table("complaints", (
            _c("complaint_id", "str"),
            _c("customer_id", "str", fk="customers.customer_id"),
            _c("subsidiary_id", "str", fk="subsidiaries.subsidiary_id"),
            _c("channel", "enum", enum="complaint_channel",
               note="`regulator` = a 12315 transfer"),
            _c("category", "str",
               note="e.g. `quality`, `delivery`, `billing`, `service`, `privacy`, `pricing`"),
            _c("severity", "enum", enum="severity"),
            _c("received_at", "datetime"),
            _c("acknowledged_at", "datetime", nullable=True,
               note="first response to the customer"),
            _c("accepted_at", "datetime", nullable=True, note="decision to accept or reject"),
            _c("resolved_at", "datetime", nullable=True),
            _c("closed_at", "datetime", nullable=True),
            _c("status", "enum", enum="complaint_status"),
            _c("root_cause", "str", nullable=True),
            _c("satisfaction", "int", nullable=True, min_value=1),
        ), primary_key=("complaint_id",)),
        Table("complaint_events", (
            _c("complaint_id", "str", fk="complaints.complaint_id"),
            _c("at", "datetime"),
            _c("event", "enum", enum="complaint_event"),
            _c("note", "str", nullable=True),
        ), example_key=("complaint_id", "at"), doc="every handling step (the service record)"),
        Table("registry_snapshots", (
            _c("snapshot_date", "date"),
            _c("uscc", "str"),
            _c("name", "str"),
            _c("status", "enum", enum="registry_status"),
            _c("established_date", "date"),
            _c("registered_capital_cny", "float", nullable=True, min_value=_MONEY),
            _c("industry_code", "str", nullable=True, note="GB/T 4754 section letter or code"),
            _c("business_scope", "str", nullable=True),
            _c("last_annual_report_year", "int", nullable=True,
               note="latest year whose annual report was filed"),
        ), # "one row per uscc per extract"
           primary_key=("uscc", "snapshot_date"),
           doc="enterprise registry extracts, one row per uscc per extract"),
        Table("registry_events", (
            _c("uscc", "str"),
            _c("event_date", "date"),
            _c("event_type", "enum", enum="registry_event"),
            _c("amount_cny", "float", nullable=True, min_value=_MONEY,
               note="penalty or claim amount"),
            _c("authority", "str", nullable=True),
            _c("reason", "str", nullable=True),
        ), example_key=("uscc", "event_date")),
        Table("receivables", (
            _c("invoice_id", "str"),
            _c("customer_id", "str", fk="customers.customer_id"),
            _c("issued_at", "date"),
            _c("due_date", "date"),
            _c("amount_cny", "float", min_value=_MONEY),
            _c("paid_at", "date", nullable=True, note="null = unpaid"),
            _c("paid_amount_cny", "float", min_value=_MONEY, default=0.0),
        ), primary_key=("invoice_id",), doc="the company's own dealings with a customer"),
        # v1.1, optional (OPTIONAL_TABLES): the marketing analysis reads these.
        Table("marketing_messages", (
            _c("message_id", "str"),
            _c("subsidiary_id", "str", fk="subsidiaries.subsidiary_id", note="the sender"),
            _c("customer_id", "str", fk="customers.customer_id", note="the recipient"),
            _c("channel", "enum", enum="message_channel",
               note="`call` = outbound telemarketing; content = script"),
            _c("sent_at", "datetime"),
            _c("purpose", "enum", enum="message_purpose", note="the sender's own label"),
            _c("content", "str",
               note="the text as sent (Chinese), incl. signature and opt-out line"),
        ), primary_key=("message_id",), doc="every commercial or service message sent to a person"),
        Table("consents", (
            _c("consent_id", "str"),
            _c("customer_id", "str", fk="customers.customer_id"),
            _c("subsidiary_id", "str", nullable=True, fk="subsidiaries.subsidiary_id",
               note="null = the whole group"),
            _c("purpose", "enum", enum="consent_purpose",
               note="`profiling` = personalised recommendation/pricing, `sharing` = to "
               "another group company or third party"),
            _c("channel", "enum", nullable=True, enum="message_channel",
               note="null = every channel"),
            _c("granted_at", "datetime"),
            _c("withdrawn_at", "datetime", nullable=True, note="null = still in force"),
        ), primary_key=("consent_id",), doc="permission to use personal information for a purpose"),
        Table("privacy_requests", (
            _c("request_id", "str"),
            _c("customer_id", "str", nullable=True, fk="customers.customer_id",
               note="null when the requester could not be matched"),
            _c("subsidiary_id", "str", fk="subsidiaries.subsidiary_id",
               note="who received it"),
            _c("kind", "enum", enum="privacy_kind"),
            _c("received_at", "datetime"),
            _c("completed_at", "datetime", nullable=True, note="null = not completed"),
            _c("outcome", "enum", enum="privacy_outcome"),
            _c("refusal_reason", "str", nullable=True,
               note="required when `outcome` is `refused` (PIPL art. 50)"),
        ), primary_key=("request_id",), doc="a person exercising rights under PIPL arts. 44–50"),
    )
}

#: The tables every source must have, in contract order (the optional groups of
#: :data:`OPTIONAL_TABLES` follow them in :data:`TABLES`).
TABLE_NAMES: tuple[str, ...] = tuple(
    t for t in TABLES if not any(t in group for group in OPTIONAL_TABLES.values())
)

# Extra row-level expectations beyond types/keys: (table, column, expression, reason).
# A row fails where the expression is False; null counts as a pass (so the
# enterprise-USCC rule is written to be False, not null, for a missing uscc).
ROW_CHECKS: tuple[tuple[str, str, pl.Expr, str], ...] = (
    ("complaints", "satisfaction", pl.col("satisfaction").is_between(1, 5), "a 1–5 score"),
    (
        "promotions",
        "ends_at",
        pl.col("ends_at") >= pl.col("starts_at"),
        "a promotion window ends at or after it starts",
    ),
    (
        "receivables",
        "due_date",
        pl.col("due_date") >= pl.col("issued_at"),
        "an invoice falls due on or after it is issued",
    ),
    (
        "tier_policy",
        "rank",
        pl.col("rank").is_unique(),
        "tier ranks are unique (higher = better)",
    ),
    (
        "customers",
        "uscc",
        (pl.col("customer_type") != "enterprise") | pl.col("uscc").is_not_null(),
        "enterprises must carry a USCC",
    ),
    ("consents", "withdrawn_at", pl.col("withdrawn_at") >= pl.col("granted_at"),
     "a consent is withdrawn at or after it is granted"),
    ("privacy_requests", "completed_at", pl.col("completed_at") >= pl.col("received_at"),
     "a request is completed at or after it is received"),
    ("privacy_requests", "outcome",
     (pl.col("outcome") == "pending") == pl.col("completed_at").is_null(),
     "completed_at is given exactly when the outcome is done or refused"),
)


# ------------------------------------------------------------------------ outputs
#: The outputs a report publishes, as tables (never read back in by the loader).
OUTPUT_TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table("findings", (
            _c("finding_id", "str", note="stable across re-runs of the same inputs"),
            _c("analysis", "enum", enum="analysis"),
            _c("rule", "str", note="a code from the rule codes below"),
            _c("severity", "enum", enum="finding_severity"),
            _c("entity_type", "enum", enum="entity_type"),
            _c("entity_id", "str",
               note="the id; for `group`, `attribute=value` (e.g. `device_os=ios`)"),
            _c("subsidiary_id", "str", nullable=True),
            _c("amount_cny", "float", nullable=True, min_value=_MONEY,
               note="money at stake (overcharge, hidden benefit, overdue)"),
            _c("amount_kind", "enum", nullable=True, enum="amount_kind",
               note="v1.1: what the money is; null exactly when `amount_cny` is null (below)"),
            _c("detail", "str",
               note="JSON with the evidence: figures, thresholds, sample ids, legal basis"),
        ), doc="every finding of every analysis"),
        Table("credit_grades", (
            _c("customer_id", "str"),
            _c("uscc", "str"),
            _c("score", "float", note="scorecard points (higher = safer)"),
            _c("pd", "float",
               note="estimated probability of default in the next 12 months"),
            _c("grade", "enum", enum="grade"),
            _c("credit_limit_cny", "float", note="0 for `reject`"),
            _c("payment_terms_days", "int", note="0 = cash before delivery"),
            _c("reasons", "str", note="the top factors behind the score, most important first"),
        ), doc="one row per enterprise customer"),
    )
}

FINDINGS_SCHEMA: dict[str, pl.DataType] = OUTPUT_TABLES["findings"].schema
CREDIT_GRADES_SCHEMA: dict[str, pl.DataType] = OUTPUT_TABLES["credit_grades"].schema


@dataclass(frozen=True)
class Rule:
    """A finding rule: where it comes from, what it is about, its legal basis and money.

    ``amount_kind`` is the kind (:data:`AMOUNT_KINDS`) of the money its findings
    carry, ``None`` for a rule whose findings carry none. ``in_total`` says whether
    its amounts add into the kind's total; a rule whose amounts break another rule's
    money down by cause (a group's share of the order-level overcharge) is not in
    the total, and is shown as a breakdown wherever its amount appears.
    """

    code: str
    analysis: str
    entity_type: str
    title_en: str
    title_zh: str
    legal_basis: str
    extension: bool = False
    amount_kind: str | None = None
    in_total: bool = False

    def __post_init__(self) -> None:
        if self.amount_kind is not None and self.amount_kind not in AMOUNT_KINDS:
            raise ValueError(f"rule {self.code!r}: amount_kind {self.amount_kind!r} is not one "
                             f"of {list(AMOUNT_KINDS)}")
        if self.in_total and self.amount_kind is None:
            raise ValueError(f"rule {self.code!r}: in_total needs an amount_kind")


_PIPL24 = (
    "《个人信息保护法》第二十四条 (PIPL art. 24: automated decisions, "
    "no unreasonable differential treatment in transaction prices)"
)
_CPL_REG9 = (
    "《消费者权益保护法实施条例》第九条 (CPL Implementing Regulation 2024, art. 9: "
    "same goods, same conditions, same price)"
)
_CPL = "《消费者权益保护法》第十条 (Consumer Protection Law art. 10: fair trading conditions)"
_PRICE = "《明码标价和禁止价格欺诈规定》 (Clearly-marked prices and price fraud provisions)"
_COMPLAINT = (
    "《市场监督管理投诉举报处理暂行办法》及企业公开承诺 "
    "(SAMR complaint handling measures and the published service commitment)"
)
_REGISTRY = "《企业信息公示暂行条例》 (Interim Regulation on Enterprise Information Publicity)"
_ABNORMAL = (
    "《企业经营异常名录管理办法》/《市场监督管理严重违法失信名单管理办法》 "
    "(abnormal-operation list and serious-illegal list measures)"
)
_USCC = "GB 32100-2015 法人和其他组织统一社会信用代码编码规则 (USCC coding rules)"
_AD_LABEL = (
    "《广告法》第十四条；《互联网广告管理办法》(2023) 第九条 (Advertising Law art. 14, "
    "Internet Advertising Measures 2023 art. 9: an advertisement must be identifiable as one)"
)
_ABSOLUTE = (
    "《广告法》第九条第（三）项、第五十七条；"
    "《广告绝对化用语执法指南》(市场监管总局公告2023年第6号) "
    "(Advertising Law arts. 9(3), 57; SAMR guidelines on absolute terms 2023)"
)
_OPT_OUT = (
    "《广告法》第四十三条 (Advertising Law art. 43: electronic advertisements must offer a way "
    "to refuse further ones)"
)
_CONSENT = (
    "《广告法》第四十三条；《消费者权益保护法》第二十九条；《个人信息保护法》第十三条至第十五条 "
    "(Advertising Law art. 43, Consumer Rights Protection Law art. 29, PIPL arts. 13-15: "
    "no commercial message without consent, none after a refusal or withdrawal)"
)
_PIPL_RIGHTS = (
    "《个人信息保护法》第四十四条至第五十条 (PIPL arts. 44-50: individuals' rights, a "
    "convenient mechanism to accept and handle their requests)"
)
_PIPL_REFUSAL = (
    "《个人信息保护法》第五十条 (PIPL art. 50: a refusal of a request must state its reasons)"
)

RULES: dict[str, Rule] = {
    r.code: r
    for r in (
        Rule("tier_mismatch", "tiering", "customer", "Tier differs from published criteria",
             "会员等级与公布标准不符", _CPL),
        Rule("manual_tier_without_reason", "tiering", "customer",
             "Manual tier change without a reason", "人工调级无理由", _CPL),
        Rule("hidden_benefit", "tiering", "grant", "Benefit outside the published schedule",
             "未公布的权益", _CPL, amount_kind="benefit", in_total=True),
        Rule("stale_tier", "tiering", "customer", "Tier not re-evaluated within its cycle",
             "等级未按周期复核", _CPL),
        Rule("unpublished_policy", "tiering", "policy", "Tier criteria never published",
             "等级标准未公布", _CPL),
        Rule("tier_disparity", "tiering", "group", "Group under-tiered at a higher rate",
             "群体定级差异", _PIPL24, amount_kind="benefit"),
        Rule("dormant_top_tier", "tiering", "customer", "Top-tier customer with no recent order",
             "顶级会员长期无交易", _CPL, extension=True),
        Rule("price_disparity", "pricing", "group", "Group pays an unexplained premium",
             "大数据杀熟：群体价格差异", _PIPL24 + "; " + _CPL_REG9, amount_kind="overcharge"),
        Rule("unexplained_premium", "pricing", "order",
             "Price above what published factors explain", "无法解释的加价",
             _CPL_REG9 + "; " + _PRICE, amount_kind="overcharge", in_total=True),
        Rule("unpublished_promotion", "pricing", "order",
             "Order used a promotion that was not announced", "使用未公开促销", _PRICE,
             amount_kind="discount", in_total=True),
        Rule("ack_breach", "sla", "complaint", "First response later than committed",
             "首次响应超时", _COMPLAINT),
        Rule("acceptance_breach", "sla", "complaint",
             "Acceptance decision later than 7 working days", "受理决定超过7个工作日", _COMPLAINT),
        Rule("resolution_breach", "sla", "complaint", "Resolution later than committed",
             "办结超时", _COMPLAINT),
        Rule("update_gap", "sla", "complaint", "No progress update for too long while open",
             "进展告知间隔过长", _COMPLAINT),
        Rule("missing_record", "sla", "complaint", "Handling record incomplete",
             "处理记录不完整", _COMPLAINT),
        Rule("breach_risk", "sla", "complaint", "Open complaint predicted to breach",
             "预计超时的在办投诉", _COMPLAINT),
        Rule("recurring_cause", "sla", "subsidiary", "Root cause keeps recurring",
             "同类问题反复发生", _COMPLAINT),
        Rule("invalid_uscc", "credit", "enterprise", "USCC fails its check characters",
             "统一社会信用代码无效", _USCC, amount_kind="exposure", in_total=True),
        Rule("registry_knockout", "credit", "enterprise",
             "Revoked, cancelled or serious-illegal listed", "登记状态否决",
             _REGISTRY + "; " + _ABNORMAL, amount_kind="exposure", in_total=True),
        Rule("registry_change", "credit", "enterprise",
             "Registry status or list membership changed", "登记信息变更", _REGISTRY,
             amount_kind="exposure", in_total=True),
        Rule("annual_report_overdue", "credit", "enterprise",
             "Annual report not filed by 30 June", "年报逾期未报", _REGISTRY,
             amount_kind="exposure", in_total=True),
        Rule("ad_unlabelled", "marketing", "message",
             "Commercial message not labelled as an advertisement", "商业信息未标明广告",
             _AD_LABEL),
        Rule("absolute_term", "marketing", "message",
             "Commercial message uses an absolute term", "广告使用绝对化用语", _ABSOLUTE),
        Rule("no_opt_out", "marketing", "message",
             "Commercial message tells no way to refuse further messages", "未提供拒收方式",
             _OPT_OUT),
        Rule("marketing_without_consent", "marketing", "message",
             "Commercial message sent with no consent in force", "未经同意发送商业信息",
             _CONSENT),
        Rule("privacy_request_overdue", "marketing", "request",
             "Personal-information request not completed within its limit",
             "个人信息权利请求逾期未办结", _PIPL_RIGHTS),
        Rule("refusal_without_reason", "marketing", "request",
             "Request refused without a reason", "拒绝请求未说明理由", _PIPL_REFUSAL),
    )
}


def rules_for(analysis: str) -> list[Rule]:
    """The rules an analysis may emit."""
    return [r for r in RULES.values() if r.analysis == analysis]
