"""Write ``docs/data-contract.md`` from the contract in code.

The tables, columns, types, nullability, enums and their Chinese labels, keys,
bounds, output schemas and rule codes come from :mod:`workbench.contract`; the
prose definitions (period, freshness, spend and tenure, explained price, money
kinds, …) are the shared contract's text, kept here. Where the shared contract
(v1.1) defines something this version does not implement yet, the document says
so plainly. Money kinds (v1.1) are implemented: the findings carry `amount_kind`,
and the document states which rules' money adds into a total.

``python -m workbench._contract_doc`` (``make contract-doc``) rewrites the file;
``--check`` only compares and exits 1 when the committed file is out of date
(``tests/test_contract.py`` does the same).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from workbench.contract import (
    ENUMS,
    OUTPUT_TABLES,
    ROW_CHECKS,
    RULES,
    TABLES,
    Column,
    Table,
)

#: The shared contract version the document tracks.
SHARED_VERSION = "1.1"
DOC_PATH = Path("docs") / "data-contract.md"
_NOT_YET = "*not yet implemented by this version*"

# --------------------------------------------------- v1.1 parts not implemented yet
#: Enum codes v1.1 adds that no analysis emits yet.
PLANNED_CODES: dict[str, tuple[str, ...]] = {
    "analysis": ("marketing",),
    "entity_type": ("message", "request"),
}
#: A `price_disparity` group's amount is the overcharge attributable to that group
#: alone (v1.1). Set True when the pricing analysis writes attributable amounts; the
#: document then drops its "not yet implemented" marks on group amounts.
GROUP_AMOUNTS_IMPLEMENTED = True
_MSG_CHANNELS = "`sms`, `app_push`, `email`, `wechat`, `call`"
#: The optional marketing and personal-information tables of v1.1.
PLANNED_TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "marketing_messages",
            (
                Column("message_id", "str"),
                Column("subsidiary_id", "str", fk="subsidiaries.subsidiary_id", note="the sender"),
                Column("customer_id", "str", fk="customers.customer_id", note="the recipient"),
                Column("channel", "enum", note=_MSG_CHANNELS
                       + " (`call` = outbound telemarketing; content = script)"),
                Column("sent_at", "datetime"),
                Column("purpose", "enum",
                       note="`marketing`, `service`, `transaction` — the sender's own label"),
                Column("content", "str", note="the text as sent (Chinese), incl. signature and"
                       " opt-out line"),
            ),
            primary_key=("message_id",),
            doc="every commercial or service message sent to a person",
        ),
        Table(
            "consents",
            (
                Column("consent_id", "str"),
                Column("customer_id", "str", fk="customers.customer_id"),
                Column("subsidiary_id", "str", nullable=True, fk="subsidiaries.subsidiary_id",
                       note="null = the whole group"),
                Column("purpose", "enum", note="`marketing`, `profiling` (personalised"
                       " recommendation/pricing), `sharing` (to another group company or third"
                       " party), `sensitive`"),
                Column("channel", "enum", nullable=True,
                       note="as in marketing_messages; null = every channel"),
                Column("granted_at", "datetime"),
                Column("withdrawn_at", "datetime", nullable=True, note="null = still in force"),
            ),
            primary_key=("consent_id",),
            doc="permission to use personal information for a purpose",
        ),
        Table(
            "privacy_requests",
            (
                Column("request_id", "str"),
                Column("customer_id", "str", nullable=True, fk="customers.customer_id",
                       note="null when the requester could not be matched"),
                Column("subsidiary_id", "str", fk="subsidiaries.subsidiary_id",
                       note="who received it"),
                Column("kind", "enum", note="`access`, `copy`, `correct`, `delete`,"
                       " `withdraw_consent`, `explain`, `cancel_account`, `port`"),
                Column("received_at", "datetime"),
                Column("completed_at", "datetime", nullable=True, note="null = not completed"),
                Column("outcome", "enum", note="`done`, `refused`, `pending`"),
                Column("refusal_reason", "str", nullable=True,
                       note="required when `outcome` is `refused` (PIPL art. 50)"),
            ),
            primary_key=("request_id",),
            doc="a person exercising rights under PIPL arts. 44–50",
        ),
    )
}
#: The marketing analysis's rule codes: (code, entity_type, what it flags).
PLANNED_RULES: tuple[tuple[str, str, str], ...] = (
    ("ad_unlabelled", "message", "a commercial message that does not identify itself as an"
     " advertisement (e.g. 【广告】)"),
    ("absolute_term", "message", "a commercial message using terms such as 国家级、最高级、最佳"
     " (Advertising Law art. 9)"),
    ("no_opt_out", "message", "a commercial SMS/push/email/WeChat message that tells no way to"
     " refuse further messages"),
    ("marketing_without_consent", "message", "a commercial message sent with no consent in"
     " force (incl. after withdrawal)"),
    ("privacy_request_overdue", "request", "a request not completed within the limit (or"
     " still open past it at the end of P)"),
    ("refusal_without_reason", "request", "a refused request with no reason given"),
)

# ------------------------------------------------------------------------- prose
_GROUP_AMOUNTS_ITEM = "" if GROUP_AMOUNTS_IMPLEMENTED else """\
- **Group amounts.** A `price_disparity` group's `amount_cny` is the overcharge on
  all its members' orders of P (as v1 defined it), not the part attributable to
  that group alone. It is labelled `overcharge` and, as v1.1 says, is a breakdown
  never added to a total.
