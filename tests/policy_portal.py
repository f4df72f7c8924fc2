"""A county portal holding every policy-interpretation case of issue 8, served over loopback HTTP.

Policy documents (县政府文件, TRS pages of five) and interpretations (政策解读, pages of four),
each case named after what a correct check must say about it. Every document page carries
a "热点解读" side list linking several interpretations: a trap, since it relates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from html import escape
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from monitor.siteserver import SiteServer

NOW = "2026-11-26T09:00:00+08:00"
BODY = ("为深入贯彻落实上级决策部署，进一步规范和加强相关工作，结合我县实际，现就有关事项通知如下。"
        "一、总体要求。坚持以人民为中心的发展思想，统筹推进各项工作，确保取得实效。"
        "二、重点任务。各乡镇、各部门要按照职责分工，细化工作措施，明确完成时限，抓好贯彻落实。"
        "三、保障措施。加强组织领导，强化督促检查，将落实情况纳入年度目标绩效考核。")


@dataclass
class Doc:
    key: str
    title: str
    day: date
    links_to: list[str] = field(default_factory=list)      # interpretation keys this page links to

    @property
    def path(self) -> str:
        return f"/zfwj/{self.day:%Y%m}/t{self.day:%Y%m%d}_{self.key}.html"


@dataclass
class Interp:
    key: str
    title: str
    day: date
    links_to: list[str] = field(default_factory=list)      # document keys this page links back to
    in_body: bool = False                                  # back link in the text rather than a block

    @property
    def path(self) -> str:
        return f"/zcjd/{self.day:%Y%m}/t{self.day:%Y%m%d}_{self.key}.html"


def documents() -> list[Doc]:
    """Newest first, as the column lists them; each comment says what a correct check reports."""
    title = "示例县人民政府关于印发《{}》的通知".format
    return [
        Doc("d1", title("示例县城乡环境综合治理办法"), date(2026, 11, 20), ["i1"]),     # linked both ways
        Doc("d2", "示例县人民政府关于加强安全生产监管工作的意见", date(2026, 11, 18)),  # no interpretation: red
        Doc("d3", title("示例县农村饮水工程运行管护办法"), date(2026, 11, 10)),          # i3 → d3 only
        Doc("d4", "示例县人民政府关于促进就业创业的若干措施", date(2026, 10, 28), ["i4"]),  # d4 → i4 only
        Doc("d5", title("示例县养老服务补贴管理办法"), date(2026, 10, 15)),              # paired by title only
        Doc("d6", title("示例县耕地保护激励办法"), date(2026, 9, 30), ["i6"]),           # i6 ten days late
        Doc("d7", "示例县人民政府关于张建国等同志职务任免的通知", date(2026, 9, 20)),    # exempt (任免)
        Doc("d9", title("示例县数字乡村建设实施方案"), date(2026, 8, 15), ["i9"]),       # i9: 一图读懂《…》
        Doc("d8", title("示例县河湖长制工作规则"), date(2026, 6, 1), ["i8"]),            # i8 on page 2
        Doc("old", title("示例县农机购置补贴办法"), date(2025, 10, 1)),                   # outside the window
        Doc("p3", title("示例县殡葬管理办法"), date(2025, 6, 1)),                         # page 3: never read
    ]


def interpretations() -> list[Interp]:
    return [
        Interp("i1", "《示例县城乡环境综合治理办法》政策解读", date(2026, 11, 20), ["d1"]),
        Interp("i3", "图解：我县出台农村饮水工程管护新规", date(2026, 11, 11), ["d3"], in_body=True),
        Interp("i4", "视频解读：稳就业十条措施", date(2026, 10, 29)),
        Interp("i5", "《示例县养老服务补贴管理办法》解读", date(2026, 10, 16)),
        Interp("i6", "《示例县耕地保护激励办法》政策解读", date(2026, 10, 10), ["d6"]),
        Interp("i9", "一图读懂《示例县数字乡村建设实施方案》", date(2026, 8, 15), ["d9"]),
        Interp("i8", "《示例县河湖长制工作规则》政策解读", date(2026, 6, 2), ["d8"]),
        Interp("h5", "H5：一起来看2026年县政府工作报告", date(2026, 3, 1)),
        Interp("qa", "政策问答：2025年城乡居民医保参保缴费指南", date(2025, 5, 1)),
    ]


NEWS = [("部门动态：县发改局召开项目推进会", date(2026, 11, 24)),
        ("部门动态：县发改局开展安全检查", date(2026, 11, 19)),
        ("部门动态：县发改局举办业务培训", date(2026, 11, 12))]

# What `monitor check --json` must find, by document key: (rule, severity, missing link).
EXPECTED = {
    "d2": [("policy.no_interpretation", "red", "interpretation")],
    "d3": [("policy.one_way_link", "yellow", "document_link")],
    "d4": [("policy.one_way_link", "yellow", "back_link")],
    "d5": [("policy.one_way_link", "yellow", "both")],
    "d6": [("policy.late_interpretation", "yellow", None)],
}

CONFIG = """
[monitor]
database = "{db}"

