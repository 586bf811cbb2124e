"""The rule catalog: every coverage rule of RULES.md, loaded from ``catalog.yaml`` and validated.

The catalog is data (``planning/rules/catalog.yaml``); this module reads it, checks it with
pydantic at load (ids unique and well formed, parameter defaults inside their ranges, facility
kinds and area levels from the closed vocabularies) and resolves user parameter values against the
allowed ranges.

Examples
--------
>>> from planning.rules.catalog import load_catalog
>>> catalog = load_catalog()
>>> catalog["HC-06"].param("radius_km").default
15.0
>>> resolved = catalog.resolve_params({"HC-06": {"radius_km": 12}})
>>> resolved.value("HC-06", "radius_km"), resolved.modified
(12.0, frozenset())
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from planning._errors import InputError, RuleParameterError
from planning.schema import FacilityKind

__all__ = [
    "LEVELS",
    "Param",
    "Source",
    "Document",
    "Rule",
    "Catalog",
    "ResolvedParams",
    "load_catalog",
    "parse_param_assignments",
]

#: Area levels a rule can be reported for (``facility`` = one row per facility checked).
LEVELS: tuple[str, ...] = ("village", "community", "facility", "township", "county", "province")

_ID = re.compile(r"^(HC|EM|LC|ED|SA)-\d{2}$")
_SEED = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")


def _seed_file(value: str) -> str:
    if not _SEED.match(value):
        raise ValueError(f"source file {value!r} is not a seed file name like '002_ee0bcdb902c06622.txt'")
    return value


def _duplicates(values: list[str]) -> list[str]:
    """Values occurring more than once, sorted."""
    return sorted({v for v in values if values.count(v) > 1})


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Param(_Strict):
    """One parameter of a rule: default, unit and the allowed range (inclusive)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    default: float
    unit: str
    min: float
    max: float
    description_zh: str
    description_en: str

    @model_validator(mode="after")
    def _default_in_range(self) -> Param:
        if not self.min <= self.max:
            raise ValueError(f"parameter {self.name}: min {self.min} > max {self.max}")
        if not self.min <= self.default <= self.max:
            raise ValueError(f"parameter {self.name}: default {self.default} outside [{self.min}, {self.max}]")
        return self


class Source(_Strict):
    """A source document (seed file name) and the clause in it."""

    file: str
    clause: str

    @field_validator("file")
    @classmethod
    def _seed_name(cls, value: str) -> str:
        return _seed_file(value)

    def __str__(self) -> str:
        return f"{self.file} {self.clause}"


class Document(_Strict):
    """A document of a seed file, as a planner cites it.

    ``clauses`` lists the source clauses (of the rules) that lie in this document; empty means
    every clause of the file (a seed file holding one document). ``quote`` is text of the seed
    file that names the document, verbatim, so the title can be checked against the file.
    """

    file: str
    title_zh: str
    title_en: str
    quote: str
    clauses: tuple[str, ...] = ()

    @field_validator("file")
    @classmethod
    def _seed_name(cls, value: str) -> str:
        return _seed_file(value)

    def covers(self, source: Source) -> bool:
        """Whether ``source`` (file and clause) lies in this document."""
        return source.file == self.file and (not self.clauses or source.clause in self.clauses)

    def title(self, lang: str = "zh") -> str:
        """Title in ``"zh"`` or ``"en"``."""
        return self.title_zh if lang == "zh" else self.title_en


class Rule(_Strict):
    """One rule of the catalog (see ``catalog.yaml`` for the meaning of each field)."""

    id: str
    family: str
    title_zh: str
    title_en: str
    source_text_zh: str
    sources: tuple[Source, ...] = Field(min_length=1)
    kinds: tuple[FacilityKind, ...]
    demand: str
    levels: tuple[str, ...] = Field(min_length=1)
    metric: str
    params: tuple[Param, ...] = ()
    measured_en: str
    measured_zh: str

    @field_validator("id")
    @classmethod
    def _id_form(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(f"rule id {value!r} is not of the form HC-01 / EM-01 / LC-01 / ED-01 / SA-01")
        return value

    @field_validator("levels")
    @classmethod
    def _known_levels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [v for v in value if v not in LEVELS]
        if bad:
            raise ValueError(f"unknown levels {bad}; allowed: {', '.join(LEVELS)}")
        return value

    @model_validator(mode="after")
    def _unique_params(self) -> Rule:
        dup = _duplicates([p.name for p in self.params])
        if dup:
            raise ValueError(f"rule {self.id}: duplicate parameters {dup}")
        return self

    @property
    def source(self) -> str:
        """All sources as one string: ``"002_ee0bcdb902c06622.txt §(一)1; …"``."""
        return "; ".join(str(s) for s in self.sources)

    def param(self, name: str) -> Param:
        """The parameter called ``name``; raises :class:`RuleParameterError` when unknown."""
        for p in self.params:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.params) or "none"
        raise RuleParameterError(f"rule {self.id} has no parameter {name!r}; its parameters: {known}")

    def title(self, lang: str = "zh") -> str:
        """Title in ``"zh"`` or ``"en"``."""
        return self.title_zh if lang == "zh" else self.title_en