"""

_GROUP_AMOUNTS_DONE = (" and group amounts\n(a `price_disparity` group's amount is the overcharge"
                       " attributable to it\nalone)" if GROUP_AMOUNTS_IMPLEMENTED else "")

_HEAD = f"""\
<!-- Generated by `make contract-doc` (python -m workbench._contract_doc) from
     workbench/contract.py and the prose in workbench/_contract_doc.py.
     Do not edit by hand: tests/test_contract.py fails when this file is stale. -->

# Data contract (v{SHARED_VERSION})

What the workbench reads and what it writes. Every analysis, notebook, report and
test speaks this contract. Extend it (new optional columns, new tables) when an
analysis needs more, and document the extension in the project; never rename or
drop what is here. v1.1 adds: money kinds and group amounts (findings), the
optional marketing and personal-information tables, and the freshness rule.

This file is the group's shared data contract v{SHARED_VERSION} as this version of
the workbench states it in code (`workbench/contract.py`, from which the tables,
enums and rule codes below are generated). The workbench's own extensions (extra
Chinese labels, keys, row checks, the `dormant_top_tier` rule) are marked
*extension* and explained in [data-contract-extensions.md](data-contract-extensions.md).

## Not yet implemented by this version

This version implements contract v1 in full, and of v1.1 the money kinds
(`amount_kind` on every finding with money, totals per kind, each thing counted
once){_GROUP_AMOUNTS_DONE} and freshness (`workbench report` refuses a period that
has not ended and a source that does not reach it, per table an analysis reads:
`workbench/freshness.py`). Of v1.1 it does **not** implement yet:

{_GROUP_AMOUNTS_ITEM}- **Marketing and personal-information tables** (`marketing_messages`,
  `consents`, `privacy_requests`): the loader neither reads nor checks them. The
  marketing analysis, its rule codes, the analysis code `marketing`, the entity
  types `message` and `request`, and the `marketing` notebook and report do not
  exist yet.

Each of these is also marked {_NOT_YET} where the contract below defines it.
"""

_SOURCES = """\
## Where data comes from

A **source** is either

- a directory holding one file per table, `<table>.parquet` or `<table>.csv`
  (UTF-8, header row), e.g. `data/samples/`; or
- a database URI (`postgresql://…`, `sqlite:///…`, `duckdb:///…`) whose schema
  holds tables of the same names.

Timestamps without a zone are Asia/Shanghai local time. Money is CNY. Ids are
strings. Enum values are the lowercase English codes below; where a Chinese
label is listed, the loader also accepts it and maps it to the code.

A table that is missing, a required column that is missing, a value of the wrong
type, an unknown enum value, a duplicate primary key or a dangling foreign key is
**bad input**: the loader stops with one error that names the table, the column,
how many rows fail and the first few offending keys. It never guesses, never
drops rows silently, and never writes a partial report.
"""

_DEFINITIONS = """\
## Definitions every analysis shares

So that two correct implementations agree:

- **Period.** A report for period P (`2026-Q3` = 2026-07-01 00:00 to
  2026-09-30 24:00, Asia/Shanghai) judges the events of P — orders ordered,
  grants granted, complaints received in P — and states as of the end of P
  (tiers, eligibility, registry, open complaints). Rows dated after the end of
  P may be present in a source; no analysis may use them (no look-ahead).
