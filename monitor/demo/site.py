"""The bundled demo portal: 示例县人民政府, a small fictional county site.

``build_site(today)`` returns every page (path → (body bytes, content type)) of a
portal whose dates are all relative to ``today``, so ``monitor demo`` shows the
same picture whatever day it runs: three columns fresh, two yellow, two red, one
blank, one static, and the traps real sites set (a "今天是…" clock in the header,
a copyright year in the footer, pinned old items, a GBK page declared only in a
``<meta>``, Hanweb records inside ``<script type="text/xml">``, ``[MM-DD]``
dates, truncated titles, a future date inside a title).

``demo_config_text()`` writes the matching ``config.toml`` and
``expected_findings()`` says what a correct round must report — nothing else.
Every link on the site resolves, no page holds an unmasked resident ID, and the
policy documents and their interpretations are linked both ways and published
together, so no other rule has a reason to fire.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import jinja2

from monitor.demo.feeds import DEMO_ACCOUNTS, build_feeds

if TYPE_CHECKING:
    from monitor.siteserver import SiteServer

__all__ = [
    "DEMO_COLUMNS",
    "DEMO_UNITS",
    "HOMEPAGE_NEWEST_AGE",
    "NEWEST_AGE",
    "SITE_ID",
    "SITE_NAME",
    "DemoColumn",
    "DemoUnit",
    "build_site",
    "demo_config_text",
    "expected_findings",
    "publish",
]

SITE_ID = "portal"
SITE_NAME = "示例县人民政府"
SITE_UNIT = "xxzx"
COUNTY = "示例县"
DOMAIN = "www.example.gov.cn"          # fictional; the demo serves the site on 127.0.0.1

HTML_UTF8 = "text/html; charset=utf-8"
HTML_BARE = "text/html"                 # the GBK column: charset declared only in <meta>


class DemoColumn(NamedTuple):
    id: str
    name: str
    path: str
    category: str
    unit: str


class DemoUnit(NamedTuple):
    id: str
    name: str
    mobiles: tuple[str, ...]
    emails: tuple[str, ...]


DEMO_UNITS: list[DemoUnit] = [
    DemoUnit("xzfb", "县政府办", ("13800000001",), ("xzfb@example.gov.cn",)),
    DemoUnit("fgj", "县发改局", ("13800000002",), ("fgj@example.gov.cn",)),
    DemoUnit("rsj", "县人社局", ("13800000003",), ("rsj@example.gov.cn", "rsj-bgs@example.gov.cn")),
    DemoUnit("xxzx", "县信息中心", ("13800000004", "13800000005"), ("xxzx@example.gov.cn",)),
]

DEMO_COLUMNS: list[DemoColumn] = [
    DemoColumn("zwyw", "政务要闻", "/xwzx/zwyw/", "news", "xzfb"),
    DemoColumn("bmdt", "部门动态", "/xwzx/bmdt/", "news", "xxzx"),
    DemoColumn("xzdt", "乡镇动态", "/xwzx/xzdt/", "news", "xxzx"),
    DemoColumn("tzgg", "通知公告", "/zwgk/tzgg/", "notice", "xzfb"),
    DemoColumn("zfwj", "县政府文件", "/zwgk/zfwj/", "policy", "xzfb"),
    DemoColumn("zcjd", "政策解读", "/col/col1234/index.html", "interpretation", "xzfb"),
    DemoColumn("rsxx", "人事信息", "/zwgk/rsxx/", "personnel", "rsj"),
    DemoColumn("ghjh", "规划计划", "/zwgk/ghjh/", "planning", "fgj"),
    DemoColumn("jggk", "机构概况", "/zwgk/jggk/", "static", "xzfb"),
    DemoColumn("czyjs", "财政预决算", "/zwgk/czyjs/", "notice", "xzfb"),
]

# Designed age in days of each column's newest item (None: no dated item at all).
NEWEST_AGE: dict[str, int | None] = {
    "zwyw": 1, "bmdt": 11, "xzdt": 20, "tzgg": 5, "zfwj": 160, "zcjd": 3,
    "rsxx": 400, "ghjh": None, "jggk": None, "czyjs": 8,
}
# The homepage is published with a lag: its newest dated item is two days old.
HOMEPAGE_NEWEST_AGE = 2

_EXPECTED = [
    ("bmdt", "column.stale", "yellow"),
    ("xzdt", "column.stale", "red"),
    ("zfwj", "column.stale", "yellow"),
    ("rsxx", "column.stale", "red"),
    ("ghjh", "column.blank", "red"),
    ("wb-fabu", "account.stale", "yellow"),
    ("dy-rlzy", "account.stale", "red"),
]


def expected_findings() -> list[tuple[str, str, str]]:
    """(column or account id, rule, severity) a correct round over the demo reports, and nothing else."""
    return list(_EXPECTED)


# ---------------------------------------------------------------------------
# ages of every item, newest first (pinned items are listed first on the page)

_AGES: dict[str, list[int]] = {
    "zwyw": [1, 2, 2, 3, 4, 6, 7, 8, 9, 10, 13, 14, 15, 16, 17, 20, 21, 22, 23, 24, 27, 28, 29, 30],
    "bmdt": [11, 13, 15, 18, 22, 26, 31, 35, 41, 47, 52, 60, 66, 75, 83, 90],
    "xzdt": [20, 23, 27, 30, 36, 41, 45, 52, 58, 63, 71, 80, 88, 97],
    "tzgg": [5, 9, 14, 21, 28, 35, 44, 51, 60, 68, 77, 85, 96, 110, 123, 140],
    "zfwj": [160, 175, 190, 210, 232, 250, 271, 290, 318, 340, 365, 390, 420, 455, 490],
    "zcjd": [3, 12, 33, 58, 87, 121],           # plus one interpretation per policy document
    "rsxx": [400, 418, 445, 470, 502, 530, 566, 600, 640, 690, 730, 790, 850],
    "czyjs": [8, 19, 36, 62, 95, 130, 170, 210, 290, 330, 365, 400, 430],
}
_PINNED_AGES = {"tzgg": [400, 402], "czyjs": [250, 265]}
TRS_PER_PAGE = 15
HANWEB_COLUMN = 1234
HANWEB_UNIT = 4567890

# ---------------------------------------------------------------------------
# words

NAMES = ["王建国", "李明华", "张志强", "刘海涛", "陈晓东", "杨文静", "赵立新", "黄永平", "周丽萍", "吴德胜",
         "郑宏伟", "孙丽娟", "马志军", "胡晓燕", "郭振华", "何永刚"]
MAGISTRATE = "李明华"
DEPTS = ["发展和改革局", "教育局", "财政局", "人力资源和社会保障局", "自然资源局", "住房和城乡建设局",
         "交通运输局", "水利局", "农业农村局", "商务局", "文化和旅游局", "卫生健康局", "应急管理局",
         "审计局", "市场监督管理局", "统计局", "医疗保障局", "林业局", "民政局", "司法局"]
TOWNS = ["城关镇", "东坪镇", "石门镇", "柳河镇", "高桥镇", "新集乡", "白马乡", "龙潭镇", "清溪镇", "双河乡"]
TOPICS = ["乡村振兴", "安全生产", "森林防火", "防汛抗旱", "农村人居环境整治", "高标准农田建设", "招商引资",
          "食品安全", "大气污染防治", "河长制", "耕地保护", "根治欠薪", "文明城市创建", "政务公开",
          "数字政府建设", "老旧小区改造", "农村饮水安全", "就业创业", "养老服务", "普法宣传", "粮食安全",
          "防范非法集资", "道路交通安全", "燃气安全", "自建房安全", "消防安全", "义务教育均衡发展",
          "城乡居民医疗保险", "生态环境保护", "矛盾纠纷排查化解"]
PARTNERS = ["示例农业发展集团", "示例建工集团", "示例文旅投资公司", "示例新能源科技公司"]

TITLES = {
    "zwyw": ["示例县召开{t}工作推进会", "县委副书记、县长{mag}调研{t}工作", "县长{mag}主持召开县政府第{k}次常务会议",
             "示例县{t}工作取得阶段性成效", "副县长{n}带队督导{t}工作", "示例县召开{y}年{t}工作会议",
             "示例县开展{t}专项检查", "县政府与{p}签署战略合作协议", "示例县召开{t}工作联席会议"],
    "bmdt": ["县{d}召开{t}专题会议", "县{d}开展{t}宣传活动", "县{d}扎实推进{t}工作", "县{d}举办{t}业务培训班",
             "县{d}组织开展{t}“回头看”", "县{d}召开{y}年{t}工作部署会"],
    "xzdt": ["{w}党委政府多措并举扎实推进{t}工作取得明显成效", "{w}召开{y}年{t}工作部署会暨业务培训会",
             "{w}组织开展{t}专项行动全力守护群众生命财产安全", "{w}聚焦群众急难愁盼问题扎实做好{t}工作",
             "{w}举办{t}主题宣传活动营造全民参与良好氛围"],
    "tzgg": ["关于开展{y}年度{t}工作的通知", "关于做好{t}有关工作的通知", "示例县{d}关于进一步加强{t}工作的公告",
             "关于{y}年{t}项目的公示", "关于开展{t}专项检查的通知", "关于{t}期间有关事项的通告",
             "示例县{d}关于征求《{t}工作方案（征求意见稿）》意见的公告", "关于举办{y}年{t}培训班的通知"],
    "czyjs": ["县{d}{y}年部门预算公开", "县{d}{py}年度部门决算公开", "示例县{y}年上半年财政预算执行情况",
              "示例县{py}年度“三公”经费决算情况说明"],
}

TZGG_PINNED = ["关于公布示例县行政许可事项清单的公告", "示例县12345政务服务便民热线服务指南"]
CZYJS_PINNED = ["示例县{y}年县级一般公共预算公开", "示例县{py}年度县级财政决算公开"]
CZYJS_FIXED = {  # the title carries a date, the second one in the future of the item's own date
    0: "关于在{due}前报送{ny}年度部门预算建议数的通知",
    1: "关于{py}年度县级部门决算公开工作的通知",
}

# (title, document name inside 《》 or None when the title is the document, topic, office?)
POLICIES = [
    ("示例县人民政府关于印发《示例县农村人居环境整治提升五年行动实施方案》的通知",
     "示例县农村人居环境整治提升五年行动实施方案", "农村人居环境整治", False),
    ("示例县人民政府关于进一步加强森林防灭火工作的意见", None, "森林防灭火", False),
    ("示例县人民政府办公室关于印发《示例县城镇老旧小区改造项目管理办法》的通知",
     "示例县城镇老旧小区改造项目管理办法", "老旧小区改造", True),
    ("示例县人民政府关于印发《示例县高标准农田建设实施方案》的通知",
     "示例县高标准农田建设实施方案", "高标准农田建设", False),
    ("示例县人民政府关于进一步促进就业创业的若干措施", None, "就业创业", False),
    ("示例县人民政府办公室关于印发《示例县农村饮水安全工程运行管理办法》的通知",
     "示例县农村饮水安全工程运行管理办法", "农村饮水安全", True),
    ("示例县人民政府关于加快推进养老服务体系建设的实施意见", None, "养老服务", False),
    ("示例县人民政府关于印发《示例县粮食安全责任制考核办法》的通知",
     "示例县粮食安全责任制考核办法", "粮食安全", False),
    ("示例县人民政府办公室关于印发《示例县自建房安全专项整治工作方案》的通知",
     "示例县自建房安全专项整治工作方案", "自建房安全", True),
    ("示例县人民政府关于印发《示例县义务教育优质均衡发展实施方案》的通知",
     "示例县义务教育优质均衡发展实施方案", "义务教育均衡发展", False),
    ("示例县人民政府关于印发《示例县数字政府建设实施方案》的通知",
     "示例县数字政府建设实施方案", "数字政府建设", False),
    ("示例县人民政府办公室关于全面推行河湖长制的实施意见", None, "河湖长制", True),
    ("示例县人民政府关于印发《示例县燃气安全管理办法》的通知", "示例县燃气安全管理办法", "燃气安全", False),
    ("示例县人民政府关于印发《示例县城乡居民基本养老保险实施办法》的通知",
     "示例县城乡居民基本养老保险实施办法", "城乡居民养老保险", False),
    ("示例县人民政府关于加强耕地保护和改进占补平衡的实施意见", None, "耕地保护", False),
]
POLICY_DEPT = ["农业农村局", "林业局", "住房和城乡建设局", "农业农村局", "人力资源和社会保障局", "水利局",
               "民政局", "发展和改革局", "住房和城乡建设局", "教育局", "发展和改革局", "水利局",
               "住房和城乡建设局", "人力资源和社会保障局", "自然资源局"]

# interpretations of things that are not county policy documents (no pair to find)
ZCJD_OTHER = [
    ("图解：{y}年度医保参保缴费指南", "医疗保障局"),
    ("政策问答：{y}年秋季学期义务教育阶段学生资助政策", "教育局"),
    ("一图读懂示例市优化营商环境十条举措", "发展和改革局"),
    ("图解：退役军人优待证申领办理指南", "退役军人事务局"),
    ("政策问答：农村低保申请审核确认办法", "民政局"),
    ("一图读懂{y}年示例县政府工作报告", "人民政府办公室"),
]

RSXX = [
    ("示例县人民政府关于王建国等同志职务任免的通知", None),
    ("示例县{y}年公开招聘事业单位工作人员拟聘用人员公示", "roster"),
    ("示例县{y}年公开招聘事业单位工作人员考试总成绩及进入体检人员名单公告", None),
    ("示例县{y}年公开招聘事业单位工作人员公告", None),
    ("示例县人民政府关于刘海涛同志任职的通知", None),
    ("示例县{y}年“三支一扶”计划招募公告", None),
    ("关于陈晓东等同志任职前公示的公告", None),
    ("示例县{y}年公开考调机关工作人员公告", None),
    ("示例县人民政府关于杨文静等同志职务任免的通知", None),
    ("示例县{y}年公开招聘中小学教师拟聘用人员公示", "roster"),
    ("示例县{y}年公开招聘中小学教师公告", None),
    ("示例县人民政府关于赵立新同志免职的通知", None),
    ("示例县{y}年度县直机关公开遴选公务员公告", None),
]
ROSTER_NAMES = ["张晓雨", "李思远", "王梓涵", "刘一鸣", "陈嘉怡", "杨浩然", "赵欣悦", "黄子轩"]
POSTS = ["县人民医院临床医师", "县疾病预防控制中心检验", "乡镇农业服务中心技术员", "县融媒体中心编辑",
         "县城市管理服务中心综合岗"]

SENTENCES = [
    "{date}，示例县召开{t}工作会议，研究部署下一阶段重点工作。",
    "会议指出，{t}工作事关人民群众切身利益，各乡镇、各部门要进一步提高思想认识，压紧压实工作责任。",
    "会议强调，要坚持问题导向，聚焦重点领域和关键环节，扎实推进{t}各项任务落地见效。",
    "县{d}相关负责人介绍了{y}年以来{t}工作开展情况。",
    "截至目前，全县已累计完成{t}项目{k}个，完成投资{m}万元，惠及群众{k2}余人。",
    "下一步，示例县将持续巩固工作成果，健全长效机制，推动{t}工作再上新台阶。",
    "各单位要高度重视，明确专人负责，确保各项工作按时保质完成。",
    "{w}党委、政府高度重视，成立工作专班，逐村逐户开展排查，建立问题台账并限期整改。",
    "活动现场共发放宣传资料{k}余份，解答群众咨询{k3}人次，取得了良好的社会效果。",
    "县级相关部门负责同志参加会议。",
]
NOTICE_SENTENCES = [
    "各乡镇人民政府，县直各部门：",
    "为进一步做好{t}工作，根据上级有关要求，结合我县实际，现将有关事项通知如下。",
    "一、工作目标。到{y}年底，{t}工作体系进一步健全，群众满意度明显提升。",
    "二、工作措施。各单位要对照任务清单，逐项细化措施，明确责任人和完成时限。",
    "三、工作要求。各单位要高度重视，明确专人负责，确保各项工作按时保质完成。",
    "联系人：{n}，联系电话：0816-52{k4}。",
]

WEEKDAYS = "一二三四五六日"
# 堃 is in GBK but not in GB2312: the "gb2312" pages really are GBK, as on real sites
GBK_ONLY_NAME = "王堃"
COLUMN_NOTES = {"zfwj": f"本栏目由县政府办公室维护　联系人：{GBK_ONLY_NAME}　联系电话：0816-5221234"}


# ---------------------------------------------------------------------------
# model


@dataclass
class Item:
    title: str
    day: date
    time: str
    url: str                       # absolute path of the article
    href: str = ""                 # as written in the list
    list_date: str = ""
    pinned: bool = False
    source: str = ""
    paras: list[str] = field(default_factory=list)
    table: list[list[str]] = field(default_factory=list)
    attachments: list[dict[str, str]] = field(default_factory=list)
    related: Item | None = None   # the policy document ↔ its interpretation
    related_label: str = ""
    attach: bool = False
    docno: str = ""
    index_no: str = ""
    written: date | None = None
    signature: str = ""

    @property
    def pub(self) -> str:
        return f"{self.day.isoformat()} {self.time}"

    @property
    def day_cn(self) -> str:
        return _cn(self.day)

    @property
    def written_cn(self) -> str:
        return _cn(self.written) if self.written else ""


def _cn(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _rng(*parts: object) -> random.Random:
    return random.Random(":".join(str(p) for p in parts))


def _truncate_cn(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n] + "…"


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["truncate_cn"] = _truncate_cn
    return env


# ---------------------------------------------------------------------------
# the site


def build_site(today: date) -> dict[str, tuple[bytes, str]]:
    """Every page of the demo portal for ``today``: path → (body, content type). Deterministic."""
    return _Builder(today).build() | build_feeds(today)


def publish(server: SiteServer, today: date) -> SiteServer:
    """Put the demo portal for ``today`` on ``server`` (started or not) and return it."""
    for path, (body, content_type) in build_site(today).items():
        server.set(path, body, content_type)
    return server


class _Builder:
    def __init__(self, today: date) -> None:
        self.today = today
        self.pages: dict[str, tuple[bytes, str]] = {}
        self.items: dict[str, list[Item]] = {}
        self.cols = {c.id: c for c in DEMO_COLUMNS}
        self.sections = [
            {"slug": "xwzx", "name": "新闻中心", "href": "/xwzx/zwyw/",
             "columns": [self.cols[c] for c in ("zwyw", "bmdt", "xzdt")]},
            {"slug": "zwgk", "name": "政务公开", "href": "/zwgk/tzgg/",
             "columns": [self.cols[c] for c in ("tzgg", "zfwj", "zcjd", "rsxx", "ghjh", "jggk", "czyjs")]},
        ]
        self.hot: list[Item] = []

    # ---- helpers -------------------------------------------------------------
    def day(self, age: int) -> date:
        return self.today - timedelta(days=age)

    def assign_urls(self) -> None:
        """Article ids grow with publication time, as a CMS hands them out; then the URLs follow."""
        everything = sorted((it.day, it.time, col, n) for col, items in self.items.items()
                            for n, it in enumerate(items))
        rng, art_id = _rng("ids"), 100200
        for d, _, col, n in everything:
            art_id += rng.randint(3, 40)
            it = self.items[col][n]
            if col == "zcjd":    # Hanweb jcms
                it.url = f"/art/{d.year}/{d.month}/{d.day}/art_{HANWEB_COLUMN}_{art_id}.html"
            else:                # TRS
                it.url = f"{self.cols[col].path}{d:%Y%m}/t{d:%Y%m%d}_{art_id}.html"
            if it.attach:
                folder, name = it.url.rsplit("/", 1)[0] + "/", f"P0{art_id}1.pdf"
                it.attachments = [{"href": "./" + name, "path": folder + name,
                                   "label": f"附件1：{_truncate_cn(it.title, 20)}.pdf"}]

    @staticmethod
    def clock_time(rng: random.Random) -> str:
        return f"{rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}"

    def fill(self, template: str, rng: random.Random, d: date, **extra: Any) -> str:
        values = {"t": rng.choice(TOPICS), "d": rng.choice(DEPTS), "w": rng.choice(TOWNS),
                  "n": rng.choice([n for n in NAMES if n != MAGISTRATE]), "mag": MAGISTRATE,
                  "p": rng.choice(PARTNERS), "y": d.year, "py": d.year - 1, "ny": d.year + 1,
                  "k": rng.randint(12, 98), "k2": rng.randint(200, 9800), "k3": rng.randint(60, 900),
                  "k4": rng.randint(10000, 99999), "m": rng.randint(120, 9800),
                  "date": f"{d.month}月{d.day}日"}
        values.update(extra)
        return template.format(**values)

    def titles(self, col: str, ages: list[int]) -> list[str]:
        """Distinct titles drawn from the column's templates (deterministic; years follow the item dates)."""
        rng, seen, out = _rng("titles", col), set(), []
        for i, age in enumerate(ages):
            d = self.day(age)
            for _ in range(200):
                title = self.fill(TITLES[col][(i + rng.randint(0, 3)) % len(TITLES[col])], rng, d)
                if title not in seen:
                    break
            seen.add(title)
            out.append(title)
        return out

    def news_paras(self, rng: random.Random, d: date, topic: str) -> list[str]:
        picks = [0, *rng.sample(range(1, len(SENTENCES)), rng.randint(3, 6))]
        return [self.fill(SENTENCES[i], rng, d, t=topic) for i in picks]

    def notice_paras(self, rng: random.Random, d: date, topic: str) -> list[str]:
        return [self.fill(s, rng, d, t=topic) for s in NOTICE_SENTENCES]

    @staticmethod
    def topic_of(title: str) -> str:
        return next((t for t in TOPICS if t in title), "政务公开")

    # ---- items ---------------------------------------------------------------
    def make_news(self, col: str) -> None:
        ages = _AGES[col]
        items = []
        for i, (age, title) in enumerate(zip(ages, self.titles(col, ages), strict=True)):
            rng, d = _rng(col, i), self.day(age)
            it = Item(title, d, self.clock_time(rng), "")
            it.source = "示例县融媒体中心" if col == "zwyw" else (
                "示例县" + next(d for d in DEPTS if d in title) if col == "bmdt"
                else next(w for w in TOWNS if w in title))
            it.paras = self.news_paras(rng, d, self.topic_of(title))
            items.append(it)
        self.items[col] = items

    def make_notices(self, col: str) -> None:
        pinned_titles = TZGG_PINNED if col == "tzgg" else CZYJS_PINNED
        items = []
        for i, age in enumerate(_PINNED_AGES[col]):
            rng, d = _rng(col, "pinned", i), self.day(age)
            it = Item(self.fill(pinned_titles[i], rng, d), d, self.clock_time(rng), "", pinned=True)
            items.append(it)
        regular = self.titles(col, _AGES[col])
        for i, age in enumerate(_AGES[col]):
            rng, d = _rng(col, i), self.day(age)
            title = regular[i]
            if col == "czyjs" and i in CZYJS_FIXED:
                title = self.fill(CZYJS_FIXED[i], rng, d, due=_cn(d + timedelta(days=30)))
            items.append(Item(title, d, self.clock_time(rng), ""))
        for i, it in enumerate(items):
            rng = _rng(col, "body", i)
            dept = next((d for d in DEPTS if d in it.title), None)
            it.source = "示例县财政局" if col == "czyjs" else f"示例县{dept or '人民政府办公室'}"
            it.paras = self.notice_paras(rng, it.day, self.topic_of(it.title))
            it.attach = col == "czyjs" or i % 4 == 1
        self.items[col] = items

    def make_policies(self) -> None:
        docs, interps = [], []
        for i, ((title, name, topic, office), age) in enumerate(zip(POLICIES, _AGES["zfwj"], strict=True)):
            rng, d = _rng("zfwj", i), self.day(age)
            doc = Item(title, d, f"{rng.randint(9, 11):02d}:{rng.randint(0, 59):02d}", "")
            doc.written = d - timedelta(days=2)
            prefix = "示府办发" if office else "示政发"
            doc.docno = f"{prefix}〔{doc.written.year}〕{max(1, doc.written.timetuple().tm_yday // 12)}号"
            doc.index_no = f"MB1561234/{doc.written.year}-{(doc.written.timetuple().tm_yday * 7) % 1000:05d}"
            doc.source = "示例县人民政府办公室" if office else SITE_NAME
            doc.signature = "示例县人民政府办公室" if office else SITE_NAME
            doc_name = name or title
            doc.paras = [
                "各乡镇人民政府，县政府各部门，有关单位：",
                (f"《{name}》已经县政府第{rng.randint(20, 60)}次常务会议审议通过，现印发给你们，"
                 "请认真抓好贯彻落实。" if name else
                 f"为深入贯彻落实党中央、国务院和省委、省政府关于{topic}工作的决策部署，"
                 f"推动全县{topic}工作高质量发展，结合我县实际，提出如下意见。"),
                f"一、总体要求。坚持以人民为中心的发展思想，统筹推进{topic}各项工作，"
                f"到{d.year + 2}年，{topic}工作体系基本健全，保障能力明显增强。",
                f"二、重点任务。（一）健全工作机制；（二）加大投入保障；（三）强化督促检查。"
                f"县{POLICY_DEPT[i]}牵头，各乡镇、各部门按职责分工抓好落实。",
                "三、保障措施。各地各部门要加强组织领导，压实工作责任，"
                "将工作落实情况纳入年度目标绩效考核。",
                "本文件自印发之日起施行，有效期5年。",
                f"（此件公开发布）（联系人：县政府办公室 {GBK_ONLY_NAME}，联系电话：0816-5221234）",
            ]
            # the interpretation: published the same day or the day after, linked both ways
            lag = i % 2
            j_rng, j_day = _rng("zcjd", "pair", i), d + timedelta(days=lag)
            interp = Item(f"《{doc_name}》政策解读", j_day, f"{15 + lag}:{j_rng.randint(10, 59):02d}", "")
            interp.source = f"示例县{POLICY_DEPT[i]}"
            interp.paras = [
                f"一、起草背景。为贯彻落实上级关于{topic}工作的部署要求，解决我县{topic}工作中存在的短板弱项，"
                f"县{POLICY_DEPT[i]}牵头起草了《{doc_name}》。",
                f"二、主要内容。文件共分为总体要求、重点任务、保障措施三个部分，明确了{topic}工作的目标任务和责任分工。",
                f"三、主要亮点。突出问题导向和目标导向，建立健全{topic}长效工作机制。",
                f"四、解读机关及联系方式。解读机关：示例县{POLICY_DEPT[i]}；"
                f"解读人：{j_rng.choice(NAMES)}；联系电话：0816-52{j_rng.randint(10000, 99999)}。",
            ]
            doc.related, doc.related_label = interp, "相关解读"
            interp.related, interp.related_label = doc, "相关文件"
            docs.append(doc)
            interps.append(interp)
        others = []
        for i, ((template, dept), age) in enumerate(zip(ZCJD_OTHER, _AGES["zcjd"], strict=True)):
            rng, d = _rng("zcjd", i), self.day(age)
            it = Item(self.fill(template, rng, d), d, self.clock_time(rng), "")
            it.source = f"示例县{dept}"
            it.paras = [f"为便于广大群众及时了解相关政策，县{dept}对有关内容进行了梳理，现解读如下。",
                        "一、适用对象。在本县行政区域内符合条件的群众均可按规定申请办理。",
                        "二、办理流程。申请人可通过县政务服务中心窗口或线上平台提交材料，承办单位按时限办结。",
                        f"三、咨询方式。咨询电话：0816-52{rng.randint(10000, 99999)}（工作日办公时间）。"]
            others.append(it)
        self.items["zfwj"] = docs
        self.items["zcjd"] = sorted(others + interps, key=lambda it: (it.day, it.time), reverse=True)

    def make_personnel(self) -> None:
        items = []
        for i, ((template, kind), age) in enumerate(zip(RSXX, _AGES["rsxx"], strict=True)):
            rng, d = _rng("rsxx", i), self.day(age)
            it = Item(self.fill(template, rng, d), d, self.clock_time(rng), "")
            recruiting = any(word in it.title for word in ("招", "遴选", "考调"))
            it.source = "示例县人力资源和社会保障局" if recruiting else SITE_NAME
            if recruiting:
                it.paras = ["根据《事业单位人事管理条例》《公务员录用规定》等有关规定，"
                            "按照公开、平等、竞争、择优的原则，现将有关事项公告如下。",
                            "一、报名条件。具有中华人民共和国国籍，遵守宪法和法律，具有良好的品行和岗位所需的专业能力。",
                            "二、报名方式。采取网上报名方式进行，报考人员只能选择一个岗位报名。",
                            "公示期间，如有异议，可通过来信、来电、来访等方式向县人力资源和社会保障局反映。"
                            "反映问题要实事求是，并提供具体线索。",
                            f"监督电话：0816-52{rng.randint(10000, 99999)}。"]
            else:
                people = "、".join(n for n in NAMES if n in it.title) or rng.choice(NAMES)
                it.paras = ["各乡镇人民政府，县政府各部门：",
                            f"经县人民政府研究决定，对{people}等同志职务作如下调整。",
                            f"{people}同志任县{rng.choice(DEPTS)}副局长（试用期一年）；免去其原任职务。",
                            "以上同志的任免时间自本通知印发之日起计算。"]
            if kind == "roster":
                rows = [["序号", "姓名", "性别", "身份证号", "报考岗位", "总成绩"]]
                for k, person in enumerate(rng.sample(ROSTER_NAMES, 5), start=1):
                    tail = f"{rng.randint(0, 999):03d}{rng.choice('0123456789X')}"
                    rows.append([str(k), person, rng.choice(["男", "女"]), f"510799********{tail}",
                                 rng.choice(POSTS), f"{rng.randint(700, 880) / 10:.1f}"])
                it.table = rows
            items.append(it)
        self.items["rsxx"] = items

    # ---- list dates and hrefs as each style writes them ------------------------
    def dress_lists(self) -> None:
        fmt = {
            "zwyw": lambda d: d.isoformat(),
            "bmdt": lambda d: f"[{d:%m-%d}]",
            "xzdt": lambda d: f"{d:%Y/%m/%d}",
            "tzgg": lambda d: d.isoformat(),
            "zfwj": _cn,
            "zcjd": lambda d: d.isoformat(),
            "rsxx": lambda d: d.isoformat(),
            "czyjs": lambda d: f"{d:%Y.%m.%d}",
        }
        for col, items in self.items.items():
            path = self.cols[col].path
            for it in items:
                it.list_date = fmt[col](it.day)
                absolute = col in ("bmdt", "czyjs", "zcjd")
                it.href = it.url if absolute else "./" + it.url.removeprefix(path)

    # ---- rendering -------------------------------------------------------------
    def ctx(self, active: str) -> dict[str, Any]:
        return {
            "active": active, "nav": self.sections, "hot": self.hot,
            "site": {"name": SITE_NAME, "domain": DOMAIN, "code": "5199990001",
                     "email": "zwgk@example.gov.cn"},
            "clock": {"date": _cn(self.today), "weekday": "星期" + WEEKDAYS[self.today.weekday()],
                      "year": self.today.year},
            "section": None, "column": None,
        }

    def put(self, path: str, template: str, charset: str = "utf-8", **ctx: Any) -> None:
        text = _env().get_template(template).render(**ctx, charset=charset)
        if charset == "utf-8":
            self.pages[path] = (text.encode("utf-8"), HTML_UTF8)
        else:
            self.pages[path] = (text.encode("gbk", errors="xmlcharrefreplace"), HTML_BARE)

    def section_of(self, col: str) -> dict[str, Any]:
        return next(s for s in self.sections if any(c.id == col for c in s["columns"]))

    def render_column(self, col: str, style: str, charset: str = "utf-8") -> None:
        column, section = self.cols[col], self.section_of(col)
        items = self.items.get(col, [])
        base = self.ctx(section["slug"]) | {"section": section, "column": column, "style": style,
                                            "unit_id": HANWEB_UNIT, "col_num": HANWEB_COLUMN,
                                            "note": COLUMN_NOTES.get(col, "")}
        title = f"{column.name}_{SITE_NAME}"
        if style == "datastore":
            self.put(column.path, "list.html", charset, **base, page_title=title, items=items, pages=0, page=0)
        else:
            per_page = TRS_PER_PAGE if style in ("ul", "pinned", "dotted", "policy") else len(items) or 1
            chunks = [items[k:k + per_page] for k in range(0, len(items), per_page)] or [[]]
            for k, chunk in enumerate(chunks):
                ctx = base | {"page_title": title, "items": chunk, "pages": len(chunks), "page": k}
                name = "index.html" if k == 0 else f"index_{k}.html"
                self.put(column.path + name, "list.html", charset, **ctx)
                if k == 0:
                    self.pages[column.path] = self.pages[column.path + name]
        for it in items:
            ctx = self.ctx(section["slug"]) | {"section": section, "column": column, "it": it}
            self.put(it.url, "article.html", charset, page_title=f"{it.title}_{SITE_NAME}", **ctx)
            for a in it.attachments:
                self.pages[a["path"]] = (_pdf(it.title), "application/pdf")

    def render_home(self) -> None:
        zwyw = [it for it in self.items["zwyw"] if (self.today - it.day).days >= HOMEPAGE_NEWEST_AGE][:8]
        tzgg = [it for it in self.items["tzgg"] if not it.pinned][:7]
        self.put("/", "home.html", page_title=SITE_NAME, **self.ctx("home"),
                 zwyw=zwyw, tzgg=tzgg, columns=DEMO_COLUMNS)
        self.pages["/index.html"] = self.pages["/"]

    def render_static(self) -> None:
        jggk, section = self.cols["jggk"], self.section_of("jggk")
        sub = [("/zwgk/jggk/ldxx.html", "领导信息"), ("/zwgk/jggk/jgzn.html", "机构职能"),
               ("/zwgk/jggk/nsjg.html", "内设机构")]
        base = self.ctx("zwgk") | {"section": section, "column": jggk}
        crumbs = [(section["href"], section["name"]), (jggk.path, jggk.name)]
        self.put(jggk.path + "index.html", "page.html", **base, page_title=f"机构概况_{SITE_NAME}",
                 crumbs=crumbs, heading="机构概况", links=sub, paras=[
                     "示例县人民政府是示例县国家行政机关，执行县人民代表大会及其常务委员会的决议，"
                     "执行上级国家行政机关的决定和命令，规定行政措施，发布决定和命令。",
                     "县人民政府实行县长负责制。县长领导县人民政府的工作，副县长协助县长工作。",
                     "县人民政府设立办公室和工作部门，在县长领导下负责本行政区域内的各项行政工作。",
                 ], table=[["办公地址", "示例县城关镇人民路88号"], ["办公时间", "工作日 8:30-12:00，14:30-17:30"],
                           ["联系电话", "0816-5221234"], ["邮政编码", "619900"]])
        self.pages[jggk.path] = self.pages[jggk.path + "index.html"]
        bodies = {
            "领导信息": ([], [["职务", "姓名", "分工"],
                          ["县委副书记、县长", MAGISTRATE, "主持县政府全面工作"],
                          ["县委常委、常务副县长", "郑宏伟", "负责县政府常务工作，分管发展改革、财政、审计"],
                          ["副县长", "孙丽娟", "负责教育、卫生健康、医疗保障、民政工作"],
                          ["副县长", "马志军", "负责农业农村、水利、林业、乡村振兴工作"],
                          ["副县长", "胡晓燕", "负责住房城乡建设、交通运输、应急管理工作"]]),
            "机构职能": (["执行县人民代表大会及其常务委员会的决议，以及上级国家行政机关的决定和命令。",
                         "领导所属各工作部门和下级人民政府的工作。",
                         "管理本行政区域内的经济、教育、科学、文化、卫生、体育事业、环境和资源保护、城乡建设事业"
                         "和财政、民政、公安、民族事务、司法行政、监察、计划生育等行政工作。",
                         "保护社会主义的全民所有的财产和劳动群众集体所有的财产，保护公民私人所有的合法财产，"
                         "维护社会秩序，保障公民的人身权利、民主权利和其他权利。"], []),
            "内设机构": ([], [["机构名称", "联系电话"]] + [[f"示例县{d}", f"0816-52{2000 + 37 * k}"]
                                                       for k, d in enumerate(DEPTS[:12])]),
        }
        for path, name in sub:
            paras, table = bodies[name]
            self.put(path, "page.html", **base, page_title=f"{name}_{SITE_NAME}",
                     crumbs=[*crumbs, (path, name)], heading=name, links=[], paras=paras, table=table)
        # 网站地图 and the search form's target
        links = [(c.path, c.name) for c in DEMO_COLUMNS]
        self.put("/wzdt/", "page.html", **self.ctx("home"), page_title=f"网站地图_{SITE_NAME}",
                 crumbs=[("/wzdt/", "网站地图")], heading="网站地图", links=links, paras=[], table=[])
        self.pages["/wzdt/index.html"] = self.pages["/wzdt/"]
        self.put("/search/search.jsp", "page.html", **self.ctx("home"), page_title=f"站内搜索_{SITE_NAME}",
                 crumbs=[("/search/search.jsp", "站内搜索")], heading="站内搜索", links=[],
                 paras=["请输入关键字进行搜索。"], table=[])
        self.pages["/module/web/jpage/dataproxy.jsp"] = (
            b'<?xml version="1.0" encoding="UTF-8"?><datastore><nextgroup><![CDATA[]]></nextgroup>'
            b"<recordset></recordset></datastore>", "text/xml; charset=utf-8")

    def build(self) -> dict[str, tuple[bytes, str]]:
        for col in ("zwyw", "bmdt", "xzdt"):
            self.make_news(col)
        self.make_notices("tzgg")
        self.make_policies()
        self.make_personnel()
        self.make_notices("czyjs")
        self.assign_urls()
        self.dress_lists()
        regular = {col: [it for it in self.items[col] if not it.pinned] for col in ("tzgg", "czyjs")}
        self.hot = [self.items["zwyw"][0], self.items["zwyw"][3], regular["tzgg"][0],
                    self.items["zcjd"][0], regular["czyjs"][1]]
        self.render_home()
        for col, style in (("zwyw", "ul"), ("bmdt", "table"), ("xzdt", "div"), ("tzgg", "pinned"),
                           ("zcjd", "datastore"), ("rsxx", "ul"), ("ghjh", "ul"), ("czyjs", "dotted")):
            self.render_column(col, style)
        self.render_column("zfwj", "policy", charset="gb2312")
        self.render_static()
        self.pages.update(_assets())
        return dict(sorted(self.pages.items()))