class _CatalogFile(_Strict):
    version: int
    documents: tuple[Document, ...] = Field(min_length=1)
    rules: tuple[Rule, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> _CatalogFile:
        dup = _duplicates([r.id for r in self.rules])
        if dup:
            raise ValueError(f"duplicate rule ids {dup}")
        return self

    @model_validator(mode="after")
    def _sources_in_one_document(self) -> _CatalogFile:
        problems = []
        for rule in self.rules:
            for source in rule.sources:
                n = sum(d.covers(source) for d in self.documents)
                if n != 1:
                    where = "no document" if n == 0 else f"{n} documents"
                    problems.append(f"rule {rule.id}: source '{source}' lies in {where} of the documents list; "
                                    "give its file one document, or list the clause under exactly one")
        if problems:
            raise ValueError("; ".join(problems))
        return self


@dataclass(frozen=True)
class ResolvedParams:
    """Parameter values of every rule after user overrides.

    Attributes
    ----------
    values : dict
        ``{rule_id: {param_name: value}}`` for every rule of the catalog (defaults filled in).
    modified : frozenset of str
        Rules whose values lie outside the documents' ranges by an explicit override.
    """

    values: Mapping[str, Mapping[str, float]]
    modified: frozenset[str]

    def value(self, rule_id: str, name: str) -> float:
        """The value of parameter ``name`` of rule ``rule_id``."""
        return float(self.values[rule_id][name])

    def of(self, rule_id: str) -> dict[str, float]:
        """All parameter values of one rule."""
        return dict(self.values[rule_id])


class Catalog:
    """The validated rule catalog; index it by rule id (``catalog["HC-06"]``).

    Parameters
    ----------
    rules : iterable of Rule
        The rules, in catalog order.
    documents : iterable of Document
        The documents the rules' sources lie in (each source in exactly one).
    """

    def __init__(self, rules: Iterable[Rule], documents: Iterable[Document] = ()) -> None:
        self._rules: dict[str, Rule] = {r.id: r for r in rules}
        self.documents: tuple[Document, ...] = tuple(documents)

    def __getitem__(self, rule_id: str) -> Rule:
        try:
            return self._rules[rule_id]
        except KeyError:
            raise RuleParameterError(f"unknown rule id {rule_id!r}; known ids: {', '.join(self._rules)}") from None

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    @property
    def ids(self) -> list[str]:
        """Rule ids in catalog order."""
        return list(self._rules)

    def citation(self, rule_id: str, lang: str = "zh") -> str:
        """The sources of a rule as a planner cites them: document title and clause.

        Parameters
        ----------
        rule_id : str
            Rule id (``"HC-06"``).
        lang : {"zh", "en"}
            Language of the titles.

        Returns
        -------
        str
            Per document, its title and the clauses cited in it (``《…》 §(一)1、§(一)3``),
            documents joined by ``；`` (``; `` in English); a source outside every document is
            cited by its file name.

        Examples
        --------
        >>> load_catalog().citation("HC-06", "en")
        'Shanxi measures to further deepen reform and promote the healthy development of the rural medical and health system (Jin Zheng Ban Fa [2023] No. 51), §(二)11'
        """
        clauses: dict[Any, list[str]] = {}       # document (or the bare source) -> its clauses, in order
        for source in self[rule_id].sources:
            doc = next((d for d in self.documents if d.covers(source)), None)
            clauses.setdefault(source if doc is None else doc, []).append(source.clause)
        parts = []
        for doc, cited in clauses.items():
            if isinstance(doc, Source):
                parts.append(str(doc))
            elif lang == "zh":
                parts.append(f"{doc.title(lang)} {'、'.join(cited)}")
            else:
                parts.append(f"{doc.title(lang)}, {', '.join(cited)}")
        return ("；" if lang == "zh" else "; ").join(parts)

    def resolve_params(
        self,
        overrides: Mapping[str, Mapping[str, float]] | None = None,
        *,
        override: Mapping[str, bool] | None = None,
    ) -> ResolvedParams:
        """Fill in defaults and check user values against the allowed ranges.

        Parameters
        ----------
        overrides : dict, optional
            ``{rule_id: {param_name: value}}``.
        override : dict, optional
            ``{rule_id: True}`` lets that rule's values lie outside the documents' range; the
            rule is then reported as ``modified``.

        Returns
        -------
        ResolvedParams

        Raises
        ------
        RuleParameterError
            Listing every unknown rule or parameter, non-numeric value and value outside its range
            (rule, parameter, value and allowed range), all at once.
        """
        overrides = overrides or {}
        override = override or {}
        problems: list[str] = []
        for rule_id in override:
            if rule_id not in self._rules:
                problems.append(f"override: unknown rule id {rule_id!r}; known ids: {', '.join(self._rules)}")
        values: dict[str, dict[str, float]] = {r.id: {p.name: p.default for p in r.params} for r in self}
        modified: set[str] = set()
        for rule_id, given in overrides.items():
            if rule_id not in self._rules:
                problems.append(f"unknown rule id {rule_id!r}; known ids: {', '.join(self._rules)}")
                continue
            rule = self._rules[rule_id]
            known = {p.name: p for p in rule.params}
            for name, raw in given.items():
                if name not in known:
                    problems.append(f"{rule_id}: unknown parameter {name!r}; its parameters: "
                                    f"{', '.join(known) or 'none'}")
                    continue
                p = known[name]
                try:
                    value = float(raw)
                except (TypeError, ValueError):
                    problems.append(f"{rule_id}.{name} = {raw!r} is not a number; give a value in {p.unit}")
                    continue
                if value != value:  # NaN
                    problems.append(f"{rule_id}.{name} is NaN; give a value in {p.unit}")
                    continue
                if not p.min <= value <= p.max:
                    if override.get(rule_id, False):
                        modified.add(rule_id)
                    else:
                        problems.append(
                            f"{rule_id}.{name} = {value:g} {p.unit} is outside the allowed range "
                            f"[{p.min:g}, {p.max:g}] {p.unit} of {rule.source}; use a value inside it, "
                            f"or set override for {rule_id} to mark the rule as modified")
                        continue
                values[rule_id][name] = value
        if problems:
            raise RuleParameterError("rule parameters", problems)
        return ResolvedParams(values=values, modified=frozenset(modified))

    def to_records(self) -> list[dict[str, Any]]:
        """The catalog as plain dicts (id, titles, source, citations, params with default/min/max/unit,
        levels)."""
        out = []
        for r in self:
            out.append({
                "id": r.id,
                "family": r.family,
                "title_zh": r.title_zh,
                "title_en": r.title_en,
                "source_text_zh": r.source_text_zh,
                "source": r.source,
                "sources": [{"file": s.file, "clause": s.clause} for s in r.sources],
                "citation_zh": self.citation(r.id, "zh"),
                "citation_en": self.citation(r.id, "en"),
                "kinds": [str(k) for k in r.kinds],
                "demand": r.demand,
                "levels": list(r.levels),
                "metric": r.metric,
                "params": [{"name": p.name, "default": p.default, "unit": p.unit, "min": p.min,
                            "max": p.max, "description_zh": p.description_zh,
                            "description_en": p.description_en} for p in r.params],
                "measured_zh": r.measured_zh,
                "measured_en": r.measured_en,
            })
        return out


def _parse(text: str, origin: str) -> Catalog:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"rule catalog {origin}", [f"not valid YAML: {exc}"]) from None
    try:
        parsed = _CatalogFile.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise InputError(f"rule catalog {origin}", problems) from None
    return Catalog(parsed.rules, parsed.documents)