[crawl]
timeout_s = 2
retries = 0
enabled = false        # these tests count requests; the whole-site crawl has its own tests
{policy}
[[units]]
id = "xzfb"
name = "县政府办"

[[units]]
id = "fgj"
name = "县发改局"

[[sites]]
id = "portal"
name = "测试县人民政府"
url = "{base}/"
unit = "xzfb"

[[columns]]
id = "zfwj"
site = "portal"
name = "县政府文件"
url = "{base}/zfwj/"
category = "policy"
unit = "xzfb"

[[columns]]
id = "zcjd"
site = "portal"
name = "政策解读"
url = "{base}/zcjd/"
category = "interpretation"
unit = "xzfb"

[[columns]]
id = "bmdt"
site = "portal"
name = "部门动态"
url = "{base}/bmdt/"
category = "news"
unit = "fgj"
"""

HEAD = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}_测试县人民政府</title>{meta}</head><body>
<div class="top">今天是2026年11月26日 星期四</div>
<div class="nav"><a href="/">首页</a> <a href="/zfwj/">县政府文件</a> <a href="/zcjd/">政策解读</a>
<a href="/bmdt/">部门动态</a></div>
"""
FOOT = '<div class="foot">版权所有 © 2003-2026 测试县人民政府</div></body></html>'


def row(title: str, path: str, day: date) -> str:
    return f'<li><a href="{path}" title="{escape(title)}">{escape(title)}</a><span class="date">{day}</span></li>'


def list_page(name: str, rows: list[tuple[str, str, date]], page: int, pages: int, pager: str = "trs") -> str:
    """A TRS list page (``createPageHTML``), or one with a plain "下一页" link (``pager="next"``)."""
    items = "\n".join(row(*r) for r in rows)
    if pager == "trs":
        paging = f'<script>createPageHTML({pages}, {page}, "index", "html");</script>'
    else:
        paging = f'<a href="index_{page + 1}.html">下一页</a>' if page + 1 < pages else "下一页"
    return (HEAD.format(title=name, meta="") + f'<div class="main"><h2>{name}</h2><ul class="list">\n{items}\n</ul>'
            + f'<div class="page">共{pages}页 {paging}</div></div>' + FOOT)


PROXY = "/module/web/jpage/dataproxy.jsp"


def records(rows: list[tuple[str, str, date]]) -> str:
    return "".join(f"<record><![CDATA[{row(*r)}]]></record>\n" for r in rows)


def hanweb_page(name: str, rows: list[tuple[str, str, date]], held: int) -> str:
    """Hanweb jcms: the first ``held`` records in a datastore; the rest from dataproxy.jsp."""
    store = (f'<div id="991"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="{PROXY}?page=1&amp;'
             f'columnid=99&amp;unitid=991"></a>]]></nextgroup><recordset>{records(rows[:held])}</recordset>'
             f"</datastore></script><script>var totalRecord = {len(rows)}, perpage = {held};</script></div>")
    return HEAD.format(title=name, meta="") + f'<div class="main"><h2>{name}</h2>{store}</div>' + FOOT


def article(title: str, day: date, related: str, *, side: str = "", body_extra: str = "") -> str:
    meta = f'<meta name="ArticleTitle" content="{escape(title)}"><meta name="PubDate" content="{day} 10:00">'
    return (HEAD.format(title=escape(title), meta=meta)
            + '<div class="location">当前位置：<a href="/">首页</a> &gt; <a href="/zfwj/">政务公开</a></div>'
            + f'<div class="article"><h1>{escape(title)}</h1><div class="info">发布时间：{day} 10:00</div>'
            + f'<div class="content"><p>{BODY}</p>{body_extra}</div>{related}</div>{side}' + FOOT)


