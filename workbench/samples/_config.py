"""Constants of the sample world: timeline, sizes, the published policy, and planted rates.

Every planted violation rate is a module constant here so that the ground truth can
state it and a reader can change it in one place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

ScaleName = Literal["tiny", "small", "medium", "large"]


@dataclass(frozen=True)
class Scale:
    """Target sizes; order and complaint counts are expectations, not exact."""

    customers: int
    orders: int
    complaints: int
    skus: int


SCALES: dict[str, Scale] = {
    "tiny": Scale(customers=300, orders=6_000, complaints=260, skus=60),
    "small": Scale(customers=5_000, orders=150_000, complaints=4_000, skus=400),
    "medium": Scale(customers=50_000, orders=1_500_000, complaints=30_000, skus=1_200),
    "large": Scale(customers=340_000, orders=10_900_000, complaints=150_000, skus=3_000),
}

# ------------------------------------------------------------------------- timeline
TIMELINE_START = dt.datetime(2024, 10, 1)
DATA_END = dt.datetime(2026, 11, 15, 23, 59, 59)  # the extract moment; nothing later exists
REFERENCE_PERIOD = "2026-Q3"
# Registry extracts: two around the reference period, one after it (look-ahead trap).
REGISTRY_EXTRACTS = (dt.date(2026, 6, 30), dt.date(2026, 9, 30), dt.date(2026, 11, 15))
# Quarter-end re-evaluations are written at the last second of the quarter; orders
# never fall on that second, so an evaluation never prices the orders it counts.
EVAL_TIME = dt.time(23, 59, 59)
SIGNUP_EARLIEST = dt.date(2017, 3, 1)
SHARE_SIGNED_UP_BEFORE = 0.58

# --------------------------------------------------------------------- the company
SUBSIDIARIES: tuple[tuple[str, str, str, float], ...] = (
    # id (SAP-style company code), name, province (GB/T 2260), share of customers
    ("0310", "上海云铺商贸有限公司", "31", 0.22),
    ("0110", "北京京华优选科技有限公司", "11", 0.20),
    ("0440", "广东南粤数字零售有限公司", "44", 0.22),
    ("0330", "浙江之江电子商务有限公司", "33", 0.16),
    ("0510", "四川天府优品商贸有限公司", "51", 0.10),
    ("0420", "湖北荆楚智选贸易有限公司", "42", 0.10),
)
PROVINCES = (
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
)
ENTERPRISE_SHARE = 0.20

# Published tier policy: (tier, rank, min spend, min orders, min tenure months, review days).
TIERS: tuple[tuple[str, int, float, int, int, int], ...] = (
    ("vip", 3, 20_000.0, 24, 12, 90),
    ("core", 2, 5_000.0, 8, 3, 180),
    ("standard", 1, 0.0, 0, 0, 365),
)
TIER_BY_RANK = {rank: name for name, rank, *_ in TIERS}
POLICY_PUBLISHED = dt.date(2024, 7, 1)
# Planted ``unpublished_policy``: an internal staff tier drafted but never published.
# Rank 0 with zero minimums, so it can never be anybody's eligible tier, is held by
# nobody, and does not change which tier is "top" (see ground-truth notes).
UNPUBLISHED_TIER = ("staff", 0, 0.0, 0, 0, 365)

# (tier, benefit_type, value, published)
BENEFITS: tuple[tuple[str, str, float, bool], ...] = (
    ("vip", "discount_pct", 10.0, True),
    ("vip", "free_shipping", 1.0, True),
    ("vip", "priority_service", 1.0, True),
    ("vip", "rebate_pct", 3.0, True),
    ("core", "discount_pct", 5.0, True),
    ("core", "free_shipping", 1.0, True),
    ("core", "rebate_pct", 2.0, False),  # internal-only: granting it is a hidden benefit
)
UNPUBLISHED_TIER_BENEFITS = (("staff", "discount_pct", 20.0, False),)
TIER_DISCOUNT = {3: 10.0, 2: 5.0, 1: 0.0}

# ------------------------------------------------------------------------ behaviour
CHANNELS = ("app", "web", "store", "phone")
CHANNEL_P = (0.45, 0.27, 0.18, 0.10)
PROMO_USE_P = 0.8
COUPON_P = 0.08
# Clean samples only: customer-level price heterogeneity, so that the pricing audit's
# customer clustering is exercised by the false-alarm seeds (issue #13). A share of the
# customers always pays a little more (a personal mark-up within the 0.5 % tolerance:
# no order-level finding), and each customer has its own coupon habit (coupon
# probability ~ Beta with mean COUPON_P): some customers always pay more net.
CLEAN_MARKUP_SHARE = 0.15
CLEAN_MARKUP_RANGE = (0.001, 0.004)
CLEAN_COUPON_BETA = (0.4, 0.4 * (1 - COUPON_P) / COUPON_P)
FREE_SHIPPING_GRANT_P = 0.35
CHURN_P = 0.12
MANUAL_MONTHLY_P = 0.002  # goodwill/downgrade manual overrides, always with a reason

# ---------------------------------------------------------- planted violation rates
TIER_MISMATCH_RATE = 0.02  # of customers, at every quarter-end evaluation (over or under)
TIER_DISPARITY_RATE = 0.15  # eligible female individuals written one tier too low
MANUAL_NO_REASON_RATE = 0.02  # customers whose current row is a reasonless manual row
STALE_RATE = 0.015  # customers whose re-evaluations stop after 2025-Q2
STALE_VIP_RATE = 0.06  # vip customers whose re-evaluations stop after 2026-Q1
DORMANT_RATE = 0.02  # heavy buyers who stop ordering in March 2026
HIDDEN_SUBSIDIARY = "0440"  # hidden benefits concentrate here
HIDDEN_CORE_REBATE_RATE = 0.25  # of its core customers get the internal-only rebate
HIDDEN_OVER_REBATE_RATE = 0.05  # vip rebates paid at 5 % instead of the published 3 %
HIDDEN_FREE_SHIPPING_RATE = 0.04  # of its standard-tier orders get free shipping
HIDDEN_VOUCHER_RATE = 0.002  # of orders get an unscheduled cash voucher
IOS_PREMIUM = 0.04  # on a third of skus
IOS_PREMIUM_SKU_SHARE = 1 / 3
TENURE_PREMIUM = 0.03  # customers with 36+ months tenure, on a tenth of skus
TENURE_PREMIUM_MONTHS = 36
TENURE_PREMIUM_SKU_SHARE = 0.1
UNEXPLAINED_PREMIUM_RATE = 0.008  # random orders charged 3–25 % above the explained price
UNPUBLISHED_PROMO_RATE = 0.01  # orders given a non-public promotion
SLA_BREACH_RATE = 0.03  # per SLA rule, of complaints
MISSING_RECORD_RATE = 0.03
BREACH_RISK_RATE = 0.25  # of complaints open at the period end
SLOW_SUBSIDIARY = "0510"  # resolves late more often (natural delays before the period)
RECURRING_SUBSIDIARY = "0510"
RECURRING_ROOT_CAUSE = "damaged_in_transit"
RECURRING_SHARE = 0.35  # of that subsidiary's complaints from 2026-04 on
INVALID_USCC_RATE = 0.02  # of enterprises
KNOCKOUT_RATE = 0.02
REGISTRY_CHANGE_RATE = 0.03
ANNUAL_REPORT_OVERDUE_RATE = 0.03
LOOKAHEAD_RATE = 0.02  # registry changes that happen only after the reference period
MIN_PLANTED = 2  # every planted rule gets at least this many entities, even at tiny scale

# Credit default (receivables): monthly hazard of a distress spell, logit =
# base + weight·registry risk z + … + hidden_sd·(an unobserved trait); a spell
# continues each month with the persistence probability; invoices due in a
# distressed month are paid > 90 days late with the severe share, any other
# invoice with the background share (disputes, lost invoices). Tuned so that
# about 6 % of enterprise customers default per year under the contract's
# definition (seed 7, small: 7.0 % in the 12 months to 2026-06, 6.1 % to
# 2026-09), a level a B2B receivables book of small and mid-sized firms can
# have; at the former base of -5.5 (and background 0.002, ~1.8 % a year from
# background alone over ~9 invoices) it was 16.6 %.
DISTRESS_BASE_LOGIT = -7.2  # 0.07 % a month at z = 0, trait 0, no flags, before any scar
DISTRESS_Z_WEIGHT = 1.2
DISTRESS_HIDDEN_SD = 1.0
DISTRESS_PERSISTENCE = 0.8  # mean spell 5 months
DISTRESS_SEVERE_SHARE = 0.5
BACKGROUND_SEVERE_SHARE = 0.001  # per invoice: ~0.9 % of firms a year by chance alone
DISTRESS_SCAR = 1.5  # extra hazard logit after a first spell (past default predicts the next)
NEW_CUSTOMER_LOGIT = 1.0  # extra hazard logit from signup, decaying over ~6 months
# Months of firm history simulated before TIMELINE_START (no invoices, own random
# stream): spells and scars are under way when the data begin, so the default rate
# is roughly level over the timeline instead of climbing from a scar-free start.
DISTRESS_BURN_IN_MONTHS = 36
# Receivables start this many months before TIMELINE_START: a credit model is
# developed on features as of T0 − 12 months (T0 = end of P − 12 months), so for the
# reference quarter 2026-Q3 its payment-behaviour features need invoices from
# 2024-10 − 12 months on; with invoices only from 2024-10 the development sample
# had no payment history at all (the burn-in above is shortened by as much, so the
# distress chain starts at the same moment as before).
RECEIVABLES_HISTORY_MONTHS = 12
# Mildly late payment (3–25 days) of riskier payers: the hazard's risk terms on
# this base (independent of DISTRESS_BASE_LOGIT, so retuning defaults leaves the
# everyday lateness pattern alone).
MILD_LATE_BASE_LOGIT = -3.5