- **Freshness (v1.1).** A report is only for a period that has
  ended (in Asia/Shanghai). A source is *fresh* for P when its orders and its
  complaints reach the end of P (latest row no earlier than the end of P less a
  tolerance; 7 days by default) and its latest registry extract is no earlier
  than the end of P less 31 days (tolerances are parameters). A source that is
  not fresh is bad input: the run stops and publishes nothing, naming the
  table, its latest date and the date it needed.
- **Spend and tenure.** Trailing-12-month spend = Σ(charged_price × quantity −
  coupon_cny) over orders in the 12 calendar months ending with P; tenure =
  whole calendar months from signup_date to the end of P. A customer meeting
  no tier's minimums is eligible for the lowest-ranked tier.
- **Tier history.** Every re-evaluation writes a row, even when the tier is
  unchanged. The current tier is the latest row at or before the moment in
  question (ties: the later row in the file). `stale_tier` uses the current
  tier's `review_cycle_days`. A reason that is null or blank is missing.
- **Published schedule.** A benefit is published for a tier when
  `tier_benefits` has a row for that tier and type with `published = true`; a
  grant is judged against the tier the customer held when it was granted.
- **Explained price.** list_price × (1 − the published `discount_pct` benefit
  value/100 of the tier held at order time, 0 if none) × (1 − promotion
  `discount_pct`/100, when `promo_id` names a public promotion valid for that
  sku, time and tier; windows include both ends). Discounts multiply. Prices
  are rounded to cents, so compare with a tolerance (a parameter; 0.5% by
  default).