@functools.cache
def load_catalog() -> Catalog:
    """The packaged rule catalog (``planning/rules/catalog.yaml``), validated.

    Returns
    -------
    Catalog

    Raises
    ------
    InputError
        When the packaged file is invalid (every problem listed).
    """
    text = resources.files("planning.rules").joinpath("catalog.yaml").read_text(encoding="utf-8")
    return _parse(text, "planning/rules/catalog.yaml")


def parse_param_assignments(items: Iterable[str]) -> dict[str, dict[str, float]]:
    """Parse ``RULE.param=value`` strings (the ``--param`` option) into an overrides dict.

    Parameters
    ----------
    items : iterable of str
        E.g. ``["HC-06.radius_km=12", "LC-01.walk_minutes=10"]``.

    Returns
    -------
    dict
        ``{"HC-06": {"radius_km": 12.0}, ...}`` (ranges are checked by
        :meth:`Catalog.resolve_params`).

    Raises
    ------
    RuleParameterError
        Listing every malformed item.

    Examples
    --------
    >>> parse_param_assignments(["HC-06.radius_km=12"])
    {'HC-06': {'radius_km': 12.0}}
    """
    out: dict[str, dict[str, float]] = {}
    problems = []
    pattern = re.compile(r"^\s*([A-Z]{2}-\d{2})\.([a-z][a-z0-9_]*)\s*=\s*(\S+)\s*$")
    for i, item in enumerate(items, 1):
        m = pattern.match(item)
        if not m:
            problems.append(f"--param #{i} {item!r}: expected RULE.param=value, e.g. HC-06.radius_km=12")
            continue
        try:
            value = float(m.group(3))
        except ValueError:
            problems.append(f"--param #{i} {item!r}: value {m.group(3)!r} is not a number")
            continue
        out.setdefault(m.group(1), {})[m.group(2)] = value
    if problems:
        raise RuleParameterError("rule parameters", problems)
    return out
