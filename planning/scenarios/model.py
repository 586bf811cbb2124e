"""The scenario schema (pydantic v2) and :func:`load_scenario`.

A scenario file says which county to study, how to compute travel, which rules to check with
which parameters, which planning recipes to run with which budgets, what-if edits to make to
the county first, and which outputs to write. Example (``scenarios/demo.yaml``)::

    name: 示范县 现状评估与规划
    county: ../data/demo/county.yaml      # or an inline manifest (the keys of county.yaml)
    travel: {walk_speed_kph: 4.5, terrain: true, max_snap_m: 1500}
    rules:
      check: all                          # or a list of rule ids
      params:
        HC-06: {radius_km: 15}
        HC-10: {max_residents: 120000, override: true}   # outside 30,000–100,000: marked modified
    recipes:
      village_clinics: {budget: 600, time_limit_s: 60}
      odd_job_markets: {candidates: township_seats}
    edits:
      close_facilities: [F0123]
      add_facilities: [{id: NEW1, kind: village_clinic, name: 新卫生室, lon: 111.0, lat: 37.9}]
      new_roads: [{name: 新乡道, highway: tertiary, path: [[111.0, 37.9], [111.05, 37.92]]}]
      population: [{township_id: "14990101", factor: 0.9}]
    outputs: {lang: zh, map: {basemap: none, offline: true}}

Every problem found is reported at once as a :class:`~planning.ScenarioError` whose lines say
``file:line: key.path: what is wrong; what is allowed``.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from planning._errors import RuleParameterError, ScenarioError
from planning.config import DEFAULT_DRIVE_SPEED_KPH, Settings, TravelSettings
from planning.scenarios.loader import CANDIDATE_KEYWORDS, Marks, read_scenario_yaml
from planning.schema import FACILITY_KIND_ALIASES, NO_WALK_HIGHWAYS, ROAD_CLASS_ZH, WALK_ONLY_HIGHWAYS

__all__ = [
    "RECIPE_NAMES",
    "OUTPUT_FILES",
    "Scenario",
    "RulesSpec",
    "RecipeSpec",
    "AddFacility",
    "NewRoad",
    "PopulationChange",
    "Edits",
    "MapSpec",
    "OutputsSpec",
    "load_scenario",
    "validate_scenario_file",
]

#: The planning recipes a scenario can run (issue 5), in the order they run.
RECIPE_NAMES: tuple[str, ...] = (
    "village_clinics", "central_township_hospitals", "emergency_network", "odd_job_markets",
    "living_circles",
)

#: Every output file of a run (``run.json`` is always written).
OUTPUT_FILES: tuple[str, ...] = (
    "compliance.csv", "compliance_summary.csv", "actions.csv", "coverage_by_township.csv",
    "results.gpkg", "map.html", "report.html", "report.docx", "run.json",
)

_ROAD_CLASSES: tuple[str, ...] = tuple(sorted(
    set(DEFAULT_DRIVE_SPEED_KPH) | WALK_ONLY_HIGHWAYS | NO_WALK_HIGHWAYS)) + tuple(ROAD_CLASS_ZH)


class _Strict(BaseModel):
    # ids written without quotes in YAML (township_id: 149901202) arrive as numbers: take them as text
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class RulesSpec(_Strict):
    """Which rules to check and with which parameters.

    Attributes
    ----------
    check : "all" or list of str
        Rule ids of the catalog (``planning rules`` lists them).
    params : dict
        Rule id → {parameter: value}; ``override: true`` allows a value outside the range of the
        source document, and the report marks the rule "modified".
    """

    check: Literal["all"] | list[str] = "all"
    params: dict[str, dict[str, float | int | bool | str]] = Field(default_factory=dict)

    def values(self) -> dict[str, dict[str, Any]]:
        """Parameter values by rule, without the ``override`` flags."""
        return {rid: {k: v for k, v in p.items() if k != "override"} for rid, p in self.params.items()}

    def overrides(self) -> dict[str, bool]:
        """Rule id → True for the rules whose parameters are overridden."""
        return {rid: True for rid, p in self.params.items() if p.get("override") is True}


class RecipeSpec(_Strict):
    """Options of one recipe (see :class:`planning.recipes.RecipeOptions`).

    Attributes
    ----------
    budget : float or None
        Total cost cap, 万元 (10,000 CNY); ``None`` = meet the rule at least cost.
    p : int or None
        Sites to open where the recipe is a p-facility problem.
    candidates : str or None
        ``villages``, ``township_seats``, ``street_nodes``, ``facilities`` or a point layer path.
    costs : dict
        Unit costs (万元) by ``"<action>:<kind>"``, e.g. ``{"new:village_clinic": 30}``.
    time_limit_s : float
        Solver time limit per model, seconds.
    threads : int
        Solver threads per model (default 1).
    """

    budget: float | None = Field(None, ge=0)
    p: int | None = Field(None, ge=1)
    candidates: str | None = None
    costs: dict[str, float] = Field(default_factory=dict)
    time_limit_s: float = Field(60.0, gt=0)
    threads: int = Field(1, ge=1)

    @field_validator("costs")
    @classmethod
    def _cost_keys(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [k for k in value if k.count(":") != 1 or k.split(":")[0] not in ("new", "upgrade", "merge", "close")]
        if bad:
            raise ValueError(f"cost keys must be '<action>:<kind>' with action new/upgrade/merge/close, "
                             f"e.g. 'new:village_clinic'; got {bad}")
        negative = {k: v for k, v in value.items() if v < 0}
        if negative:
            raise ValueError(f"costs must be >= 0 万元; got {negative}")
        return value


class AddFacility(_Strict):
    """A facility to add (what-if), at WGS84 / GCJ-02 / BD-09 longitude and latitude."""

    id: str = Field(min_length=1)
    kind: str
    name: str = Field(min_length=1)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    coords: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    township_id: str | None = None
    attributes: dict[str, float | int | bool | str] = Field(default_factory=dict)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in FACILITY_KIND_ALIASES:
            allowed = ", ".join(sorted({k.value for k in FACILITY_KIND_ALIASES.values()}))
            raise ValueError(f"unknown facility kind {value!r}; allowed: {allowed} (or their Chinese names)")
        return FACILITY_KIND_ALIASES[value].value


class NewRoad(_Strict):
    """A road to add (what-if): a polyline of longitude/latitude pairs and a road class.

    Vertices within ``connect_within_m`` of an existing road node join it; both ends must join
    the existing network (a road that connects to nothing changes no travel time).
    """

    name: str = ""
    highway: str
    path: list[tuple[float, float]] = Field(min_length=2)
    coords: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    oneway: bool = False
    maxspeed_kph: float | None = Field(None, gt=0)
    connect_within_m: float = Field(200.0, gt=0)

    @field_validator("highway")
    @classmethod
    def _known_class(cls, value: str) -> str:
        if value in ROAD_CLASS_ZH:
            return ROAD_CLASS_ZH[value]
        if value not in _ROAD_CLASSES:
            raise ValueError(f"unknown road class {value!r}; allowed: {', '.join(_ROAD_CLASSES)}")
        return value

    @field_validator("path")
    @classmethod
    def _lon_lat(cls, value: list[tuple[float, float]]) -> list[tuple[float, float]]:
        bad = [i for i, (lon, lat) in enumerate(value) if not (-180 <= lon <= 180 and -90 <= lat <= 90)]
        if bad:
            raise ValueError(f"points {bad} are not [longitude, latitude] pairs (lon -180..180, lat -90..90)")
        return value


class PopulationChange(_Strict):
    """Population change of one township: ``factor`` (× current) or ``delta`` (± residents)."""

    township_id: str
    factor: float | None = Field(None, ge=0)
    delta: int | None = None

    @model_validator(mode="after")
    def _one_of(self) -> PopulationChange:
        if (self.factor is None) == (self.delta is None):
            raise ValueError("give exactly one of `factor` (e.g. 0.9) or `delta` (e.g. -500)")
        return self


class Edits(_Strict):
    """What-if edits applied to the county before anything is computed."""

    close_facilities: list[str] = Field(default_factory=list)
    add_facilities: list[AddFacility] = Field(default_factory=list)
    new_roads: list[NewRoad] = Field(default_factory=list)
    population: list[PopulationChange] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        """No edit at all."""
        return not (self.close_facilities or self.add_facilities or self.new_roads or self.population)


class MapSpec(_Strict):
    """Map options: basemap, whether the HTML is self-contained (``offline: true``: Leaflet
    inlined, no tiles, no request leaves the machine), and the Tianditu key (``tk``) needed by
    ``basemap: tianditu`` (used when ``offline: false``)."""

    basemap: Literal["osm", "none", "amap", "tianditu"] = "osm"
    offline: bool = True
    tianditu_key: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> MapSpec:
        if self.basemap == "tianditu" and not self.tianditu_key:
            raise ValueError("basemap tianditu needs `tianditu_key:` (your Tianditu API key)")
        return self


class OutputsSpec(_Strict):
    """Which files to write and in which language."""

    files: Literal["all"] | list[Literal[OUTPUT_FILES]] = "all"  # type: ignore[valid-type]
    lang: Literal["zh", "en"] = "zh"
    map: MapSpec = Field(default_factory=MapSpec)

    def wanted(self) -> tuple[str, ...]:
        """The output files to write, in :data:`OUTPUT_FILES` order (always with run.json)."""
        if self.files == "all":
            return OUTPUT_FILES
        chosen = set(self.files) | {"run.json"}
        return tuple(f for f in OUTPUT_FILES if f in chosen)


class Scenario(_Strict):
    """A validated scenario.

    Attributes
    ----------
    name : str
        Scenario name (defaults to the file name).
    county : str or dict or None
        Absolute path of a ``county.yaml`` (or a directory holding one), or an inline manifest;
        None only in province scenarios, where the counties are given apart.
    travel : TravelSettings
        Travel settings.
    rules : RulesSpec
    recipes : dict of str to RecipeSpec
    edits : Edits
    outputs : OutputsSpec
    source : str or None
        The scenario file (``None`` when built in code).
    """

    name: str = ""
    description: str = ""
    county: str | dict[str, Any] | None = None
    travel: TravelSettings = Field(default_factory=TravelSettings)
    rules: RulesSpec = Field(default_factory=RulesSpec)
    recipes: dict[str, RecipeSpec | None] = Field(default_factory=dict)
    edits: Edits = Field(default_factory=Edits)
    outputs: OutputsSpec = Field(default_factory=OutputsSpec)
    source: str | None = None
    _marks: Marks = PrivateAttr(default_factory=Marks)

    @property
    def marks(self) -> Marks:
        """File and line of every key (for error messages about the county found at run time)."""
        return self._marks

    def settings(self) -> Settings:
        """The run :class:`~planning.config.Settings` (travel from the scenario)."""
        return Settings(travel=self.travel)

    def recipe_options(self) -> dict[str, RecipeSpec]:
        """Recipes to run in :data:`RECIPE_NAMES` order, with their options."""
        return {n: (self.recipes[n] or RecipeSpec()) for n in RECIPE_NAMES if n in self.recipes}

    def fingerprint(self) -> str:
        """sha256 of the scenario content (without its file name)."""
        payload = self.model_dump(mode="json", exclude={"source"})
        return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _pydantic_problems(exc: ValidationError, marks: Marks) -> list[str]:
    entries: list[tuple[tuple[Any, ...], bool, str]] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden":
            parent = ".".join(str(p) for p in loc[:-1]) or "the top level"
            model = _model_at(loc[:-1])
            allowed = ", ".join(model.model_fields) if model is not None else "see the documentation"
            entries.append((loc, False, f"unknown key {loc[-1]!r} in {parent}; allowed keys: {allowed}"))
            continue
        # pydantic names the union branch in the location (e.g. "literal['all']", "list[...]")
        clean = tuple(p for p in loc if not _is_branch(p))
        branch = len(clean) != len(loc)
        got = err.get("input")
        got_text = "" if err["type"] == "missing" else f"; got {got!r}"
        message = err["msg"].removeprefix("Value error, ")
        entries.append((clean, branch, f"{message}{got_text}"))
    problems = []
    done: set[tuple[Any, ...]] = set()
    for loc, branch, message in entries:
        # of the failed branches of a union, report the one that went deepest
        if branch and any(other[:len(loc)] == loc and len(other) > len(loc) for other, _, _ in entries):
            continue
        if branch:  # every branch failed at this same key: one message listing what is allowed
            if loc in done:
                continue
            done.add(loc)
            same = [m for other, b, m in entries if other == loc and b]
            wanted = [m.split("; got ")[0].removeprefix("Input should be ") for m in same]
            got = same[0].split("; got ", 1)[1] if "; got " in same[0] else ""
            message = "should be " + " or ".join(dict.fromkeys(wanted)) + (f"; got {got}" if got else "")
        message = re.sub(r" or instance of \w+", "", message)
        if message.endswith("; got None") and "dictionary" in message:
            message = "is empty; give its keys or remove it"
        problems.append(marks.problem(loc, message))
    return problems


def _is_branch(part: Any) -> bool:
    if not isinstance(part, str) or part in _KEY_NAMES:
        return False
    return "[" in part or part in ("function-after", "str", "float", "int", "bool", "none", "dict")


_KEY_NAMES = frozenset(f for m in (Scenario, RulesSpec, RecipeSpec, AddFacility, NewRoad,
                                   PopulationChange, Edits, MapSpec, OutputsSpec, TravelSettings)
                       for f in m.model_fields)


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Scenario
    table: dict[tuple[str, str], type[BaseModel]] = {
        ("Scenario", "travel"): TravelSettings, ("Scenario", "rules"): RulesSpec,
        ("Scenario", "edits"): Edits, ("Scenario", "outputs"): OutputsSpec,
        ("OutputsSpec", "map"): MapSpec, ("Edits", "add_facilities"): AddFacility,
        ("Edits", "new_roads"): NewRoad, ("Edits", "population"): PopulationChange,
    }
    i = 0
    while i < len(loc) and model is not None:
        part = loc[i]
        if model is Scenario and part == "recipes":
            model = RecipeSpec
            i += 3 if len(loc) > i + 2 and isinstance(loc[i + 2], str) and "[" in loc[i + 2] else 2
            continue
        if isinstance(part, int):
            i += 1
            continue
        model = table.get((model.__name__, str(part)))
        i += 1
    return model


def _line_key(problem: str) -> tuple[str, int, str]:
    head = problem.split(": ", 1)[0]
    file, _, line = head.rpartition(":")
    return (file, int(line) if line.isdigit() else 0, problem)


def _check_semantics(data: dict[str, Any], marks: Marks, problems: list[str]) -> None:
    """Checks beyond types, on the raw data (so they run even when types are wrong): files
    exist, recipe names and candidate layers, duplicate ids, rule ids and parameter ranges."""
    county = data.get("county")
    if isinstance(county, (str, int, float)) and not isinstance(county, bool):
        path = Path(str(county))
        if path.is_dir():
            path = path / "county.yaml"
        if not path.is_file():
            problems.append(marks.problem(("county",), f"county manifest {path} not found; give the path "
                                          "of a county.yaml (or its directory), relative to the scenario file"))
    elif isinstance(county, dict):
        _check_inline_county(county, marks, problems)
    recipes = data.get("recipes")
    for name, spec in (recipes.items() if isinstance(recipes, dict) else ()):
        if name not in RECIPE_NAMES:
            problems.append(marks.problem(("recipes", name), f"unknown recipe {name!r}; allowed: "
                                          + ", ".join(RECIPE_NAMES)))
            continue
        candidates = spec.get("candidates") if isinstance(spec, dict) else None
        if isinstance(candidates, str) and candidates not in CANDIDATE_KEYWORDS and not Path(candidates).is_file():
            problems.append(marks.problem(("recipes", name, "candidates"),
                                          f"candidate layer {candidates} not found; give "
                                          f"{', '.join(sorted(CANDIDATE_KEYWORDS))} or a point layer path"))
    edits = data.get("edits") if isinstance(data.get("edits"), dict) else {}
    added = edits.get("add_facilities") if isinstance(edits.get("add_facilities"), list) else []
    ids = [f.get("id") if isinstance(f, dict) else None for f in added]
    for i, fid in enumerate(ids):
        if fid is not None and fid in ids[:i]:
            problems.append(marks.problem(("edits", "add_facilities", i, "id"),
                                          f"id {fid!r} is used twice in add_facilities; give each a fresh id"))
    rules = data.get("rules")
    if isinstance(rules, dict):
        _check_rules(rules, marks, problems)


def _check_inline_county(county: dict[str, Any], marks: Marks, problems: list[str]) -> None:
    base = ("county",)
    for key in ("layers", "roads"):
        if key not in county:
            problems.append(marks.problem(base, f"inline county needs `{key}:` (same keys as county.yaml)"))
    layers = county.get("layers") or {}
    entries = [(("layers", k), v) for k, v in layers.items()] if isinstance(layers, dict) else []
    entries += [((k,), county[k]) for k in ("roads", "population", "dem") if isinstance(county.get(k), dict)]
    for sub, spec in entries:
        if not isinstance(spec, dict) or "path" not in spec:
            problems.append(marks.problem(base + sub, "needs `path:` (a file relative to the scenario file)"))
        elif not Path(str(spec["path"])).is_file():
            problems.append(marks.problem(base + sub + ("path",), f"file {spec['path']} not found"))


def _check_rules(rules: dict[str, Any], marks: Marks, problems: list[str]) -> None:
    from planning.rules.catalog import load_catalog

    catalog = load_catalog()
    known = list(catalog.ids)
    check = rules.get("check")
    if isinstance(check, list):
        for i, rid in enumerate(check):
            if isinstance(rid, str) and rid not in known:
                problems.append(marks.problem(("rules", "check", i), f"unknown rule id {rid!r}; allowed: "
                                              + ", ".join(known)))
    params = rules.get("params")
    for rid, given in (params.items() if isinstance(params, dict) else ()):
        if rid not in known:
            problems.append(marks.problem(("rules", "params", rid), f"unknown rule id {rid!r}; allowed: "
                                          + ", ".join(known)))
            continue
        if not isinstance(given, dict):
            continue
        flag = given.get("override", False)
        if not isinstance(flag, bool):
            problems.append(marks.problem(("rules", "params", rid, "override"),
                                          f"must be true or false; got {flag!r}"))
            flag = False
        for key, value in given.items():
            if key == "override":
                continue
            try:
                catalog.resolve_params({rid: {key: value}}, override={rid: flag})
            except RuleParameterError as exc:
                for text in exc.problems or [str(exc)]:
                    hint = "" if flag else " (in a scenario: add `override: true` to this rule's params)"
                    problems.append(marks.problem(("rules", "params", rid, key), f"{text}{hint}"))


def load_scenario(path_or_obj: str | Path | dict[str, Any] | Scenario, *, require_county: bool = True) -> Scenario:
    """Read and validate a scenario.

    Parameters
    ----------
    path_or_obj : str, Path, dict or Scenario
        A scenario YAML file, an already-parsed mapping (paths relative to the current
        directory) or a :class:`Scenario` (returned unchanged).
    require_county : bool
        Whether ``county:`` must be given (False for province runs, which give the counties).

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Every problem at once, each as ``file:line: key.path: what is wrong; what is allowed``:
        unknown keys, wrong types, values out of range, unknown recipes, rule ids or facility
        kinds, rule parameters outside the source document's range without ``override: true``,
        missing files, YAML syntax errors and duplicate keys.

    Examples
    --------
    >>> from planning.scenarios import load_scenario
    >>> s = load_scenario("scenarios/demo.yaml")  # doctest: +SKIP
    >>> s.outputs.lang  # doctest: +SKIP
    'zh'
    """
    if isinstance(path_or_obj, Scenario):
        if require_county and path_or_obj.county is None:
            raise ScenarioError("scenario", ["county: missing; give the path of a county.yaml"])
        return path_or_obj
    if isinstance(path_or_obj, dict):
        from planning.scenarios.loader import _resolve_paths

        data = _resolve_paths(dict(path_or_obj), Path.cwd())
        data.pop("extends", None)
        marks = Marks({(): ("<scenario>", 1)})
        source = None
        what = "scenario"
    else:
        source_path = Path(path_or_obj).resolve()
        data, marks = read_scenario_yaml(source_path)
        source = str(source_path)
        data.setdefault("name", source_path.stem)
        what = f"scenario file {source_path}"
    problems: list[str] = []
    if require_county and data.get("county") is None:
        problems.append(marks.problem((), "missing required key `county:` (path of a county.yaml, or an "
                                      "inline manifest)"))
    scenario = None
    try:
        scenario = Scenario.model_validate({**data, "source": source})
    except ValidationError as exc:
        problems += [p for p in _pydantic_problems(exc, marks) if not p.endswith("county: Field required")]
    _check_semantics(data, marks, problems)
    if problems or scenario is None:
        raise ScenarioError(what, sorted(set(problems), key=_line_key))
    scenario._marks = marks
    return scenario


def validate_scenario_file(path: str | Path, *, load_county: bool = False) -> Scenario:
    """Validate a scenario file (what ``planning validate`` runs); see :func:`load_scenario`.

    Parameters
    ----------
    path : str or Path
        The scenario file.
    load_county : bool
        Also load the county and check the edits against it (facility and township ids, road
        ends near the network, points inside the county); slower.

    Raises
    ------
    ScenarioError
        Every problem, with file, line and key path.
    InputError
        The county's data do not load (with ``load_county``).
    """
    scenario = load_scenario(Path(path))
    if load_county and isinstance(scenario.county, str):
        from planning.io import load_county as _load
        from planning.scenarios.edits import apply_edits

        apply_edits(_load(scenario.county), scenario.edits, marks=scenario.marks)
    return scenario