- **Audit attributes** (group names in findings): `gender`, `age_band` (from
  birth_year), `province` (the customer's), `customer_type`, `subsidiary_id`,
  `tier`, `tenure_band`, and for orders `device_os` and `channel`. Band labels
  show their bounds (`tenure_band=36m+`, `age_band=25-34`). Intersections join
  attributes in alphabetical order with `&`. Disparity findings are one-sided:
  a group is flagged for being treated worse, never better.
- **Complaint record.** `complaint_events` are the service record; the
  timestamp columns of `complaints` summarise them and must agree with them.
  `accepted_at` holds the accept-or-reject decision. Default SLA policy, judged
  by the policy in force when the complaint was received: acknowledge within
  24 h (critical, high), 48 h (medium), 72 h (low); decide acceptance within 7
  working days, the day of receipt not counted, on China's official calendar
  with its make-up workdays; no gap over 3 calendar days without an event
  while open; resolve within 15 calendar days (72 h for critical);
  `waiting_customer` … `resumed` pauses the resolution clock. A complaint
  still open at the end of P whose limit has passed is breached; one whose
  limit has not passed is still running (censored), not breached.
- **Registry.** Knock-out = status `revoked` or `cancelled`, or on the
  serious-illegal list, at the latest extract at or before the end of P.
  `registry_change` compares that extract with the one before it (status,
  abnormal-list and serious-illegal-list membership). After 30 June of year Y
  the annual report for Y−1 must be filed; an active enterprise whose
  `last_annual_report_year` is null or earlier is overdue. A USCC is valid
  when its structure and both check characters (GB 32100 final character and
  the embedded GB 11714 organisation code) hold.
- **Credit default.** Observation date T0 = the end of P minus 12 months.
  Features are computed from data on or before T0; the label is 1 when any
  receivable due in (T0, end of P] was paid more than 90 days after its due
  date, or is still unpaid 90 days after it. The fitted model then scores
  every enterprise on features as of the end of P.
- **CSV.** UTF-8, header row, ISO 8601 dates and datetimes, `true`/`false`,
  empty = null. Ids, codes, provinces and USCCs are strings even when they
  look numeric (`"31"`, not `31`).
- **finding_id** = the first 16 hex characters of SHA-256 over
  `analysis|rule|entity_type|entity_id|period`.
"""

_INPUTS = """\
## Input tables

`pk` = primary key, `fk→t` = must exist in table t, `?` = nullable. Bounds
(`≥ 0`, `> 0`), defaults for a missing column and row checks are enforced by the
loader; a row that breaks one is bad input. Chinese labels in parentheses are
accepted in place of the code; apart from the registry `status` labels, which are
the contract's, they are a workbench *extension*.
"""

_AFTER: dict[str, str] = {
    "tier_policy": "A customer is *eligible* for the highest-ranked tier whose three"
    " minimums it meets.",
    "findings": """\
For `entity_type` `enterprise` the id is the uscc as given; for `group` it is
`attribute=value`, joined with `&` for intersections (`gender=f&province=31`);
for `policy` it is the tier. For a group, `amount_cny` is the money its members
lost (overcharge, withheld benefit).""",
}

_MARKETING = f"""\
### Marketing and personal-information tables (v1.1, optional; {_NOT_YET})

A source may lack all three; then the marketing analysis is reported as *not
evaluated* (no findings, said plainly in the report and on the dashboard), not
as bad input. A source that has one of them must have all three. This version
does not read them: a source holding them is judged on the other tables only.
"""

_MARKETING_AFTER = """\
Definitions: a message is *commercial* when `purpose` is `marketing`, or when
its content advertises goods, services or promotions whatever its label (a
service label does not make an advertisement a service message). Consent for a
message is a `marketing` consent of that customer, for the sender (or the whole
group) and that channel (or every channel), granted at or before `sent_at` and
not withdrawn by then. Privacy requests are due within a limit set by policy as
data (default 15 working days from receipt on the official calendar, like the
complaint clocks).
"""

_OUTPUTS = """\
## Outputs

A report run for a period writes one folder, published all at once (never half):

```
reports/<period>/            e.g. reports/2026-Q3/
  manifest.json              what ran: parameters, input file hashes, package
                             versions, code version, output hashes, the previous
                             run's manifest hash
  findings.parquet           every finding of every analysis (schema below)
  findings.csv               the same, for spreadsheets
  credit_grades.parquet      one row per enterprise customer
  <analysis>.ipynb           executed notebook (tiering, pricing, sla, credit;
                             marketing: not yet implemented by this version)
  <analysis>.html            the same as a report with no code
  dashboard.html             the executive dashboard, one self-contained file
```

The workbench adds `metrics.json`, the remediation worklists (see the README) and
`refunds.parquet`: the per-customer refund list of the overcharge (customer_id,
subsidiary_id, orders, excess_cny, attributed_cny, groups; pricing analysis).
"""

_GROUP_NOT_YET = "" if GROUP_AMOUNTS_IMPLEMENTED else f"""
Group amounts attributable to one group alone are {_NOT_YET} (see above)."""

_MONEY_KINDS = f"""\
**Money kinds (v1.1).** `amount_kind` is one of
- `overcharge` — what customers paid above what published prices, tier
  discounts and public promotions explain (refundable to them);
- `benefit` — the value of benefits granted outside the published schedule;
- `discount` — the value of discounts given through unannounced promotions;
- `exposure` — money an enterprise customer owes the company at the end of P
  (credit exposure, not a loss).

Money of different kinds is never added up: every total, in a report, the
dashboard or a worklist, is per kind. Within a kind the same money is counted
once: an enterprise with three registry alerts contributes its exposure once to
a total. A `price_disparity` group's amount is the overcharge **attributable to
that group alone**: the group's own estimated premium applied to its members'
orders of P, net of the premiums of every other flagged group (an order of a
member of two flagged groups gives each group its own part). The order-level
`unexplained_premium` amounts are the same overcharge seen order by order, so a
total of overcharge takes the orders (each order once); the group amounts break
that total down by cause and are never added to it.{_GROUP_NOT_YET}
"""

_TOTALS = """\
**How totals are counted.** `make_findings` (`workbench/findings.py`) fills
`amount_kind` from the rule and refuses an amount on a rule that carries no
money, a kind that is not the rule's, a kind without an amount and a negative
amount; findings read back are checked the same way. Every total (report
summaries, `metrics.json`, the dashboard and its league table, the worklists) is
computed by `workbench/money.py`: per kind, only over the rules marked *in total*
below, each (`amount_kind`, `entity_type`, `entity_id`) once — the largest
amount when findings on one thing disagree, never their sum. A *breakdown*
rule's amount is shown with its kind and marked as a breakdown, never added to a
total. Discounts given through unannounced promotions are money customers
received: reports show them as a kind of their own, not as money at stake.

| rule | amount_kind | counted |
|---|---|---|
"""


# ---------------------------------------------------------------------- rendering
def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _codes(enum: str) -> str:
    parts = []
    for code, labels in ENUMS[enum].items():
        parts.append(f"`{code}` ({'/'.join(labels)})" if labels else f"`{code}`")
    parts += [f"`{code}` (v1.1; {_NOT_YET})" for code in PLANNED_CODES.get(enum, ())]
    return ", ".join(parts)


def _type(table: Table, col: Column) -> str:
    out = col.kind + ("?" if col.nullable else "")
    if table.primary_key == (col.name,):
        out += " pk"
    if col.fk:
        out += f" fk→{col.fk.split('.')[0]}"
    return out


def _notes(table: Table, col: Column) -> str:
    parts = [_codes(col.enum)] if col.enum else []
    parts += [col.note] if col.note else []
    if col.min_value is not None:
        bound = int(col.min_value) if float(col.min_value).is_integer() else col.min_value
        parts.append(f"{'>' if col.min_exclusive else '≥'} {bound}")
    if col.default is not None:
        parts.append(f"default {col.default:g}" if isinstance(col.default, float)
                     else f"default {col.default}")
    parts += [
        f"row check: {reason}" for t, c, _, reason in ROW_CHECKS
        if t == table.name and c == col.name
    ]
    return "; ".join(parts)


def _key_line(table: Table) -> str:
    if len(table.primary_key) > 1:
        cols = ", ".join(f"`{c}`" for c in table.primary_key)
        return f"Primary key: ({cols}) (*extension*: the contract says one row per key)."
    if not table.primary_key and table.example_key:
        cols = ", ".join(f"`{c}`" for c in table.example_key)
        return f"No primary key; errors name offending rows by ({cols})."
    return ""


def _table(table: Table, level: str = "###") -> str:
    head = f"{level} {table.name}" + (f" — {table.doc}" if table.doc else "")
    lines = [head, "| column | type | notes |", "|---|---|---|"]
    lines += [
        f"| {c.name} | {_cell(_type(table, c))} | {_cell(_notes(table, c))} |"
        for c in table.columns
    ]
    tail = [x for x in (_key_line(table), _AFTER.get(table.name, "")) if x]
    return "\n".join(lines) + "".join(f"\n\n{t}" for t in tail) + "\n"


def _money_rules() -> str:
    rows = [
        f"| `{r.code}` | `{r.amount_kind}` | {'in total' if r.in_total else 'breakdown'} |"
        for r in RULES.values() if r.amount_kind
    ]
    return _TOTALS + "\n".join(rows) + "\n\nEvery other rule carries no money.\n"


def _money(code: str) -> str:
    rule = RULES[code]
    if rule.amount_kind is None:
        return "—"
    return f"`{rule.amount_kind}`" + ("" if rule.in_total else " (breakdown)")


def _rules() -> str:
    lines = [
        "### rule codes (the minimum; add more)",
        "",
        "Each finding's `detail` carries the rule's legal basis (`legal_basis`).",
        "",
        "| analysis | rule | entity_type | title | legal basis | money |",
        "|---|---|---|---|---|---|",
    ]
    for r in RULES.values():
        ext = " (*extension*)" if r.extension else ""
        lines.append(
            f"| {r.analysis} | `{r.code}`{ext} | {r.entity_type} | "
            f"{_cell(r.title_en)} / {_cell(r.title_zh)} | {_cell(r.legal_basis)} | "
            f"{_money(r.code)} |"
        )
    for code, entity, what in PLANNED_RULES:
        lines.append(
            f"| marketing | `{code}` | {entity} | {_cell(what)} | v1.1; {_NOT_YET} | — |")
    return "\n".join(lines) + "\n"


def render() -> str:
    """The whole text of ``docs/data-contract.md``, generated from the code.

    Returns
    -------
    str
        Markdown, ending with a newline.
    """
    parts = [_HEAD, _SOURCES, _DEFINITIONS, _INPUTS]
    parts += [_table(t) for t in TABLES.values()]
    parts += [_MARKETING]
    parts += [_table(t, level="####") for t in PLANNED_TABLES.values()]
    parts += [_MARKETING_AFTER, _OUTPUTS]
    parts += [_table(OUTPUT_TABLES["findings"]), _MONEY_KINDS, _money_rules()]
    parts += [_table(OUTPUT_TABLES["credit_grades"]), _rules()]
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or with ``--check`` only compare) the contract document.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments; ``sys.argv[1:]`` when omitted.

    Returns
    -------
    int
        0 when the file was written or is up to date, 1 when ``--check`` finds it
        stale.
    """
    parser = argparse.ArgumentParser(prog="python -m workbench._contract_doc",
                                     description="write docs/data-contract.md from the code")
    parser.add_argument("--out", type=Path, default=DOC_PATH, help="default: %(default)s")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 when the file differs from the code")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.is_file() else None
        if current != text:
            print(f"{args.out} is out of date: run `make contract-doc`", file=sys.stderr)
            return 1
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
