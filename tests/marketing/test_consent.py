"""Consent at the moment of sending: the contract's edges, and agreement with the
definition applied literally on random data (a loop over every consent)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from tests.marketing.conftest import T, consent, frames
from workbench.marketing import consent_at_send, merged_consents

END = T(2026, 10, 1)
SENT = T(2026, 8, 1, 10)


def state(consents: list[dict], *, sent: dt.datetime = SENT, customer: str = "C1",
          sub: str = "S1", channel: str = "sms") -> dict:
    msgs = pl.DataFrame({"message_id": ["M1"], "customer_id": [customer], "subsidiary_id": [sub],
                         "channel": [channel], "sent_at": [sent]})
    lf = frames(consents=consents)["consents"]
    return consent_at_send(msgs, lf, END).row(0, named=True)


def test_granted_exactly_at_sent_at_covers() -> None:
    assert state([consent("K1", granted=SENT)])["consent_state"] == "in_force"
    assert state([consent("K1", granted=SENT + dt.timedelta(microseconds=1))])[
        "consent_state"] == "none"


def test_withdrawn_exactly_at_sent_at_does_not_cover_and_says_when() -> None:
    got = state([consent("K1", withdrawn=SENT)])
    assert got["consent_state"] == "withdrawn"
    assert got["withdrawn_at"] == SENT and got["withdrawn_consent_id"] == "K1"
    one_after = state([consent("K1", withdrawn=SENT + dt.timedelta(seconds=1))])
    assert one_after["consent_state"] == "in_force" and one_after["withdrawn_at"] is None


def test_group_wide_and_sender_consents() -> None:
    assert state([consent("K1", sub=None)])["consent_state"] == "in_force"  # the whole group
    assert state([consent("K1", sub="S1")])["consent_state"] == "in_force"
    assert state([consent("K1", sub="S2")])["consent_state"] == "none"  # another sender's
    got = state([consent("K1", sub="S2"), consent("K2", sub=None)])
    assert (got["consent_state"], got["consent_scope_subsidiary"]) == ("in_force", "*")


def test_channel_null_is_every_channel() -> None:
    assert state([consent("K1", channel=None)], channel="wechat")["consent_state"] == "in_force"
    assert state([consent("K1", channel="sms")], channel="sms")["consent_state"] == "in_force"
    assert state([consent("K1", channel="sms")], channel="email")["consent_state"] == "none"
    got = state([consent("K1", sub="S1", channel="sms")], channel="sms")
    assert (got["consent_scope_subsidiary"], got["consent_scope_channel"]) == ("S1", "sms")


def test_other_purposes_and_other_customers_do_not_count() -> None:
    assert state([consent("K1", purpose="profiling")])["consent_state"] == "none"
    assert state([consent("K1", customer="C2")])["consent_state"] == "none"


def test_an_earlier_consent_still_in_force_is_not_hidden_by_a_later_withdrawn_one() -> None:
    got = state([consent("K1", granted=T(2026, 1, 1)),
                 consent("K2", granted=T(2026, 6, 1), withdrawn=T(2026, 7, 1))])
    assert got["consent_state"] == "in_force"


def test_a_withdrawal_then_a_new_consent() -> None:
    ks = [consent("K1", granted=T(2026, 1, 1), withdrawn=T(2026, 7, 1)),
          consent("K2", granted=T(2026, 9, 1))]
    assert state(ks, sent=T(2026, 8, 1))["consent_state"] == "withdrawn"
    assert state(ks, sent=T(2026, 9, 2))["consent_state"] == "in_force"
    assert state(ks, sent=T(2026, 6, 1))["consent_state"] == "in_force"


def test_the_latest_withdrawal_is_named_across_scopes() -> None:
    got = state([consent("K1", sub="S1", withdrawn=T(2026, 5, 1)),
                 consent("K2", sub=None, withdrawn=T(2026, 6, 1)),
                 consent("K3", channel="sms", withdrawn=T(2026, 4, 1))])
    assert (got["consent_state"], got["withdrawn_consent_id"]) == ("withdrawn", "K2")
    assert got["withdrawn_at"] == T(2026, 6, 1)


def test_withdrawals_after_the_period_are_not_known() -> None:
    intervals = merged_consents(frames(consents=[consent("K1", withdrawn=T(2026, 11, 1))])[
        "consents"], END)
    assert intervals["end"].to_list() == [T(9999, 12, 31)]
    assert state([consent("K1", withdrawn=T(2026, 11, 1))])["consent_state"] == "in_force"


def _reference(msgs: pl.DataFrame, cons: pl.DataFrame) -> list[str]:
    """The contract's definition, literally, one message and one consent at a time."""
    out = []
    for m in msgs.iter_rows(named=True):
        covered = withdrawn = False
        for k in cons.iter_rows(named=True):
            if (k["customer_id"] != m["customer_id"] or k["purpose"] != "marketing"
                    or k["subsidiary_id"] not in (None, m["subsidiary_id"])
                    or k["channel"] not in (None, m["channel"])
                    or k["granted_at"] > m["sent_at"] or k["granted_at"] >= END):
                continue
            w = k["withdrawn_at"] if k["withdrawn_at"] and k["withdrawn_at"] < END else None
            if w is None or w > m["sent_at"]:
                covered = True
            else:
                withdrawn = True
        out.append("in_force" if covered else "withdrawn" if withdrawn else "none")
    return out


@pytest.mark.parametrize("seed", range(5))
def test_as_of_joins_agree_with_the_definition_on_random_data(seed: int) -> None:
    rng = np.random.default_rng(seed)
    day = 86_400_000_000
    base = int(T(2026, 6, 1).timestamp() * 1e6)

    def when(n: int, days: int) -> pl.Series:
        # whole days, so that equal moments (grant = send, withdrawal = send) happen often
        return pl.Series((base + rng.integers(0, days, n) * day).astype("datetime64[us]"))

    n_c, n_m = 300, 400
    granted = when(n_c, 150)
    cons = pl.DataFrame({
        "consent_id": [f"K{i}" for i in range(n_c)],
        "customer_id": [f"C{i}" for i in rng.integers(0, 30, n_c)],
        "subsidiary_id": pl.Series(rng.choice(np.array(["S1", "S2", None], dtype=object), n_c)
                                   .tolist(), dtype=pl.String),
        "purpose": rng.choice(["marketing", "marketing", "profiling"], n_c),
        "channel": pl.Series(rng.choice(np.array(["sms", "email", None], dtype=object), n_c)
                             .tolist(), dtype=pl.String),
        "granted_at": granted,
    }).with_columns(withdrawn_at=pl.when(pl.Series(rng.random(n_c) < 0.5)).then(
        pl.col("granted_at") + pl.duration(days=pl.Series(rng.integers(0, 90, n_c)))))
    msgs = pl.DataFrame({
        "message_id": [f"M{i}" for i in range(n_m)],
        "customer_id": [f"C{i}" for i in rng.integers(0, 30, n_m)],
        "subsidiary_id": rng.choice(["S1", "S2"], n_m),
        "channel": rng.choice(["sms", "email", "wechat"], n_m),
        "sent_at": when(n_m, 120),
    })
    got = consent_at_send(msgs, cons.lazy(), END)
    assert got["message_id"].to_list() == msgs["message_id"].to_list()  # rows in their order
    assert got["consent_state"].to_list() == _reference(msgs, cons)
