"""Column contracts, units and closed vocabularies shared by every layer.

A loaded county has these layers (all in one metric CRS):

========================  ==========  =====================================================
layer                     geometry    columns (required **bold**)
========================  ==========  =====================================================
``boundary``              Polygon     **county_id**, **name**, seat (Point, county seat),
                                      agricultural (bool)
``townships``             Polygon     **id**, **name**, **township_type** (town/township/
                                      street), seat_x, seat_y (township seat, CRS units)
``villages``              Point       **id**, **name**, **township_id**, **population**,
                                      households, share_working_age, share_65plus, urban
                                      (bool), relocation_site (bool)
``communities``           Point       **id**, **name**, **township_id**, **households**,
                                      population, new_build (bool), relocation_site (bool)
``facilities``            Point       **id**, **name**, **kind**, see FACILITY_COLUMNS
========================  ==========  =====================================================

Units are in the column names where they are not counts: ``floor_area_m2``, ``length_m``,
``travel_time_min``, ``distance_m``, ``speed_kph``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "FacilityKind",
    "FACILITY_KIND_ZH",
    "FACILITY_KIND_ALIASES",
    "TownshipType",
    "Column",
    "LAYER_COLUMNS",
    "FACILITY_COLUMNS",
    "COLUMN_ALIASES",
    "ROAD_CLASS_ZH",
    "WALK_ONLY_HIGHWAYS",
    "NO_WALK_HIGHWAYS",
    "EMERGENCY_CENTRES",
    "EMERGENCY_CENTRE_ZH",
    "LIVING_CIRCLE_KINDS",
    "MEDICAL_KINDS",
]


class FacilityKind(StrEnum):
    """Closed vocabulary of facility kinds; every rule of RULES.md uses these."""

    # health 卫生
    VILLAGE_CLINIC = "village_clinic"
    TOWNSHIP_HOSPITAL = "township_hospital"
    CENTRAL_TOWNSHIP_HOSPITAL = "central_township_hospital"
    COUNTY_HOSPITAL = "county_hospital"
    TCM_HOSPITAL = "tcm_hospital"
    MATERNAL_CHILD_HEALTH = "maternal_child_health"
    COMMUNITY_HEALTH_CENTRE = "community_health_centre"
    EMERGENCY_CENTRE = "emergency_centre"
    EMERGENCY_STATION = "emergency_station"
    # employment 就业
    ODD_JOB_MARKET = "odd_job_market"
    EMPLOYMENT_SERVICE_POINT = "employment_service_point"
    # living and fitness circles 生活圈 / 健身圈
    FITNESS_FACILITY = "fitness_facility"
    ELDERLY_CARE = "elderly_care"
    ELDERLY_DAY_CARE = "elderly_day_care"
    CHILDCARE = "childcare"
    HOUSEKEEPING = "housekeeping"
    MEAL_ASSISTANCE = "meal_assistance"
    MARKET = "market"
    CONVENIENCE_STORE = "convenience_store"
    COMMUNITY_SERVICE_CENTRE = "community_service_centre"
    # education and other 教育 等
    KINDERGARTEN = "kindergarten"
    BOARDING_SCHOOL = "boarding_school"
    VOCATIONAL_SCHOOL = "vocational_school"
    SOCIAL_ASSISTANCE_CENTRE = "social_assistance_centre"
    FUNERAL_HOME = "funeral_home"
    PUBLIC_CEMETERY = "public_cemetery"


#: Chinese name of each facility kind (labels in maps and reports).
FACILITY_KIND_ZH: dict[FacilityKind, str] = {
    FacilityKind.VILLAGE_CLINIC: "村卫生室",
    FacilityKind.TOWNSHIP_HOSPITAL: "乡镇卫生院",
    FacilityKind.CENTRAL_TOWNSHIP_HOSPITAL: "中心乡镇卫生院",
    FacilityKind.COUNTY_HOSPITAL: "县级医院",
    FacilityKind.TCM_HOSPITAL: "中医院",
    FacilityKind.MATERNAL_CHILD_HEALTH: "妇幼保健院",
    FacilityKind.COMMUNITY_HEALTH_CENTRE: "社区卫生服务中心",
    FacilityKind.EMERGENCY_CENTRE: "医疗急救中心",
    FacilityKind.EMERGENCY_STATION: "急救站",
    FacilityKind.ODD_JOB_MARKET: "零工市场",
    FacilityKind.EMPLOYMENT_SERVICE_POINT: "就业服务站",
    FacilityKind.FITNESS_FACILITY: "健身设施",
    FacilityKind.ELDERLY_CARE: "社区养老服务设施",
    FacilityKind.ELDERLY_DAY_CARE: "老年日间照料中心",
    FacilityKind.CHILDCARE: "托育机构",
    FacilityKind.HOUSEKEEPING: "家政服务",
    FacilityKind.MEAL_ASSISTANCE: "助餐点",
    FacilityKind.MARKET: "便民市场",
    FacilityKind.CONVENIENCE_STORE: "便利店",
    FacilityKind.COMMUNITY_SERVICE_CENTRE: "社区党群服务中心",
    FacilityKind.KINDERGARTEN: "幼儿园",
    FacilityKind.BOARDING_SCHOOL: "寄宿制学校",
    FacilityKind.VOCATIONAL_SCHOOL: "中等职业学校",
    FacilityKind.SOCIAL_ASSISTANCE_CENTRE: "社会救助服务中心",
    FacilityKind.FUNERAL_HOME: "殡仪馆",
    FacilityKind.PUBLIC_CEMETERY: "公益性安葬设施",
}

#: Names accepted in a facility ``kind`` column: the English values, the Chinese names above,
#: and common Chinese synonyms planners write.
FACILITY_KIND_ALIASES: dict[str, FacilityKind] = {
    **{k.value: k for k in FacilityKind},
    **{zh: k for k, zh in FACILITY_KIND_ZH.items()},
    "卫生室": FacilityKind.VILLAGE_CLINIC,
    "村医务室": FacilityKind.VILLAGE_CLINIC,
    "卫生院": FacilityKind.TOWNSHIP_HOSPITAL,
    "镇卫生院": FacilityKind.TOWNSHIP_HOSPITAL,
    "乡卫生院": FacilityKind.TOWNSHIP_HOSPITAL,
    "中心卫生院": FacilityKind.CENTRAL_TOWNSHIP_HOSPITAL,
    "县医院": FacilityKind.COUNTY_HOSPITAL,
    "县人民医院": FacilityKind.COUNTY_HOSPITAL,
    "县中医院": FacilityKind.TCM_HOSPITAL,
    "妇幼保健院": FacilityKind.MATERNAL_CHILD_HEALTH,
    "妇幼保健计划生育服务中心": FacilityKind.MATERNAL_CHILD_HEALTH,
    "社区卫生服务站": FacilityKind.COMMUNITY_HEALTH_CENTRE,
    "急救中心": FacilityKind.EMERGENCY_CENTRE,
    "120急救站": FacilityKind.EMERGENCY_STATION,
    "健身点": FacilityKind.FITNESS_FACILITY,
    "体育场": FacilityKind.FITNESS_FACILITY,
    "养老院": FacilityKind.ELDERLY_CARE,
    "日间照料中心": FacilityKind.ELDERLY_DAY_CARE,
    "托儿所": FacilityKind.CHILDCARE,
    "菜市场": FacilityKind.MARKET,
    "农贸市场": FacilityKind.MARKET,
    "超市": FacilityKind.CONVENIENCE_STORE,
    "党群服务中心": FacilityKind.COMMUNITY_SERVICE_CENTRE,
    "中心幼儿园": FacilityKind.KINDERGARTEN,
    "寄宿学校": FacilityKind.BOARDING_SCHOOL,
    "职业学校": FacilityKind.VOCATIONAL_SCHOOL,
    "职业中学": FacilityKind.VOCATIONAL_SCHOOL,
    "救助站": FacilityKind.SOCIAL_ASSISTANCE_CENTRE,
    "公墓": FacilityKind.PUBLIC_CEMETERY,
}

#: Facility kinds that count as a medical institution for HC-11.
MEDICAL_KINDS: frozenset[FacilityKind] = frozenset(
    {
        FacilityKind.VILLAGE_CLINIC,
        FacilityKind.TOWNSHIP_HOSPITAL,
        FacilityKind.CENTRAL_TOWNSHIP_HOSPITAL,
        FacilityKind.COUNTY_HOSPITAL,
        FacilityKind.TCM_HOSPITAL,
        FacilityKind.MATERNAL_CHILD_HEALTH,
        FacilityKind.COMMUNITY_HEALTH_CENTRE,
    }
)

#: The categories of the 15-minute living circle (LC-01), each a facility kind (or a set).
LIVING_CIRCLE_KINDS: dict[str, frozenset[FacilityKind]] = {
    "elderly_care": frozenset({FacilityKind.ELDERLY_CARE, FacilityKind.ELDERLY_DAY_CARE}),
    "childcare": frozenset({FacilityKind.CHILDCARE, FacilityKind.KINDERGARTEN}),
    "medical": frozenset({FacilityKind.COMMUNITY_HEALTH_CENTRE, FacilityKind.VILLAGE_CLINIC,
                          FacilityKind.TOWNSHIP_HOSPITAL, FacilityKind.COUNTY_HOSPITAL,
                          FacilityKind.TCM_HOSPITAL, FacilityKind.MATERNAL_CHILD_HEALTH,
                          FacilityKind.CENTRAL_TOWNSHIP_HOSPITAL}),
    "emergency": frozenset({FacilityKind.EMERGENCY_STATION, FacilityKind.EMERGENCY_CENTRE}),
    "housekeeping": frozenset({FacilityKind.HOUSEKEEPING}),
    "meal_assistance": frozenset({FacilityKind.MEAL_ASSISTANCE}),
    "market": frozenset({FacilityKind.MARKET, FacilityKind.CONVENIENCE_STORE}),
    "community_service_centre": frozenset({FacilityKind.COMMUNITY_SERVICE_CENTRE}),
}

#: The five emergency centres of HC-07 (values of the facility column ``emergency_centres``,
#: a comma-separated list).
EMERGENCY_CENTRES: tuple[str, ...] = ("chest_pain", "stroke", "trauma", "maternal", "neonatal")
#: The five emergency centres in Chinese (急诊急救"五大中心").
EMERGENCY_CENTRE_ZH: dict[str, str] = {"chest_pain": "胸痛中心", "stroke": "卒中中心", "trauma": "创伤中心",
                                       "maternal": "危重孕产妇救治中心", "neonatal": "危重儿童和新生儿救治中心"}


class TownshipType(StrEnum):
    """乡 (township), 镇 (town) or 街道 (street office, urban)."""

    TOWNSHIP = "township"
    TOWN = "town"
    STREET = "street"


@dataclass(frozen=True)
class Column:
    """One column of a layer contract.

    Attributes
    ----------
    name : str
        Canonical column name.
    dtype : str
        One of ``"str"``, ``"int"``, ``"float"``, ``"bool"``.
    required : bool
        Whether the column must be present.
    min_value : float or None
        Smallest allowed value for numeric columns.
    description : str
        What the column holds, with its unit.
    """

    name: str
    dtype: str
    required: bool = False
    min_value: float | None = None
    description: str = ""


FACILITY_COLUMNS: tuple[Column, ...] = (
    Column("id", "str", True, description="unique facility id"),
    Column("name", "str", True, description="facility name"),
    Column("kind", "str", True, description="a FacilityKind value or its Chinese name"),
    Column("township_id", "str", description="township it lies in (filled by a spatial join when absent)"),
    Column("village_doctors", "int", min_value=0, description="village doctors (乡村医生), clinics"),
    Column("tcm_doctors", "int", min_value=0, description="doctors able to provide TCM services"),
    Column("public_health_physicians", "int", min_value=0, description="full-time public-health physicians"),
    Column("beds", "int", min_value=0, description="hospital beds"),
    Column("floor_area_m2", "float", min_value=0, description="floor area, m² (elderly-care space for LC-03)"),
    Column("grade", "int", min_value=0, description="hospital grade: 1, 2 or 3 (二级 = 2)"),
    Column("has_ambulance", "bool", description="equipped as an emergency (ambulance) node"),
    Column("has_outpatient", "bool", description="runs an outpatient clinic (maternal-child health, HC-09)"),
    Column("emergency_centres", "str", description="comma list of chest_pain,stroke,trauma,maternal,neonatal"),
    Column("emergency_team", "bool", description="hosts the county medical emergency team (HC-12)"),
    Column("public_central", "bool", description="kindergarten is a public central kindergarten (公办中心园)"),
    Column("cremation", "bool", description="funeral home has cremation (HC: SA-02)"),
)

LAYER_COLUMNS: dict[str, tuple[Column, ...]] = {
    "boundary": (
        Column("county_id", "str", True, description="county code (adcode), e.g. 141124"),
        Column("name", "str", True, description="county name"),
        Column("agricultural", "bool", description="agricultural county (农业县), HC-08"),
    ),
    "townships": (
        Column("id", "str", True, description="township code"),
        Column("name", "str", True, description="township name"),
        Column("township_type", "str", True, description="town / township / street (镇/乡/街道)"),
        Column("seat_x", "float", description="township seat x, CRS units"),
        Column("seat_y", "float", description="township seat y, CRS units"),
    ),
    "villages": (
        Column("id", "str", True, description="administrative village code"),
        Column("name", "str", True, description="village name"),
        Column("township_id", "str", True, description="township code"),
        Column("population", "int", True, min_value=0, description="resident (常住) population"),
        Column("households", "int", min_value=0, description="households"),
        Column("share_working_age", "float", min_value=0, description="share aged 15-64, 0-1"),
        Column("share_65plus", "float", min_value=0, description="share aged 65+, 0-1"),
        Column("urban", "bool", description="urban community rather than rural village"),
        Column("relocation_site", "bool", description="poverty-relief relocation site (易地扶贫安置点)"),
    ),
    "communities": (
        Column("id", "str", True, description="residential community id"),
        Column("name", "str", True, description="community name"),
        Column("township_id", "str", True, description="street office / town code"),
        Column("households", "int", True, min_value=0, description="households"),
        Column("population", "int", min_value=0, description="residents"),
        Column("new_build", "bool", description="new residential area (新建小区) vs old (老旧小区)"),
        Column("relocation_site", "bool", description="poverty-relief relocation site"),
    ),
    "facilities": FACILITY_COLUMNS,
}

#: Column headers planners actually use, mapped to canonical names (applied before validation).
COLUMN_ALIASES: dict[str, str] = {
    "编号": "id", "代码": "id", "编码": "id", "ID": "id", "Id": "id",
    "名称": "name", "名字": "name", "村名": "name", "乡镇名称": "name",
    "人口": "population", "常住人口": "population", "人口数": "population", "pop": "population",
    "户数": "households", "户": "households",
    "类型": "kind", "设施类型": "kind", "type": "kind",
    "经度": "lon", "longitude": "lon", "lng": "lon", "x": "lon",
    "纬度": "lat", "latitude": "lat", "y": "lat",
    "乡镇": "township", "乡镇代码": "township_id", "所属乡镇": "township",
    "乡村医生": "village_doctors", "村医人数": "village_doctors",
    "床位": "beds", "床位数": "beds",
    "面积": "floor_area_m2", "建筑面积": "floor_area_m2",
    "等级": "grade",
}

#: Chinese administrative road classes mapped to OSM ``highway`` values.
ROAD_CLASS_ZH: dict[str, str] = {
    "高速公路": "motorway",
    "国道": "trunk",
    "省道": "primary",
    "县道": "secondary",
    "乡道": "tertiary",
    "村道": "unclassified",
    "专用公路": "service",
    "城市道路": "residential",
    "街道": "residential",
    "巷道": "living_street",
    "步行道": "footway",
    "人行道": "footway",
    "小路": "path",
    "机耕路": "track",
}

#: Highway classes open to walking but not to cars.
WALK_ONLY_HIGHWAYS: frozenset[str] = frozenset(
    {"footway", "path", "pedestrian", "steps", "cycleway", "bridleway", "corridor"}
)

#: Highway classes closed to walking.
NO_WALK_HIGHWAYS: frozenset[str] = frozenset({"motorway", "motorway_link"})