# ---------------------------------------------------------------------------
# static assets

_PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf000000030101004f6d2f3a0000000049454e44ae426082")

_CSS = """\
body{margin:0;font:14px/1.8 "Microsoft YaHei",SimSun,sans-serif;color:#333;background:#f5f5f5}
a{color:#333;text-decoration:none}a:hover{color:#c00}
.w{width:1200px;margin:0 auto}.clearfix:after{content:"";display:block;clear:both}
.fl{float:left}.fr{float:right}
.topbar{background:#eee;height:32px;line-height:32px;font-size:12px}
.header{height:120px;background:#b5121b}.header .logo{float:left;margin-top:20px}
.search{float:right;margin-top:44px}.search-text{width:220px;height:28px}
.nav{background:#8f0e15}.nav li{float:left;list-style:none;position:relative}
.nav li a{display:block;padding:0 28px;line-height:46px;color:#fff;font-size:16px}
.nav .subnav{display:none;position:absolute;background:#fff;z-index:9}
.nav li:hover .subnav{display:block}.nav .subnav a{color:#333;line-height:32px}
.main{background:#fff;margin-top:12px;padding:16px}
.location{color:#666;border-bottom:1px solid #ddd;margin-bottom:12px}
.side{float:left;width:260px}.content{float:right;width:900px}
.side-box{border:1px solid #e2e2e2;margin-bottom:12px}
.side-box h3{background:#b5121b;color:#fff;margin:0;padding:0 12px}
.list li{list-style:none;border-bottom:1px dashed #ddd;line-height:38px}
.list li .date,.list-rows .time{float:right;color:#999}
.list li.top .zd,.list-cz .zd{color:#c00;margin-right:4px}
.list-wj .wh{display:inline-block;width:180px;color:#666;margin-left:12px}
.list-rows .row{border-bottom:1px dashed #ddd;line-height:38px}
.list-table td{border-bottom:1px dashed #ddd;height:38px}
.no-data{padding:80px 0;text-align:center;color:#999}
.page{text-align:center;margin:20px 0}
.article h1{text-align:center;font-size:24px;color:#b5121b}.article .info{text-align:center;color:#999}
.article .info span{margin:0 8px}.TRS_Editor p{text-indent:2em}
.xxgk-info{border:1px solid #ddd;background:#fafafa;margin-bottom:16px}
.footer{background:#8f0e15;color:#fff;text-align:center;padding:16px 0;margin-top:16px;font-size:13px}
.footer a{color:#fff}
.home-left{float:left;width:880px}.home-right{float:right;width:280px}
.block{margin-bottom:16px}.block-hd{border-bottom:2px solid #b5121b}.block-hd h3{display:inline-block;margin:0}
.block-hd .more{float:right;font-size:12px}.block-list li{list-style:none;line-height:34px}
.block-list .date{float:right;color:#999}.entries a{display:inline-block;width:160px;line-height:40px}
"""