@dataclass
class PolicyPortal:
    """The fixture portal; tests edit cases (``docs``/``interps``) and call ``publish()`` again."""

    server: SiteServer
    pager: str = "trs"            # "trs", "next" (下一页 links), or "hanweb" (the interpretation column)
    docs: list[Doc] = field(default_factory=documents)
    interps: list[Interp] = field(default_factory=interpretations)

    @property
    def base(self) -> str:
        return self.server.base_url

    def doc(self, key: str) -> Doc:
        return next(d for d in self.docs if d.key == key)

    def interp(self, key: str) -> Interp:
        return next(i for i in self.interps if i.key == key)

    def url(self, path: str) -> str:
        return self.server.url(path)

    def publish(self) -> None:
        self._columns()
        by_key = {i.key: i for i in self.interps}
        docs = {d.key: d for d in self.docs}
        side = ('<div class="side hot"><h3>热点解读</h3><ul>'
                + "".join(f'<li><a href="{i.path}">{escape(i.title)}</a></li>' for i in self.interps[:5])
                + "</ul></div>")
        for d in self.docs:
            links = "".join(f'<a href="{by_key[k].path}">{escape(by_key[k].title)}</a>' for k in d.links_to)
            related = f'<div class="xgjd">相关解读：{links}</div>' if links else ""
            self.server.set(d.path, article(d.title, d.day, related, side=side))
        for i in self.interps:
            back = "".join(f'<a href="{docs[k].path}">{escape(docs[k].title)}</a>' for k in i.links_to)
            if i.in_body:
                self.server.set(i.path, article(i.title, i.day, "", body_extra=f"<p>政策原文：{back}</p>"))
            else:
                related = f'<div class="xgwj">原文链接：{back}</div>' if back else ""
                self.server.set(i.path, article(i.title, i.day, related))
        home = [(t, "/bmdt/" + f"{n}.html", d) for n, (t, d) in enumerate(NEWS)]
        self.server.set("/", list_page("首页", home, 0, 1))

    def _columns(self) -> None:
        docs = [(d.title, "." + d.path.removeprefix("/zfwj"), d.day) for d in self.docs]
        self._paged("/zfwj/", "县政府文件", docs, 5)
        interps = sorted(((i.title, i.path, i.day) for i in self.interps), key=lambda r: r[2], reverse=True)
        if self.pager == "hanweb":
            self.server.set("/zcjd/", hanweb_page("政策解读", interps, 4))
            self.server.route(PROXY, lambda handler: self._proxy(handler, interps))
        else:
            self._paged("/zcjd/", "政策解读", interps, 4)
        news = [(t, f"/bmdt/{n}.html", d) for n, (t, d) in enumerate(NEWS)]
        self.server.set("/bmdt/", list_page("部门动态", news, 0, 1))
        for n, (title, day) in enumerate(NEWS):
            self.server.set(f"/bmdt/{n}.html", article(title, day, ""))

    def _paged(self, folder: str, name: str, rows: list[tuple[str, str, date]], size: int) -> None:
        rows = sorted(rows, key=lambda r: r[2], reverse=True)
        chunks = [rows[k:k + size] for k in range(0, len(rows), size)]
        for n, chunk in enumerate(chunks):
            body = list_page(name, chunk, n, len(chunks), "next" if self.pager == "next" else "trs")
            self.server.set(folder + ("index.html" if n == 0 else f"index_{n}.html"), body)
            if n == 0:
                self.server.set(folder, body)


    @staticmethod
    def _proxy(handler: BaseHTTPRequestHandler, rows: list[tuple[str, str, date]]) -> None:
        """dataproxy.jsp: records ``startrecord``..``endrecord`` (1-based) as a bare datastore."""
        query = parse_qs(urlsplit(handler.path).query)
        first, last = int(query["startrecord"][0]), int(query["endrecord"][0])
        body = f"<?xml version='1.0' encoding='UTF-8'?><datastore><recordset>{records(rows[first - 1:last])}" \
               "</recordset></datastore>"
        data = body.encode("utf-8")
        handler.send_response(200)
        handler.send_header("Content-Type", "text/xml; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


def config_text(base: str, db: str, policy: str = "") -> str:
    return CONFIG.format(base=base, db=db, policy=policy)
