"""Replay answers for tieba.baidu.com: forum lists and thread pages rendered from ``_threads.json``.

The page shapes follow the real PC site: the list's thread items sit inside an HTML comment in a
``<code class="pagelet_html">`` element (the site fills the DOM from it with JavaScript), each
``li.j_thread_list`` and each floor ``div.l_post`` carries an HTML-escaped ``data-field`` JSON
attribute, and the thread page says ``N回复贴，共M页`` in ``li.l_reply_num``. Forums named in
``blocked_forums`` answer with the short security-check page the site shows crawlers; a deleted
thread answers with the site's "该贴已被删除" page (HTTP 200, as the site does). Real shapes
from issue 14: ``ad_threads`` get ad blocks between floors (floor classes plus a random suffix,
one naming another thread in its data-field and repeating a floor number), and the list pages in
``mobile_lists`` answer in the mobile layout (``ul#frslistcontent``, ``li.tl_shadow``,
``a.ti_item[tid]``) with one promoted item.

Times in the data are shifted by whole days so the data's anchor day is the server's today
(China time): lists then show today's replies as ``HH:MM``, this year's as ``M-D`` and older ones
as ``YYYY-M``, like the real site.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta, timezone
from html import escape
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

HERE = Path(__file__).resolve().parent
CHINA = timezone(timedelta(hours=8))
HTML = {"Content-Type": "text/html; charset=UTF-8"}


class TiebaSite:
    """The fixture data with times shifted to ``today``; renders pages."""

    def __init__(self, data: dict, today: date | None = None):
        self.data = data
        anchor = datetime.fromisoformat(data["anchor"])
        self.today = today or datetime.now(CHINA).date()
        self.shift = timedelta(days=(self.today - anchor.date()).days)
        self.per_page = data["floors_per_page"]
        self.list_size = data["threads_per_page"]
        self.threads = {t["tid"]: t for t in data["threads"]}
        self.forums = data["forums"]

    # -- data views ----------------------------------------------------------------------------
    def when(self, text: str) -> datetime:
        return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=CHINA) + self.shift

    def ordered(self, forum: str) -> list[dict]:
        """Threads as the list shows them: pinned first, then by last reply, newest first."""
        ts = [t for t in self.data["threads"] if t["forum"] == forum]
        return sorted(ts, key=lambda t: (not t["top"], -self.when(t["posts"][-1]["time"]).timestamp()))

    def list_slice(self, forum: str, pn: int) -> tuple[list[dict], bool]:
        """(threads on the list page starting at ``pn``, whether the pager links a next page)."""
        ordered = self.ordered(forum)
        cfg = self.forums[forum]
        items = ordered[pn:pn + self.list_size]
        if cfg.get("dup_page_starts") and pn > 0 and items:
            items = [ordered[pn - 1]] + items  # a thread bumped while paging shows up twice
        more = pn + self.list_size < len(ordered) or (cfg.get("stale_pager") and pn == 0)
        return items, bool(more)

    def pages(self, thread: dict) -> int:
        return max(1, -(-len(thread["posts"]) // self.per_page))

    def short_time(self, dt: datetime) -> str:
        if dt.date() == self.today:
            return dt.strftime("%H:%M")
        if dt.year == self.today.year:
            return f"{dt.month}-{dt.day}"
        return f"{dt.year}-{dt.month}"

    # -- pages ---------------------------------------------------------------------------------
    def list_page(self, forum: str, pn: int) -> bytes:
        cfg = self.forums[forum]
        items, more = self.list_slice(forum, pn)
        lis = "".join(self._list_item(t) for t in items)
        kw = quote(forum)
        pager = ""
        if more or pn > 0:
            links = []
            if pn > 0:
                links.append(f'<a href="//tieba.baidu.com/f?kw={kw}&amp;ie=utf-8&amp;pn={max(pn - self.list_size, 0)}" '
                             'class="pre pagination-item " >&lt;上一页</a>')
            links.append(f'<span class="pagination-current pagination-item ">{pn // self.list_size + 1}</span>')
            if more:
                links.append(f'<a href="//tieba.baidu.com/f?kw={kw}&amp;ie=utf-8&amp;pn={pn + self.list_size}" '
                             'class="next pagination-item " >下一页&gt;</a>')
            pager = ('<div class="thread_list_bottom clearfix"><div id="frs_list_pager" '
                     'class="pagination-default clearfix">' + "".join(links) + "</div></div>")
        inner = (f'<div class="content"><ul id="thread_list" class="threadlist_bright j_threadlist_bright">'
                 f'{lis}</ul>{pager}</div>')
        body = (
            f'<div class="card_top_wrap clearfix card_top_theme"><div class="card_title "><a class="card_title_fname" '
            f'title="" href="/f?kw={kw}&amp;ie=utf-8">{escape(forum)}吧</a><span class="card_menNum">'
            f'{escape(cfg["members"])}</span><span class="card_infoNum">{len(self.ordered(forum))}</span></div></div>'
            '<div id="content_wrap"><div class="content_leftList">'
            '<code class="pagelet_html" id="pagelet_html_frs-list/pagelet/thread_list" style="display:none;">'
            f"<!--{inner}--></code><div id=\"pagelet_frs-list/pagelet/thread_list\"></div></div></div>"
        )
        script = (f'var PageData = {{"forum":{{"forum_id":{cfg["fid"]},"forum_name":"{forum}",'
                  f'"first_class":"金融","second_class":"理财"}},"user":{{"is_login":0}}}};')
        return _frame(f"{escape(forum)}吧-百度贴吧", script, body)

    def _list_item(self, t: dict) -> str:
        first, last = t["posts"][0], t["posts"][-1]
        field = {"id": t["tid"], "author_name": t["author"], "author_nickname": None,
                 "author_portrait": _portrait(t["uid"]), "first_post_id": first["pid"],
                 "reply_num": len(t["posts"]) - 1, "is_bakan": None, "vid": "", "is_good": None,
                 "is_top": True if t["top"] else None, "is_protal": None, "is_membertop": None,
                 "is_multi_forum": None, "frs_tpoint": None}
        abstract = "".join(p[1] for p in first["content"] if p[0] == "text")[:60]
        top = " thread_top" if t["top"] else ""
        return (
            f'<li class=" j_thread_list{top} clearfix thread_item_box" data-field="{_field(field)}" '
            f'data-tid="{t["tid"]}" ><div class="t_con cleafix"><div class="col2_left j_threadlist_li_left">'
            f'<span class="threadlist_rep_num center_text" title="回复">{len(t["posts"]) - 1}</span></div>'
            '<div class="col2_right j_threadlist_li_right "><div class="threadlist_lz clearfix">'
            f'<div class="threadlist_title pull_left j_th_tit "><a rel="noreferrer" href="/p/{t["tid"]}" '
            f'title="{escape(t["title"])}" target="_blank" class="j_th_tit ">{escape(t["title"])}</a></div>'
            f'<div class="threadlist_author pull_right"><span class="tb_icon_author " title="主题作者: '
            f'{escape(t["author"])}" data-field="{_field({"user_id": t["uid"]})}"><i class="icon_author"></i>'
            '<span class="frs-author-name-wrap"><a rel="noreferrer" data-field="" class="frs-author-name '
            f'j_user_card " href="/home/main/?id={_portrait(t["uid"])}&amp;fr=frs" target="_blank">'
            f'{escape(t["author"])}</a></span></span><span class="pull-right is_show_create_time" '
            f'title="创建时间">{self.short_time(self.when(first["time"]))}</span></div></div>'
            '<div class="threadlist_detail clearfix"><div class="threadlist_text pull_left">'
            f'<div class="threadlist_abs threadlist_abs_onlyline ">{escape(abstract)}</div></div>'
            '<div class="threadlist_author pull_right"><span class="tb_icon_author_rely j_replyer" '
            f'title="最后回复人: {escape(last["author"])}"><i class="icon_replyer"></i></span>'
            '<span class="threadlist_reply_date pull_right j_reply_data" title="最后回复时间">'
            f'{self.short_time(self.when(last["time"]))}</span></div></div></div></div></li>'
        )

    def thread_page(self, t: dict, pn: int) -> bytes:
        pages = self.pages(t)
        pn = min(max(pn, 1), pages)
        floors = t["posts"][(pn - 1) * self.per_page:pn * self.per_page]
        cfg = self.forums[t["forum"]]
        blocks = [self._floor(t, p, cfg["fid"]) for p in floors]
        if t["tid"] in self.data.get("ad_threads", ()):
            # real pages interleave ads wearing the floor classes plus a random suffix: one with
            # a data-field naming another thread and repeating a floor number, one without
            for at, with_field in ((3, True), (8, False)):
                if len(blocks) >= at:
                    blocks.insert(at, self._ad(t, pn, at, floors[at - 1]["no"], with_field))
        posts = "".join(blocks)
        links = []
        for k in range(1, pages + 1):
            links.append(f'<span class="tP">{k}</span>' if k == pn else f'<a href="/p/{t["tid"]}?pn={k}">{k}</a>')
        if pn < pages:
            links.append(f'<a href="/p/{t["tid"]}?pn={pn + 1}">下一页</a><a href="/p/{t["tid"]}?pn={pages}">尾页</a>')
        pager = (f'<ul class="l_posts_num"><li class="l_pager pager_theme_4 pb_list_pager">{"".join(links)}</li>'
                 f'<li class="l_reply_num" style="margin-left:8px" ><span class="red" style="margin-right:3px">'
                 f'{len(t["posts"]) - 1}</span>回复贴，共<span class="red">{pages}</span>页</li></ul>')
        title = escape(t["title"])
        body = (
            f'<div class="card_top_wrap clearfix card_top_theme2"><div class="card_title"><a class="card_title_fname" '
            f'title="" href="/f?kw={quote(t["forum"])}&amp;ie=utf-8">{escape(t["forum"])}吧</a></div></div>'
            f'<div class="p_thread thread_theme_5" id="thread_theme_5"><div class="l_thread_info">{pager}</div></div>'
            f'<div class="core_title_wrap_bright clearfix"><h3 class="core_title_txt pull-left text-overflow  " '
            f'title="{title}" style="width: 396px">{title}</h3></div>'
            f'<div class="p_postlist" id="j_p_postlist">{posts}</div>'
            f'<div class="p_thread thread_theme_7" id="thread_theme_7"><div class="l_thread_info">{pager}</div></div>'
        )
        script = (f'var PageData = {{"forum":{{"forum_id":{cfg["fid"]},"forum_name":"{t["forum"]}"}},'
                  f'"thread":{{"thread_id":{t["tid"]},"is_ad":0,"reply_num":{len(t["posts"]) - 1}}}}};')
        return _frame(f"{title}【{escape(t['forum'])}吧】_百度贴吧", script, body)

    def _floor(self, t: dict, p: dict, fid: int) -> str:
        when = self.when(p["time"]).strftime("%Y-%m-%d %H:%M")
        content = {"post_id": p["pid"], "is_anonym": False, "forum_id": fid, "thread_id": t["tid"],
                   "content": None, "post_no": p["no"], "type": "0", "comment_num": 0, "is_fold": 0,
                   "props": None, "post_index": 0, "pb_tpoint": None}
        if t["style"] == "old":
            content["date"] = when
        field = {"author": {"user_id": p["uid"], "user_name": p["author"],
                            "name_u": quote(p["author"]) + "&ie=utf-8", "user_sex": 0,
                            "portrait": _portrait(p["uid"]), "is_like": 1, "level_id": 4,
                            "level_name": "初级粉丝", "cur_score": 0, "bawu": 0, "props": None},
                 "content": content}
        first = " d_post_content_firstfloor" if p["no"] == 1 else ""
        client = '<span class="tail-info">来自<a href="/mo/" target="_blank">Android客户端</a></span>' \
            if p["pid"] % 3 == 0 else ""
        return (
            f'<div class="l_post l_post_bright j_l_post clearfix  " data-field="{_field(field)}">'
            '<div class="d_author"><ul class="p_author"><li class="icon"><div class="icon_relative j_user_card">'
            f'<a class="p_author_face " href="/home/main?id={_portrait(p["uid"])}&amp;fr=pb"><img username="'
            f'{escape(p["author"])}" src="https://gss0.bdstatic.com/6LZ1dD3d1sgCo2Kml5_Y_D3/sys/portrait/item/'
            f'{_portrait(p["uid"])}"></a></div></li><li class="d_name" data-field="{_field({"user_id": p["uid"]})}">'
            f'<a class="p_author_name j_user_card" href="/home/main?id={_portrait(p["uid"])}&amp;fr=pb" '
            f'target="_blank">{escape(p["author"])}</a></li></ul></div>'
            f'<div class="d_post_content_main{first}"><div class="p_content  "><cc>'
            f'<div id="post_content_{p["pid"]}" class="d_post_content j_d_post_content " style="display:;">'
            f'            {_content(p)}</div><br></cc></div>'
            '<div class="core_reply j_lzl_wrapper"><div class="core_reply_tail clearfix"><div class="post-tail-wrap">'
            f'{client}<span class="tail-info">{p["no"]}楼</span><span class="tail-info">{when}</span></div></div></div>'
            '</div></div>'
        )

    def _ad(self, t: dict, pn: int, at: int, floor_no: int, with_field: bool) -> str:
        suffix = hashlib.sha1(f"{t['tid']}:{pn}:{at}".encode()).hexdigest()[:5]
        other = next(x["tid"] for x in self.data["threads"] if x["tid"] != t["tid"])
        if with_field:
            field = {"author": {"user_id": 0, "user_name": "贴吧推广"},
                     "content": {"post_id": 900000000000 + at, "thread_id": other, "post_no": floor_no,
                                 "forum_id": 0, "is_ad": 1}}
            attrs, cls = f' data-field="{_field(field)}"', f"l_post l_post_bright j_l_post_{suffix} clearfix"
        else:
            attrs, cls = f' data-daid="{suffix}"', f"l_post l_post_{suffix} l_post_bright clearfix"
        return (
            f'<div class="{cls}"{attrs}><div class="d_author"><ul class="p_author"><li class="d_name">'
            '<a class="p_author_name" href="#">贴吧推广</a></li></ul></div><div class="d_post_content_main">'
            '<div class="p_content"><div class="d_post_content j_d_post_content">'
            '急用钱？额度最高20万，日息低至万分之二，点击立即申请<span class="label_text">广告</span></div></div>'
            '</div></div>'
        )

    def mobile_list_page(self, forum: str, pn: int) -> bytes:
        """The same list in the mobile layout, which the PC URL sometimes answers with."""
        items, more = self.list_slice(forum, pn)
        lis = []
        for n, t in enumerate(items):
            last = t["posts"][-1]
            top = " tl_top" if t["top"] else ""
            icon = '<span class="ti_title_icon ti_icon_zhiding">置顶</span>' if t["top"] else ""
            lis.append(
                f'<li class="tl_shadow tl_shadow_new{top}"><a href="/p/{t["tid"]}?lp=5028&amp;mo_device=1&amp;'
                f'is_jingpost=0" class="j_common ti_item" tid="{t["tid"]}"><div class="ti_infos clearfix">'
                f'<div class="ti_author_time"><span class="ti_author">{escape(t["author"])}</span>'
                f'<span class="ti_time">{self.short_time(self.when(last["time"]))}</span></div></div>'
                f'<div class="ti_title">{icon}<span>{escape(t["title"])}</span></div>'
                f'<div class="ti_func_btn"><span class="btn_reply">{len(t["posts"]) - 1}</span></div></a></li>')
            if n == 2:  # a promoted item without a thread id
                lis.append('<li class="tl_shadow tl_shadow_new"><a href="https://e.example/loan?from=tieba" '
                           'class="j_common ti_item"><div class="ti_title"><span>低息借款，当天到账</span></div>'
                           '<span class="ti_ad_label">广告</span></a></li>')
        pager = ""
        if more:
            pager = (f'<div class="list_pager"><a class="pager_next" href="/f?kw={quote(forum)}&amp;ie=utf-8&amp;'
                     f'pn={pn + self.list_size}">下一页</a></div>')
        page = (
            '<!DOCTYPE html><html><head><meta charset="UTF-8"><meta name="viewport" content="width=device-width,'
            f'initial-scale=1.0"><title>{escape(forum)}吧-百度贴吧</title></head><body><div id="frs_wrap">'
            f'<div class="frs_header"><h1 class="forum_name">{escape(forum)}吧</h1></div>'
            f'<ul class="threads_list" id="frslistcontent">{"".join(lis)}</ul>{pager}</div></body></html>'
        )
        return page.encode("utf-8")

    # -- routing -------------------------------------------------------------------------------
    def answer(self, target: str) -> tuple[int, dict, bytes] | None:
        split = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        if split.path == "/f":
            forum = query.get("kw", "")
            pn = _int(query.get("pn"))
            if forum in self.data["blocked_forums"]:
                return 200, dict(HTML), BLOCK_PAGE
            if forum not in self.forums:
                return None
            if pn in self.data.get("mobile_lists", {}).get(forum, ()):
                return 200, dict(HTML), self.mobile_list_page(forum, pn)
            return 200, dict(HTML), self.list_page(forum, pn)
        if split.path.startswith("/p/"):
            tid = _int(split.path[3:], -1)
            thread = self.threads.get(tid)
            if thread is None:
                return None
            if thread["deleted"]:
                return 200, dict(HTML), DELETED_PAGE
            return 200, dict(HTML), self.thread_page(thread, _int(query.get("pn"), 1))
        return None


def _int(value, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _field(obj: dict) -> str:
    return escape(json.dumps(obj, ensure_ascii=False, separators=(",", ":")), quote=True)


def _portrait(uid: int) -> str:
    return "tb.1." + hashlib.sha1(str(uid).encode()).hexdigest()[:8] + "." + hashlib.sha1(str(uid * 7).encode()).hexdigest()[:22]


def _content(p: dict) -> str:
    out = []
    for part in p["content"]:
        kind = part[0]
        if kind == "text":
            out.append(escape(part[1], quote=False))
        elif kind == "br":
            out.append("<br>")
        elif kind == "img":
            h = hashlib.sha1(f"{p['pid']}-{len(out)}".encode()).hexdigest()
            out.append(f'<img class="BDE_Image" src="https://imgsa.baidu.com/forum/w%3D580/sign={h[:32]}/{h[:40]}.jpg"'
                       f' size="{int(h[:5], 16) + 20000}" width="560" height="420" >')
        elif kind == "emo":
            out.append('<img class="BDE_Smiley" width="30" height="30" changedsize="false" '
                       f'src="https://gsp0.baidu.com/5aAHeD3nKhI2p27j8IqW0jdnxx1xbK/tb/editor/images/client/{part[1]}.png" >')
        elif kind == "at":
            out.append(f'<a href="" onclick="Stats.sendRequest(\'fr=tb0_forum&amp;st_mod=pb&amp;st_value=atlink\');" '
                       f'username="{escape(part[1])}" target="_blank" class="at">@{escape(part[1])}</a>')
    return "".join(out)


_HEAD_SCRIPTS = (
    '<link rel="stylesheet" href="//tb1.bdstatic.com/tb/_/common_base_ae2a1f3.css" />'
    '<link rel="stylesheet" href="//tb1.bdstatic.com/tb/_/frs_list_6b8e5c1.css" />'
    '<link rel="stylesheet" href="//tb1.bdstatic.com/tb/_/pb_postlist_9a41d07.css" />'
    '<script>window.alog=window.alog||function(){(window.alog.l=window.alog.l||[]).push(arguments)};'
    'void function(a,b,c,d,e,f){function g(){var a=b.createElement("script");a.async=!0;'
    'a.src="//tb1.bdstatic.com/tb/_/tbalog_9d1f0e2.js";var c=b.getElementsByTagName("script")[0];'
    'c.parentNode.insertBefore(a,c)}a.addEventListener?a.addEventListener("load",g,!1):a.attachEvent("onload",g)}'
    '(window,document);</script>'
    '<script>var _hmt=_hmt||[];(function(){var hm=document.createElement("script");'
    'hm.src="//hm.baidu.com/hm.js?98b9d8c2fd6608d564bf2ac2ae642948";var s=document.getElementsByTagName("script")[0];'
    's.parentNode.insertBefore(hm,s)})();</script>'
)
_TOP_BAR = (
    '<div id="com_userbar" class="userbar"><ul><li class="u_login"><div class="u_menu_item">'
    '<a href="https://passport.baidu.com/v2/?login" rel="noreferrer">登录</a></div></li><li class="u_reg">'
    '<div class="u_menu_item"><a href="https://passport.baidu.com/v2/?reg" rel="noreferrer">注册</a></div></li>'
    '<li class="u_tbmall"><a href="/tbmall/home">会员</a></li><li class="u_app"><a href="/mo/">手机贴吧</a></li>'
    '</ul></div><div class="search_main_wrap"><div class="search_main clearfix"><div class="search_top clearfix">'
    '<div class="search_nav j_search_nav"><a href="https://www.baidu.com/" rel="noreferrer">网页</a>'
    '<a href="https://news.baidu.com/" rel="noreferrer">资讯</a><b>贴吧</b><a href="https://zhidao.baidu.com/">知道</a>'
    '<a href="https://music.taihe.com/">音乐</a><a href="https://image.baidu.com/">图片</a>'
    '<a href="https://v.baidu.com/">视频</a><a href="https://map.baidu.com/">地图</a>'
    '<a href="https://wenku.baidu.com/">文库</a></div></div><form name="f1" class="clearfix j_search_form" '
    'action="/f" target="_blank"><input class="search_ipt search_inp_border j_search_input tb_header_search_input" '
    'name="kw1" value="" type="text" autocomplete="off" size="42" tabindex="1" maxlength="100" x-webkit-grammar='
    '"builtin:search" x-webkit-speech="true"/><input autocomplete="off" type="hidden" name="kw" value="" />'
    '<span class="search_btn_wrap search_btn_enter_ba_wrap"><a class="search_btn search_btn_enter_ba j_enter_ba" '
    'href="#" onclick="return false;" onmousedown="this.className+=\' search_btn_down\'">进入贴吧</a></span>'
    '<span class="search_btn_wrap"><a class="search_btn j_search_post" href="#" onclick="return false;">全吧搜索</a>'
    '</span></form></div></div>'
)
_FOOTER = (
    '<div class="footer" id="footer"><p>&copy;2026 Baidu<a href="/tb/eula.html" target="_blank">贴吧协议</a>'
    '<span>|</span><a href="/tb/cms/tieba-fe/tieba_promise.html" target="_blank">隐私政策</a><span>|</span>'
    '<a href="http://help.baidu.com/newadd?prod_id=4&amp;category=1" target="_blank">吧主制度</a><span>|</span>'
    '<a href="/tb/zt/yijian/index.html" target="_blank">意见反馈</a><span>|</span>'
    '<a href="http://net.china.com.cn/index.htm" target="_blank">网络谣言警示</a></p></div>'
    '<script>PageData.tbs="3e6f0a1b2c7d8e9f1700000000";PageData.charset="UTF-8";PageData.product="frs";'
    'PageData.page="frs";PageData.user.portrait="";PageData.user.power={};var Env={server_time:1700000000000};'
    'F.use(["common/widget/Userbar","common/widget/Search","frs-list/pagelet/thread_list"],function(a,b,c){'
    'a.init();b.init({fname:PageData.forum?PageData.forum.forum_name:""});c&&c.init&&c.init()});'
    'Bigpipe.register("frs-list/pagelet/thread_list").on("load",function(){var h=document.getElementById('
    '"pagelet_html_frs-list/pagelet/thread_list");h&&(document.getElementById("pagelet_frs-list/pagelet/thread_list")'
    '.innerHTML=h.innerHTML.replace(/^<!--|-->$/g,""))});</script>'
)


_ASIDE = (
    '<div class="aside" id="aside"><div class="aside_region j_islogin"><div class="region_bright">'
    '<div class="region_header"><div class="region_title">贴吧热议榜</div></div><ul class="topic_list">'
    '<li class="topic-top-item"><a class="topic-text" href="/hottopic/browse/hottopic?topic_id=1">网贷协商还款的正确姿势</a>'
    '<span class="topic-num">41万</span></li><li class="topic-top-item"><a class="topic-text" '
    'href="/hottopic/browse/hottopic?topic_id=2">如何识别非法催收</a><span class="topic-num">28万</span></li>'
    '<li class="topic-top-item"><a class="topic-text" href="/hottopic/browse/hottopic?topic_id=3">'
    '征信逾期记录多久消除</a><span class="topic-num">19万</span></li><li class="topic-top-item"><a class="topic-text" '
    'href="/hottopic/browse/hottopic?topic_id=4">以贷养贷的后果</a><span class="topic-num">12万</span></li></ul>'
    '</div></div><div class="aside_region celebrity"><div class="region_bright"><div class="region_header">'
    '<div class="region_title">本吧信息</div></div><div class="region_cnt"><p>吧务团队提醒：谨防以“征信修复”'
    '“内部渠道”“低息代还”为名的诈骗，任何要求先转账的都是骗子。</p><p>请勿在帖子中公开自己或他人的手机号、身份证号、'
    '家庭住址、单位名称。</p></div></div></div><div class="aside_region"><div class="region_bright">'
    '<div class="region_header"><div class="region_title">贴吧协议</div></div><div class="region_cnt">'
    '<a href="/tb/eula.html" target="_blank">《百度贴吧协议》</a><a href="/tb/cms/tieba-fe/tieba_promise.html" '
    'target="_blank">《隐私政策》</a><a href="/tb/zt/yijian/index.html" target="_blank">意见反馈</a></div></div></div></div>'
)


def _frame(title: str, script: str, body: str) -> bytes:
    page = (
        '<!DOCTYPE html><!--STATUS OK--><html><head><meta charset="UTF-8">'
        '<meta http-equiv="X-UA-Compatible" content="IE=edge,chrome=1">'
        '<meta name="keywords" content="贴吧,百度贴吧,论坛,兴趣,社区,BBS">'
        f'<title>{title}</title>{_HEAD_SCRIPTS}<script>{script}</script></head><body>{_TOP_BAR}'
        f'<div id="container" class="container_frs"><div class="wrap1"><div class="wrap2">{body}{_ASIDE}</div></div></div>'
        f'{_FOOTER}</body></html>'
    )
    return page.encode("utf-8")


#: What the site answers a crawler it distrusts: short, no thread list.
BLOCK_PAGE = (
    '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>百度安全验证</title>'
    '<meta name="viewport" content="width=device-width, initial-scale=1.0, minimum-scale=1.0, maximum-scale=1.0">'
    '<link rel="stylesheet" href="https://ppui-static-wap.cdn.bcebos.com/static/touch/css/api/mkdjump_aac6df1.css" />'
    '</head><body><div class="timeout hide-callback"><div class="timeout-img"></div>'
    '<div class="timeout-title">网络不给力，请稍后重试</div><button type="button" class="timeout-button">返回首页</button>'
    '</div><div class="timeout-feedback hide-callback"><div class="timeout-feedback-icon"></div>'
    '<p class="timeout-feedback-title">问题反馈</p></div><script src="https://ppui-static-wap.cdn.bcebos.com/static/'
    'touch/js/mkdjump_v2_21d1ae1.js"></script></body></html>'
).encode("utf-8")

DELETED_PAGE = _frame(
    "贴吧404",
    'var PageData = {"page":"error","errno":4,"errmsg":"thread deleted"};',
    '<div class="page404"><div id="errorText"><h2>很抱歉，该贴已被删除。</h2><p>'
    '<a href="/">去贴吧首页</a>，看看大家都在聊什么</p></div></div>',
)


def load(root: Path = HERE, today: date | None = None) -> TiebaSite:
    return TiebaSite(json.loads((root / "_threads.json").read_text(encoding="utf-8")), today)


_SITE: TiebaSite | None = None


def handle(method: str, target: str, headers: dict, body: bytes):
    """The replay server's hook: list and thread pages; None lets robots.txt come from its file."""
    global _SITE
    if method not in ("GET", "HEAD"):
        return None
    if _SITE is None:
        _SITE = load()
    return _SITE.answer(target)