_JS = """\
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount <= 1){ return; }
  var html = "共" + _nPageCount + "页&nbsp;&nbsp;";
  for(var i = 0; i < _nPageCount; i++){
    var name = (i == 0) ? _sPageName + "." + _sPageExt : _sPageName + "_" + i + "." + _sPageExt;
    html += (i == _nCurrIndex) ? "<span class='current'>" + (i + 1) + "</span>&nbsp;"
                               : "<a href='" + name + "'>" + (i + 1) + "</a>&nbsp;";
  }
  document.write(html);
}
function addFav(){
  try{ window.external.addFavorite(location.href, document.title); }catch(e){ alert("请使用Ctrl+D收藏本站"); }
}
function setHome(obj){ try{ obj.style.behavior = "url(#default#homepage)"; obj.setHomePage(location.href); }catch(e){} }
function setFont(size){ var el = document.querySelector(".TRS_Editor"); if(el){ el.style.fontSize = size + "px"; } }
function wza(){ return false; }
"""


def _pdf(title: str) -> bytes:
    return (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n% " + title.encode("utf-8") + b"\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


def _assets() -> dict[str, tuple[bytes, str]]:
    return {
        "/css/style.css": (_CSS.encode("utf-8"), "text/css"),
        "/js/common.js": (_JS.encode("utf-8"), "application/javascript"),
        "/images/logo.png": (_PNG_1PX, "image/png"),
        "/images/banner.png": (_PNG_1PX, "image/png"),
        "/images/dot.png": (_PNG_1PX, "image/png"),
    }


# ---------------------------------------------------------------------------
# config


def _q(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)


def _qlist(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


def demo_config_text(base_url: str, database_url: str) -> str:
    """A complete ``config.toml`` (DESIGN §6) for the demo portal served at ``base_url``."""
    base = base_url.rstrip("/")
    out = [
        "# 政务公开巡检 — 演示配置（由 monitor demo 生成）",
        f"# {SITE_NAME}（{DOMAIN}）是虚构站点，演示时由本机 {base} 临时提供。",
        "# 演示不发送任何通知：没有 [notify] 配置。",
        "",
        "[monitor]",
        'timezone = "Asia/Shanghai"',
        f"database = {_q(database_url)}",
        'recheck_time = "09:00"',
        "working_days_only = false",
        "",
        "[schedule]",
        'round = "mon 02:00"',
        'probe = "every 1h"',
        'digest = "mon 09:00"',
        "",
        "[crawl]",
        "concurrency = 8",
        "per_host = 8",
        "timeout_s = 5",
        "max_pages = 2000",
        "max_bytes = 2000000",
        'user_agent = "zwgk-monitor/1.0 (+demo)"',
    ]
    for unit in DEMO_UNITS:
        out += ["", "[[units]]", f"id = {_q(unit.id)}", f"name = {_q(unit.name)}",
                f"dingtalk_mobiles = {_qlist(unit.mobiles)}", f"emails = {_qlist(unit.emails)}"]
    out += ["", "[[sites]]", f"id = {_q(SITE_ID)}", f"name = {_q(SITE_NAME)}", f"url = {_q(base + '/')}",
            f"unit = {_q(SITE_UNIT)}"]
    for col in DEMO_COLUMNS:
        out += ["", "[[columns]]", f"id = {_q(col.id)}", f"site = {_q(SITE_ID)}", f"name = {_q(col.name)}",
                f"url = {_q(base + col.path)}", f"category = {_q(col.category)}", f"unit = {_q(col.unit)}"]
    for acc in DEMO_ACCOUNTS:
        out += ["", "[[accounts]]", f"id = {_q(acc.id)}", f"platform = {_q(acc.platform)}", f"name = {_q(acc.name)}",
                f"unit = {_q(acc.unit)}", f"feed = {_q(base + acc.path)}"]
    return "\n".join(out) + "\n"
