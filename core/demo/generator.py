# ruff: noqa: E501 - tables of names and templates read best one entry per line
"""Deterministic generation of a realistic province of group customers, as plain rows.

Nothing here touches Django or the clock: a `DemoSpec` (number of accounts, seed, the as-of date)
goes in, tuples come out, table by table, in the column order of `COLUMNS`. Two sinks write them:
`core.demo.sinks.BulkCreateSink` (Django `bulk_create`, for the demo on SQLite or PostgreSQL) and
`core.demo.sinks.PostgresCopySink` (COPY, for the 100k/1M-account benchmark).

Determinism: every chunk of accounts draws from its own `random.Random` seeded with
"seed/chunk-number", and ids are handed out in order, so the same spec gives byte-identical rows.
The staff plan (how many account managers each district has, ~1 per `accounts_per_manager`
accounts) depends only on the spec, so it is known before the first account is drawn.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from accounts.domain import credit_code_check_char

from . import vocab

Row = tuple[Any, ...]

# Insertion order respects foreign keys. Columns are model attnames; the sinks fill the rest
# (created_at/updated_at, defaults).
COLUMNS: dict[str, tuple[str, ...]] = {
    "org.Region": ("id", "code", "name", "name_en", "level", "parent_id", "path", "depth"),
    "org.User": (
        "id", "username", "password", "role", "region_id", "display_name", "first_name",
        "last_name", "email", "phone", "is_staff", "is_active", "is_superuser", "date_joined",
    ),
    "accounts.Account": (
        "id", "code", "name", "credit_code", "org_kind", "industry", "size_band", "region_id",
        "owner_id", "parent_id", "status", "joined_on", "contract_end", "version",
    ),
    "org.AccountTeamMember": ("id", "account_id", "user_id", "team_role", "access"),
    "accounts.KeyPerson": (
        "id", "account_id", "name", "title", "department", "role", "influence", "relationship",
        "drivers", "phone", "email", "birthday_on", "care_notes", "left_on",
    ),
    "accounts.CareDate": ("id", "key_person_id", "occasion", "month", "day", "note"),
    "accounts.Member": (
        "id", "account_id", "number_masked", "cost_centre", "is_vip", "joined_on", "left_on",
    ),
    "accounts.Activity": (
        "id", "account_id", "kind", "subject", "occurred_on", "key_person_id", "outcome",
        "next_step", "next_step_on", "created_by_id",
    ),
    "accounts.ServiceRequest": (
        "id", "account_id", "kind", "title", "description", "severity", "status", "opened_at",
        "sla_due_at", "resolved_at", "resolution", "opened_by_id",
    ),
}  # fmt: skip
TABLE_ORDER = tuple(COLUMNS)

CST = dt.timezone(dt.timedelta(hours=8), "CST")
DEFAULT_SLA_HOURS = {"critical": 4, "high": 24, "medium": 72, "low": 168}

# Django's unusable-password marker; the demo command sets the known passwords afterwards.
UNUSABLE_PASSWORD = "!unusable"  # noqa: S105 - the marker, not a password
DEMO_PASSWORDS = {
    "hq": "demo-hq-2024",
    "regional_manager": "demo-rm-2024",
    "account_manager": "demo-am-2024",
}

INFLUENCE_RANGE = {"decision_maker": (4, 5), "champion": (3, 5), "user": (1, 2)}
DRIVERS = (
    "power", "achievement", "recognition", "belonging", "orderliness", "security",
    "financial", "performance", "image",
)  # fmt: skip


@dataclass(frozen=True)
class DemoSpec:
    accounts: int = 5000
    seed: int = 2024
    as_of: dt.date = dt.date(2025, 6, 30)
    chunk_size: int = 2000
    accounts_per_manager: int = 200  # the seeds' ~150–250 accounts per account manager
    sla_hours: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_SLA_HOURS))

    def __post_init__(self) -> None:
        if self.accounts < 1:
            raise ValueError("accounts must be at least 1")


@dataclass
class Chunk:
    rows: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in COLUMNS})

    def count(self) -> int:
        return sum(len(r) for r in self.rows.values())


class FastRandom(random.Random):
    """`randint` and `choice` from one float draw: about three times faster than the exact
    rejection sampling of `random.Random`, with a bias (< 2**-40) no demo can see. Still fully
    determined by the seed."""

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq: Any) -> Any:
        return seq[int(self.random() * len(seq))]


# --- the staff plan -------------------------------------------------------------------------

# Large accounts and city bureaus are served by the city's key-account team (city-level region);
# everything else by the district's account managers.
CITY_LEVEL_SHARE = 0.1


@dataclass(frozen=True)
class RegionInfo:
    id: int
    code: str
    name: str  # 天河区 / 广州
    city: vocab.City
    district: vocab.District | None


@dataclass
class Plan:
    regions: list[Row]
    users: list[Row]
    by_code: dict[str, RegionInfo]
    managers: dict[str, list[int]]  # region code → account manager ids
    hq_user_id: int
    regional_managers: dict[str, int]  # city code → user id
    logins: dict[str, str]  # role → a username to log in as


def _person_name(rng: random.Random) -> tuple[str, str, str]:
    surname, pinyin = rng.choice(vocab.SURNAMES)
    given = rng.choice(vocab.GIVEN_CHARS) + (
        rng.choice(vocab.GIVEN_CHARS) if rng.random() < 0.7 else ""
    )
    return surname + given, surname, pinyin


def plan_staff(spec: DemoSpec) -> Plan:
    rng = FastRandom(f"{spec.seed}/staff")
    joined = dt.datetime.combine(spec.as_of - dt.timedelta(days=3 * 365), dt.time(9), CST)
    regions: list[Row] = []
    by_code: dict[str, RegionInfo] = {}
    p_code, p_name, p_en, _ = vocab.PROVINCE
    regions.append((1, p_code, p_name, p_en, "province", None, f"/{p_code}/", 0))
    next_id = 2
    for city in vocab.CITIES:
        city_id = next_id
        next_id += 1
        city_path = f"/{p_code}/{city.code}/"
        regions.append(
            (city_id, city.code, f"{city.name}市", city.name_en, "city", 1, city_path, 1)
        )
        by_code[city.code] = RegionInfo(city_id, city.code, city.name, city, None)
        for d in city.districts:
            path = f"{city_path}{d.code}/"
            regions.append((next_id, d.code, d.name, d.name_en, "district", city_id, path, 2))
            by_code[d.code] = RegionInfo(next_id, d.code, d.name, city, d)
            next_id += 1

    users: list[Row] = []
    uid = 0

    def add_user(username: str, role: str, region_id: int | None) -> int:
        nonlocal uid
        uid += 1
        name, _, _ = _person_name(rng)
        users.append(
            (uid, username, UNUSABLE_PASSWORD, role, region_id, name, "", "", f"{username}@groupcrm.example",
             "", role == "hq", True, False, joined)
        )  # fmt: skip
        return uid

    hq = add_user("hq", "hq", 1)
    regional: dict[str, int] = {}
    managers: dict[str, list[int]] = {}
    for city in vocab.CITIES:
        regional[city.code] = add_user(
            f"rm_{city.code.lower()}", "regional_manager", by_code[city.code].id
        )
        city_accounts = spec.accounts * city.weight
        levels = [(city.code, city_accounts * CITY_LEVEL_SHARE)] + [
            (d.code, city_accounts * (1 - CITY_LEVEL_SHARE) * d.weight) for d in city.districts
        ]
        for code, expected in levels:
            count = max(1, round(expected / spec.accounts_per_manager))
            stem = code.lower().replace("-", "_")
            managers[code] = [
                add_user(f"am_{stem}_{k:02d}", "account_manager", by_code[code].id)
                for k in range(1, count + 1)
            ]
    return Plan(
        regions=regions,
        users=users,
        by_code=by_code,
        managers=managers,
        hq_user_id=hq,
        regional_managers=regional,
        logins={"hq": "hq", "regional_manager": "rm_gz", "account_manager": "am_gz_th_01"},
    )


# --- names and codes ------------------------------------------------------------------------


@dataclass
class Ctx:
    rng: random.Random
    city: vocab.City
    district: vocab.District

    def brand(self) -> str:
        return self.rng.choice(vocab.BRAND_FIRST) + self.rng.choice(vocab.BRAND_SECOND)

    def street(self) -> str:
        return self.rng.choice(self.district.streets)

    @property
    def dshort(self) -> str:  # 天河区 → 天河
        return self.district.name[:-1] if self.district.name[-1] in "区镇" else self.district.name


# (weight, builder, org_kind, level) — level "city" puts the account at the city's region.
Template = tuple[float, Callable[[Ctx], str], str, str]

SIZE_WEIGHTS = {
    "enterprise": ((0.03, 0.12, 0.35, 0.5)),
    "government": ((0.1, 0.45, 0.4, 0.05)),
    "public_institution": ((0.08, 0.3, 0.45, 0.17)),
    "non_profit": ((0.0, 0.1, 0.4, 0.5)),
}
SIZES = ("large", "medium", "small", "micro")

TEMPLATES: dict[str, list[Template]] = {
    "finance": [
        (4, lambda c: f"{c.rng.choice(vocab.BANKS)}股份有限公司{c.city.name}{c.dshort}{c.street()}支行", "enterprise", "district"),
        (2, lambda c: f"{c.city.name}市{c.brand()}小额贷款有限公司", "enterprise", "district"),
        (2, lambda c: f"{c.rng.choice(vocab.INSURERS)}股份有限公司{c.city.name}{c.dshort}支公司", "enterprise", "district"),
        (1, lambda c: f"{c.rng.choice(vocab.SECURITIES)}股份有限公司{c.city.name}{c.street()}路证券营业部", "enterprise", "district"),
        (1, lambda c: f"{c.city.name}{c.brand()}融资担保有限公司", "enterprise", "district"),
    ],
    "government": [
        (3, lambda c: f"{c.city.name}市{c.rng.choice(vocab.BUREAUS)}{c.rng.choice(vocab.BUREAU_UNITS)}", "government", "city"),
        (4, lambda c: f"{c.city.name}市{c.district.name}{c.rng.choice(vocab.BUREAUS)}", "government", "district"),
        (2, lambda c: f"{c.city.name}市{c.district.name}{c.street()}街道办事处", "government", "district"),
        (1, lambda c: f"{c.city.name}市{c.brand()}公共资源交易中心", "public_institution", "city"),
    ],
    "healthcare": [
        (2, lambda c: f"{c.city.name}市第{c.rng.randint(1, 12)}人民医院", "public_institution", "city"),
        (2, lambda c: f"{c.city.name}市{c.district.name}人民医院", "public_institution", "district"),
        (3, lambda c: f"{c.city.name}市{c.district.name}{c.street()}社区卫生服务中心", "public_institution", "district"),
        (1, lambda c: f"{c.city.name}市{c.rng.choice(('妇幼保健院', '中医院', '疾病预防控制中心', '急救医疗指挥中心'))}", "public_institution", "city"),
        (2, lambda c: f"{c.city.name}{c.brand()}医药连锁有限公司", "enterprise", "district"),
        (1, lambda c: f"{c.city.name}{c.brand()}口腔门诊部有限公司", "enterprise", "district"),
    ],
    "education": [
        (3, lambda c: f"{c.city.name}市第{c.rng.randint(1, 80)}中学", "public_institution", "district"),
        (3, lambda c: f"{c.city.name}市{c.district.name}{c.street()}小学", "public_institution", "district"),
        (1, lambda c: f"{c.city.name}{c.brand()}职业技术学院", "public_institution", "city"),
        (2, lambda c: f"{c.city.name}{c.brand()}教育科技有限公司", "enterprise", "district"),
        (1, lambda c: f"{c.city.name}市{c.district.name}{c.brand()}培训学校", "non_profit", "district"),
    ],
    "logistics_transport": [
        (4, lambda c: f"{c.city.name}{c.brand()}物流有限公司", "enterprise", "district"),
        (2, lambda c: f"{c.city.name}{c.brand()}国际货运代理有限公司", "enterprise", "district"),
        (2, lambda c: f"{c.city.name}{c.brand()}供应链管理有限公司", "enterprise", "district"),
        (1, lambda c: f"{c.city.name}市{c.brand()}出租汽车有限公司", "enterprise", "district"),
        (1, lambda c: f"{c.city.name}{c.brand()}冷链运输有限公司", "enterprise", "district"),
    ],
    "petrochemical": [
        (3, lambda c: f"{c.city.name}{c.brand()}化工有限公司", "enterprise", "district"),
        (2, lambda c: f"{c.city.name}{c.brand()}石化有限公司", "enterprise", "district"),
        (2, lambda c: f"{c.city.name}{c.brand()}燃气有限公司", "enterprise", "district"),
        (2, lambda c: f"{c.city.name}{c.brand()}新材料科技有限公司", "enterprise", "district"),
    ],
    "retail_consumer": [
        (3, lambda c: f"{c.city.name}{c.brand()}商贸有限公司", "enterprise", "district"),
        (2, lambda c: f"{c.city.name}{c.brand()}超市连锁有限公司", "enterprise", "district"),
        (2, lambda c: f"{c.city.name}{c.brand()}餐饮管理有限公司", "enterprise", "district"),
        (1, lambda c: f"{c.city.name}{c.brand()}百货有限公司", "enterprise", "district"),
        (2, lambda c: f"{c.city.name}{c.brand()}食品有限公司", "enterprise", "district"),
        (1, lambda c: f"{c.city.name}{c.brand()}酒店管理有限公司", "enterprise", "district"),
    ],
    "power": [
        (3, lambda c: f"{c.city.name}{c.brand()}新能源科技有限公司", "enterprise", "district"),
        (2, lambda c: f"{c.city.name}{c.brand()}电力工程有限公司", "enterprise", "district"),
        (2, lambda c: f"{c.city.name}{c.brand()}光伏科技有限公司", "enterprise", "district"),
        (1, lambda c: f"{c.city.name}{c.brand()}热电有限公司", "enterprise", "district"),
    ],
    "electronics": [
        (4, lambda c: f"{c.city.name}{c.brand()}电子科技有限公司", "enterprise", "district"),
        (3, lambda c: f"{c.city.name}{c.brand()}智能科技有限公司", "enterprise", "district"),
        (1, lambda c: f"{c.city.name}{c.brand()}半导体有限公司", "enterprise", "district"),
        (2, lambda c: f"{c.city.name}{c.brand()}通信设备有限公司", "enterprise", "district"),
        (1, lambda c: f"{c.city.name}{c.brand()}光电科技有限公司", "enterprise", "district"),
    ],
    "manufacturing": [
        (3, lambda c: f"{c.city.name}{c.brand()}机械制造有限公司", "enterprise", "district"),
        (2, lambda c: f"{c.city.name}{c.brand()}五金制品有限公司", "enterprise", "district"),
        (2, lambda c: f"{c.city.name}{c.brand()}家具有限公司", "enterprise", "district"),
        (1, lambda c: f"{c.city.name}{c.brand()}陶瓷有限公司", "enterprise", "district"),
        (2, lambda c: f"{c.city.name}{c.brand()}服装有限公司", "enterprise", "district"),
        (2, lambda c: f"{c.city.name}{c.brand()}塑胶制品有限公司", "enterprise", "district"),
        (2, lambda c: f"{c.city.name}{c.brand()}汽车零部件有限公司", "enterprise", "district"),
    ],
    "other": [
        (3, lambda c: f"{c.city.name}{c.brand()}物业管理有限公司", "enterprise", "district"),
        (3, lambda c: f"{c.city.name}{c.brand()}建筑工程有限公司", "enterprise", "district"),
        (2, lambda c: f"{c.city.name}{c.brand()}广告有限公司", "enterprise", "district"),
        (1, lambda c: f"广东{c.brand()}律师事务所", "enterprise", "district"),
        (1, lambda c: f"{c.city.name}市{c.brand()}行业协会", "non_profit", "city"),
        (1, lambda c: f"广东省{c.brand()}慈善基金会", "non_profit", "city"),
    ],
}  # fmt: skip

INDUSTRY_WEIGHTS = {
    "manufacturing": 0.19, "retail_consumer": 0.17, "electronics": 0.1, "logistics_transport": 0.09,
    "other": 0.14, "education": 0.07, "healthcare": 0.06, "government": 0.06, "finance": 0.06,
    "power": 0.03, "petrochemical": 0.03,
}  # fmt: skip
INDUSTRIES = tuple(INDUSTRY_WEIGHTS)
INDUSTRY_CUM = tuple(INDUSTRY_WEIGHTS.values())

# Cross-region groups: (industry, headquarters name builder, branch suffix, 3rd-level suffix).
GROUP_KINDS: tuple[tuple[str, str], ...] = (
    ("logistics_transport", "物流"), ("retail_consumer", "商贸"), ("manufacturing", "实业"),
    ("electronics", "电子"), ("petrochemical", "石化"), ("power", "能源"),
    ("healthcare", "医药"), ("finance", "投资"),
)  # fmt: skip

# GB 32100 characters 1–2 by organisation kind: 91 enterprise (工商), 11 government (机构编制
# 机关), 12 public institution (事业单位), 52 private non-enterprise unit (民政).
REGISTRATION_PREFIX = {
    "enterprise": "91", "government": "11", "public_institution": "12", "non_profit": "52",
}  # fmt: skip
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code check weights


def credit_code_for(org_kind: str, division: str, serial: int) -> str:
    """A GB 32100-valid code whose organisation-code part (chars 9–17, GB 11714, with its own
    check digit) is a bijection of `serial`, so distinct serials never collide."""
    body = f"{(serial * 2654435761 + 12345678) % 100_000_000:08d}"
    c9 = 11 - sum(int(ch) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    org_code = body + ("X" if c9 == 10 else "0" if c9 == 11 else str(c9))
    first17 = REGISTRATION_PREFIX[org_kind] + division + org_code
    return first17 + credit_code_check_char(first17)


# --- accounts and what hangs off them ------------------------------------------------------


class _Ids:
    def __init__(self) -> None:
        self.next = dict.fromkeys(COLUMNS, 1)

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


class _AccountMaker:
    def __init__(self, spec: DemoSpec, plan: Plan) -> None:
        self.spec = spec
        self.plan = plan
        self.ids = _Ids()
        self.as_of = spec.as_of
        self.as_of_at = dt.datetime.combine(spec.as_of, dt.time(18), CST)
        self.cities = vocab.CITIES
        self.city_cum = [c.weight for c in self.cities]
        self.hq_cities = [c for c in self.cities if c.code in vocab.GROUP_HQ_CITY_WEIGHTS]
        self.hq_city_w = [vocab.GROUP_HQ_CITY_WEIGHTS[c.code] for c in self.hq_cities]

    # one account -------------------------------------------------------------------------
    def account(
        self,
        rng: random.Random,
        chunk: Chunk,
        *,
        name: str,
        org_kind: str,
        industry: str,
        size: str,
        city: vocab.City,
        district: vocab.District | None,
        parent_id: int | None,
        status: str | None = None,
    ) -> tuple[int, int]:
        aid = self.ids.take("accounts.Account")
        region = self.plan.by_code[district.code if district else city.code]
        owner = rng.choice(self.plan.managers[region.code])
        if status is None:
            x = rng.random()
            status = "active" if x < 0.8 else "prospect" if x < 0.92 else "churned"
        joined_on = contract_end = None
        if status != "prospect":
            # Most customers joined after the 2008 restructuring; more of them recently.
            years = int(rng.triangular(0, 16, 1.5))
            joined_on = self.as_of - dt.timedelta(days=years * 365 + rng.randint(30, 364))
            term = rng.choice((1, 1, 2, 3)) * 365
            if status == "active":
                # The current term: some ended a few weeks ago and await renewal, some end soon.
                contract_end = self.as_of + dt.timedelta(days=rng.randint(-20, term))
            else:
                lost = rng.randint(1, (self.as_of - joined_on).days - 1)
                contract_end = self.as_of - dt.timedelta(days=lost)
        division = (district or city).division
        credit = credit_code_for(org_kind, division, aid) if rng.random() < 0.97 else ""
        chunk.rows["accounts.Account"].append(
            (aid, f"{city.code}{aid:08d}", name, credit, org_kind, industry, size, region.id,
             owner, parent_id, status, joined_on, contract_end, 1)
        )  # fmt: skip
        self.children(rng, chunk, aid, owner, org_kind, industry, size, status, joined_on)
        return aid, owner

    def children(
        self,
        rng: random.Random,
        chunk: Chunk,
        aid: int,
        owner: int,
        org_kind: str,
        industry: str,
        size: str,
        status: str,
        joined_on: dt.date | None,
    ) -> None:
        rows = chunk.rows
        take = self.ids.take
        as_of = self.as_of
        rand, randint, choice = rng.random, rng.randint, rng.choice
        size_i = SIZES.index(size)  # 0 large … 3 micro

        # Key persons: a decision maker always, a champion in about half the accounts.
        n_kp = (
            randint(1, 2)
            if status == "prospect"
            else randint(*((4, 7), (3, 5), (2, 3), (1, 2))[size_i])
        )
        roles = ["decision_maker"]
        if n_kp > 1 and rand() < 0.55:
            roles.append("champion")
        while len(roles) < n_kp:
            roles.append(choice(("it_lead", "finance", "influencer", "influencer", "user")))
        current_kps: list[int] = []
        departments = vocab.ORG_DEPARTMENTS[org_kind]
        for role in roles:
            kid = take("accounts.KeyPerson")
            name, _, pinyin = _person_name(rng)
            low, high = INFLUENCE_RANGE.get(role, (2, 4))
            influence = randint(low, high)
            relationship = min(5, max(1, round(rng.gauss(3.1, 1.0))))
            drivers = rng.sample(DRIVERS, randint(1, 3))
            birthday = dt.date(as_of.year - randint(28, 58), randint(1, 12), randint(1, 28))
            left_on = None
            if rand() < 0.06:
                left_on = as_of - dt.timedelta(days=randint(1, 540))
            else:
                current_kps.append(kid)
            rows["accounts.KeyPerson"].append(
                (kid, aid, name, choice(vocab.TITLES[role][org_kind]), choice(departments), role,
                 influence, relationship, drivers,
                 f"{choice(vocab.MOBILE_PREFIXES)}{randint(0, 99_999_999):08d}",
                 f"{pinyin}.{kid}@customer.example" if rand() < 0.6 else "",
                 birthday, choice(vocab.CARE_NOTES) if rand() < 0.35 else "", left_on)
            )  # fmt: skip
            if rand() < 0.5:
                occasions = [("spring_festival", 1, 29, "春节"), ("mid_autumn", 10, 6, "中秋")]
                if industry == "education":
                    occasions.append(("teachers_day", 9, 10, "教师节"))
                if rand() < 0.3:
                    occasions.append(("anniversary", randint(1, 12), randint(1, 28), "公司周年"))
                for occ, month, day, note in rng.sample(occasions, randint(1, len(occasions))):
                    rows["accounts.CareDate"].append(
                        (take("accounts.CareDate"), kid, occ, month, day, note)
                    )

        # Member lines: none before the customer signs; a churned customer's lines have left.
        if status != "prospect":
            n_members = randint(*((40, 120), (12, 40), (3, 12), (1, 5))[size_i])
            centres = rng.sample(departments, min(len(departments), randint(2, 5)))
            vip_p = 0.08 if size_i == 0 else 0.04
            start = joined_on or as_of
            span = max(1, (as_of - start).days)
            for _ in range(n_members):
                member_joined = start + dt.timedelta(days=randint(0, span))
                left = None
                if status == "churned":
                    left = as_of - dt.timedelta(days=randint(0, 400))
                    left = max(left, member_joined)
                elif rand() < 0.05:
                    left = member_joined + dt.timedelta(
                        days=randint(0, max(0, (as_of - member_joined).days))
                    )
                rows["accounts.Member"].append(
                    (take("accounts.Member"),
                     aid, f"{choice(vocab.MOBILE_PREFIXES)}****{randint(0, 9999):04d}",
                     choice(centres), rand() < vip_p, member_joined, left)
                )  # fmt: skip

        # A year of activities logged by the owner.
        if status == "active":
            n_act = randint(*((12, 30), (6, 16), (2, 8), (1, 4))[size_i])
            first_day = 365
        elif status == "prospect":
            n_act = randint(1, 5)
            first_day = 180
        else:
            n_act = randint(0, 2)
            first_day = 365
        for _ in range(n_act):
            kind = choice(
                ("visit", "visit", "call", "call", "call", "meeting", "email", "email", "care")
            )
            occurred = as_of - dt.timedelta(days=randint(0, first_day))
            has_next = rand() < 0.4
            rows["accounts.Activity"].append(
                (take("accounts.Activity"), aid, kind, choice(vocab.ACTIVITY_SUBJECTS[kind]),
                 occurred, choice(current_kps) if current_kps and rand() < 0.7 else None,
                 choice(vocab.ACTIVITY_OUTCOMES), choice(vocab.NEXT_STEPS) if has_next else "",
                 occurred + dt.timedelta(days=randint(3, 30)) if has_next else None, owner)
            )  # fmt: skip

        # Service requests and complaints: bigger customers raise more.
        if status != "prospect":
            rate = (4.0, 1.5, 0.5, 0.2)[size_i] * (1.0 if status == "active" else 0.5)
            n_sr = int(rate) + (rand() < rate - int(rate))
            sla = self.spec.sla_hours
            for _ in range(n_sr):
                kind = "complaint" if rand() < 0.35 else "request"
                severity = choice(
                    ("low", "low", "medium", "medium", "medium", "high", "high", "critical")
                )
                opened = self.as_of_at - dt.timedelta(minutes=randint(30, 365 * 24 * 60))
                due = opened + dt.timedelta(hours=sla[severity])
                age_hours = (self.as_of_at - opened).total_seconds() / 3600
                resolved_at = None
                state = "open" if rand() < 0.5 else "in_progress"
                resolution = ""
                if rand() < (0.95 if age_hours > 72 else 0.4):
                    # Most within the SLA; about one in eight late.
                    factor = rng.uniform(0.1, 0.95) if rand() < 0.88 else rng.uniform(1.05, 3.0)
                    resolved_at = opened + dt.timedelta(hours=sla[severity] * factor)
                    if resolved_at <= self.as_of_at:
                        state, resolution = "resolved", choice(vocab.RESOLUTIONS)
                    else:
                        resolved_at = None
                rows["accounts.ServiceRequest"].append(
                    (take("accounts.ServiceRequest"), aid, kind, choice(vocab.SERVICE_TITLES[kind]),
                     "", severity, state, opened, due, resolved_at, resolution, owner)
                )  # fmt: skip

    # a standalone account -------------------------------------------------------------------
    def standalone(self, rng: random.Random, chunk: Chunk) -> None:
        industry = rng.choices(INDUSTRIES, INDUSTRY_CUM)[0]
        templates = TEMPLATES[industry]
        _, build, org_kind, level = rng.choices(templates, [t[0] for t in templates])[0]
        city = rng.choices(self.cities, self.city_cum)[0]
        district = rng.choices(city.districts, [d.weight for d in city.districts])[0]
        name = build(Ctx(rng, city, district))
        size = rng.choices(SIZES, SIZE_WEIGHTS[org_kind])[0]
        # City bureaus and big customers sit with the city's key-account team.
        at_city = level == "city" or (size == "large" and rng.random() < 0.7)
        if level == "city" and size == "micro":
            size = "small"
        self.account(
            rng, chunk, name=name, org_kind=org_kind, industry=industry, size=size, city=city,
            district=None if at_city else district, parent_id=None,
        )  # fmt: skip

    # a cross-region group: headquarters, branches in other cities, some sub-branches -----------
    def group(self, rng: random.Random, chunk: Chunk, budget: int) -> int:
        industry, word = rng.choice(GROUP_KINDS)
        hq_city = rng.choices(self.hq_cities, self.hq_city_w)[0]
        ctx = Ctx(rng, hq_city, hq_city.districts[0])
        base = f"广东{ctx.brand()}{word}集团有限公司"
        hq_id, hq_owner = self.account(
            rng, chunk, name=base, org_kind="enterprise", industry=industry, size="large",
            city=hq_city, district=None, parent_id=None, status="active",
        )  # fmt: skip
        made = 1
        team = chunk.rows["org.AccountTeamMember"]
        others = [c for c in self.cities if c is not hq_city]
        for city in rng.sample(others, min(len(others), rng.randint(2, 5))):
            if made >= budget:
                break
            district = rng.choice(city.districts)
            at_district = rng.random() < 0.5
            branch_id, _ = self.account(
                rng, chunk, name=f"{base}{city.name}分公司", org_kind="enterprise",
                industry=industry, size=rng.choice(("medium", "medium", "small")), city=city,
                district=district if at_district else None, parent_id=hq_id,
                status="active" if rng.random() < 0.9 else "churned",
            )  # fmt: skip
            made += 1
            # One-point service (一点受理): the headquarters' manager is on every branch's team.
            team.append(
                (
                    self.ids.take("org.AccountTeamMember"),
                    branch_id,
                    hq_owner,
                    "service_manager",
                    "read",
                )
            )
            if rng.random() < 0.35:
                for sub_district in rng.sample(city.districts, rng.randint(1, len(city.districts))):
                    if made >= budget:
                        break
                    dshort = Ctx(rng, city, sub_district).dshort
                    sub_id, _ = self.account(
                        rng, chunk, name=f"{base}{city.name}分公司{dshort}营业部",
                        org_kind="enterprise", industry=industry,
                        size=rng.choice(("small", "micro")), city=city, district=sub_district,
                        parent_id=branch_id, status="active",
                    )  # fmt: skip
                    made += 1
                    team.append(
                        (
                            self.ids.take("org.AccountTeamMember"),
                            sub_id,
                            hq_owner,
                            "service_manager",
                            "read",
                        )
                    )
        return made


def generate(spec: DemoSpec) -> Iterator[Chunk]:
    """The whole province: first regions and staff, then accounts in chunks of `chunk_size`."""
    plan = plan_staff(spec)
    first = Chunk()
    first.rows["org.Region"] = plan.regions
    first.rows["org.User"] = plan.users
    yield first
    maker = _AccountMaker(spec, plan)
    done = 0
    chunk_no = 0
    while done < spec.accounts:
        rng = FastRandom(f"{spec.seed}/accounts/{chunk_no}")
        target = min(spec.chunk_size, spec.accounts - done)
        chunk = Chunk()
        made = 0
        while made < target:
            # About one account in eight belongs to a cross-region group.
            if target - made >= 3 and rng.random() < 0.025:
                made += maker.group(rng, chunk, target - made)
            else:
                maker.standalone(rng, chunk)
                made += 1
        done += made
        chunk_no += 1
        yield chunk
