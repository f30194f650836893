"""The content rules as data: ``content_rules.yaml`` and ``absolute_terms.yaml``.

Both files are read the one way every workbench config is read
(:func:`workbench.config.read_yaml`, :class:`workbench.config.Reader`): a file that
does not follow its schema raises :class:`RulesError` naming the file, the key
(``commercial.signals[2].pattern``) and the problem. Every pattern is compiled by
polars' own regex engine when the file is read, so a bad pattern fails here, with
its key, and never half-way through an analysis.

>>> rules = load_content_rules()
>>> rules.threshold, [s.name for s in rules.signals][:3]
(2, ['discount', 'offer_price', 'coupon'])
>>> lexicon = load_lexicon()
>>> lexicon.terms[0].name, lexicon.terms[0].why
('named_in_law', '《广告法》第九条第（三）项')
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from workbench.config import ConfigError, Reader, read_yaml
from workbench.contract import enum_codes

__all__ = [
    "CONTENT_RULES_PATH",
    "LEXICON_PATH",
    "AdLabel",
    "ContentRules",
    "Lexicon",
    "Pattern",
    "RulesError",
    "load_content_rules",
    "load_lexicon",
]

CONTENT_RULES_PATH = Path(__file__).with_name("content_rules.yaml")
LEXICON_PATH = Path(__file__).with_name("absolute_terms.yaml")
SCHEMA_VERSION = 1
DERIVED = ("ad_label", "opt_out", "absolute_term")
WHERE = ("start", "end")
MSG_BAD_PATTERN = "not a valid pattern ({problem})"
#: A pattern that matches nothing (the regex engine has no look-around).
NEVER = r"[^\s\S]"


class RulesError(ConfigError):
    """A content-rules or lexicon file that does not follow its schema."""


@dataclass(frozen=True)
class Pattern:
    """One named pattern: its regex, its weight (signals) and why it exists (for a
    lexicon entry: its source).
    """

    name: str
    pattern: str
    why: str
    weight: int = 0
    where: tuple[str, ...] = ()


@dataclass(frozen=True)
class AdLabel:
    """Accepted advertisement labels and where in the text they count."""

    channels: tuple[str, ...]
    markers: tuple[Pattern, ...]
    signature: str
    max_signatures: int
    tail_chars: int

    def _markers(self, where: str) -> str:
        return alternation(m.pattern for m in self.markers if where in m.where)

    @property
    def anywhere(self) -> str:
        """Any marker anywhere in the text (the sender's own label, prominent or not)."""
        return alternation(m.pattern for m in self.markers)

    @property
    def at_start(self) -> str:
        """A marker opening the text, after at most ``max_signatures`` signatures."""
        return (rf"^\s*(?:(?:{self.signature})\s*){{0,{self.max_signatures}}}"
                rf"(?:{self._markers('start')})")

    @property
    def at_end(self) -> str:
        """A marker closing the text, or followed only by a short tail (an opt-out line)."""
        return rf"(?:{self._markers('end')})[^。！？!?]{{0,{self.tail_chars}}}$"


@dataclass(frozen=True)
class ContentRules:
    """``content_rules.yaml``: commercial signals, ad labels and opt-out wordings."""

    source: str
    threshold: int
    neutral: tuple[Pattern, ...]
    signals: tuple[Pattern, ...]
    derived: Mapping[str, int]
    ad_label: AdLabel
    opt_out_channels: tuple[str, ...]
    opt_out: tuple[Pattern, ...]


@dataclass(frozen=True)
class Lexicon:
    """``absolute_terms.yaml``: the terms, their exceptions and the company's own names."""

    source: str
    terms: tuple[Pattern, ...]
    exceptions: tuple[Pattern, ...]
    names: tuple[str, ...]

    @property
    def masked(self) -> str:
        """Everything blanked out before the terms are searched."""
        return alternation([*(e.pattern for e in self.exceptions),
                            *(re.escape(n) for n in self.names)])

    @property
    def any_term(self) -> str:
        """Any term of the lexicon."""
        return alternation(t.pattern for t in self.terms)


def alternation(patterns: Sequence[str] | Any) -> str:
    """``(?:a)|(?:b)…`` — one regex for several, each kept whole."""
    parts = [f"(?:{p})" for p in patterns]
    return "|".join(parts) if parts else NEVER


# ------------------------------------------------------------------ reading
class _RulesReader(Reader):
    """Reads the two files; every failure is a :class:`RulesError` naming the key."""

    def regex(self, doc: Any, name: str | int, parent: str) -> str:
        """A pattern polars can compile."""
        text = self.string(doc, name, parent)
        key = f"{parent}.{name}" if isinstance(name, str) else f"{parent}[{name}]"
        try:
            pl.Series([""], dtype=pl.String).str.contains(text)
        except pl.exceptions.PolarsError as exc:
            problem = " ".join(str(exc).split())[:160]
            raise self.fail(key, MSG_BAD_PATTERN.format(problem=problem)) from None
        return text

    def patterns(self, value: Any, key: str, *, weighted: bool = False,
                 placed: bool = False, why: str = "why") -> tuple[Pattern, ...]:
        """A non-empty list of named patterns with their reason (and weight or places)."""
        items = self.list(value, key, min_len=1)
        out: list[Pattern] = []
        names: set[str] = set()
        for i, item in enumerate(items):
            k = f"{key}[{i}]"
            required = ["name", "pattern", why, *(["weight"] if weighted else []),
                        *(["where"] if placed else [])]
            data = self.mapping(item, k, required=required, optional=())
            name = self.string(data, "name", k)
            if name in names:
                raise self.fail(f"{k}.name", f"{name!r} is used more than once")
            names.add(name)
            weight = self.integer(data, "weight", k, minimum=1) if weighted else 0
            where: tuple[str, ...] = ()
            if placed:
                spots = self.list(data["where"], f"{k}.where", min_len=1)
                where = tuple(self.choice(spots, j, WHERE, f"{k}.where")
                              for j in range(len(spots)))
            out.append(Pattern(name, self.regex(data, "pattern", k), self.string(data, why, k),
                               weight, where))
        return tuple(out)

    def channels(self, value: Any, key: str) -> tuple[str, ...]:
        """A list of message channels (contract enum ``message_channel``)."""
        items = self.list(value, key, min_len=1)
        codes = enum_codes("message_channel")
        return tuple(self.choice(items, i, codes, key) for i in range(len(items)))

    def schema(self, doc: Any, sections: Sequence[str],
               optional: Sequence[str] = ()) -> Mapping[str, Any]:
        """The top level: ``schema_version`` and the sections."""
        data = self.mapping(doc, required=("schema_version", *sections), optional=optional)
        if data["schema_version"] != SCHEMA_VERSION:
            raise self.fail("schema_version", f"{data['schema_version']!r} is not supported "
                            f"(expected {SCHEMA_VERSION})")
        return data

    def commercial(self, value: Any) -> tuple[int, tuple[Pattern, ...], tuple[Pattern, ...],
                                              dict[str, int]]:
        """The ``commercial`` section."""
        data = self.mapping(value, "commercial",
                            required=("threshold", "neutral", "derived", "signals"), optional=())
        threshold = self.integer(data, "threshold", "commercial", minimum=1)
        derived_doc = self.mapping(data["derived"], "commercial.derived", optional=DERIVED)
        derived = {k: self.integer(derived_doc, k, "commercial.derived", minimum=0)
                   for k in derived_doc}
        return (threshold, self.patterns(data["neutral"], "commercial.neutral"),
                self.patterns(data["signals"], "commercial.signals", weighted=True), derived)

    def ad_label(self, value: Any) -> AdLabel:
        """The ``ad_label`` section."""
        key = "ad_label"
        data = self.mapping(value, key, required=("channels", "max_signatures", "tail_chars",
                                                  "markers", "signature"), optional=())
        return AdLabel(
            channels=self.channels(data["channels"], f"{key}.channels"),
            markers=self.patterns(data["markers"], f"{key}.markers", placed=True),
            signature=self.regex(data, "signature", key),
            max_signatures=self.integer(data, "max_signatures", key, minimum=0),
            tail_chars=self.integer(data, "tail_chars", key, minimum=0),
        )


def load_content_rules(path: str | Path | None = None) -> ContentRules:
    """Read ``content_rules.yaml`` (the packaged file when ``path`` is None or empty).

    Raises :class:`RulesError` naming the file, the key and the problem.
    """
    doc, where = read_yaml(path, what="content rules", package="workbench.marketing",
                           default_name=CONTENT_RULES_PATH.name, error=RulesError)
    r = _RulesReader("content rules", where, RulesError)
    data = r.schema(doc, ("commercial", "ad_label", "opt_out"))
    threshold, neutral, signals, derived = r.commercial(data["commercial"])
    opt = r.mapping(data["opt_out"], "opt_out", required=("channels", "patterns"), optional=())
    return ContentRules(
        source=where, threshold=threshold, neutral=neutral, signals=signals, derived=derived,
        ad_label=r.ad_label(data["ad_label"]),
        opt_out_channels=r.channels(opt["channels"], "opt_out.channels"),
        opt_out=r.patterns(opt["patterns"], "opt_out.patterns"),
    )


def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """Read ``absolute_terms.yaml`` (the packaged file when ``path`` is None or empty).

    Raises :class:`RulesError` naming the file, the key and the problem.
    """
    doc, where = read_yaml(path, what="absolute-terms lexicon", package="workbench.marketing",
                           default_name=LEXICON_PATH.name, error=RulesError)
    r = _RulesReader("absolute-terms lexicon", where, RulesError)
    data = r.schema(doc, ("terms", "exceptions"), optional=("names",))
    raw_names = r.list(data.get("names") or [], "names")
    names = tuple(r.string(raw_names, i, "names") for i in range(len(raw_names)))
    return Lexicon(
        source=where,
        terms=r.patterns(data["terms"], "terms", why="source"),
        exceptions=r.patterns(data["exceptions"], "exceptions", why="source"),
        names=names,
    )
