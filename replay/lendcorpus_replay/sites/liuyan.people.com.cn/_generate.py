"""Generate the 人民网 领导留言板 (liuyan.people.com.cn) replay data: invented letters and replies.

Why this exists: the real board cannot be reached, so the ``liuyan`` spider and parser are tested
against this folder. ``_handler.py`` answers the two signed JSON APIs from ``_threads.json``;
this script writes that file, ``_manifest.json`` (what the tests expect) and ``robots.txt``.

Everything is invented: letters from members of the public to officials about collection
harassment by lenders, and the offices' replies. No person is named; offices are titles of
posts, not people. Output is a pure function of the seed (``random.Random``, fixed start date,
no set iteration), so running ``python _generate.py`` rewrites the committed files byte for byte.
``extra`` appends newer letters (for the incremental-crawl test) without changing the others.

Special cases (``_manifest.json`` names their tids):

* ``html_not_json``  -- the content API answers with an HTML maintenance page (HTTP 200);
* ``malformed_json`` -- the content API answers with JSON cut off mid-way;
* ``deleted``        -- the content API answers with an error envelope (letter removed);
* ``duplicated``     -- keyword 催收: page 2 starts with the last thread of page 1 again (as when a
  new letter arrives between two page requests);
* keyword counts: 催收 matches every letter (three pages, the last one short), 暴力催收 exactly
  ``ROWS`` letters (page 2 is an empty result), 网贷 a page and a bit;
* ``createDateline`` is unix seconds for even positions and ``YYYY-MM-DD HH:MM:SS`` text for odd;
* letters without a reply, with one reply and with two replies;
* ``letter_not_first`` -- the letter is the last ``contentList`` entry, after the replies (seen on
  the real site: pick the letter by ``dataType``, never by position);
* ``forum_tids`` -- each office's letters, newest first, as ``/v1/threads/list/df`` pages them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261122
ROWS = 10  # the front end's page size
BASE_COUNT = 26
CHINA = timezone(timedelta(hours=8))
KEYWORDS = ("催收", "暴力催收", "网贷")

LENDERS = ("新橙分期", "信用飞", "借呗", "微粒贷", "360借条", "安逸花", "分期乐")
PLACES = (  # (province, city, district)
    ("湖南省", "长沙", "岳麓"), ("广东省", "深圳", "南山"), ("四川省", "成都", "武侯"),
    ("浙江省", "杭州", "西湖"), ("河南省", "郑州", "金水"), ("湖北省", "武汉", "洪山"),
    ("江苏省", "南京", "鼓楼"), ("山东省", "济南", "历下"),
)
POSTS = ("市长", "市委书记", "区委书记", "区长")
TYPES = ("投诉", "求助", "咨询")
FID_BASE = 4000

PRACTICES = {
    "爆通讯录": ("催收人员把我手机通讯录里的同事、朋友挨个打了一遍，说我欠钱不还，让大家帮忙催我还款。",
             "我没有授权，对方却拿到了我的通讯录，催收短信群发到了我的领导和同学那里。"),
    "联系家人": ("催收员每天给我父母打电话，老人年纪大了，被吓得整夜睡不着。",
             "催收人员联系我的家人，说如果不马上还清就要让全家人都知道。"),
    "上门催收": ("有两名自称外访人员的人到我单位门口上门催收，当着同事的面大声喧哗。",
             "催收方说已经安排人员上门，并把我家小区的名字发给了我，让人非常害怕。"),
    "威胁起诉": ("催收电话里说已经立案，三天内不还全款就要起诉我并上征信黑名单，但我查询并没有任何诉讼。",
             "对方发来盖着“律师函”字样的图片，威胁要起诉并冻结我的银行卡，催收话术明显是在恐吓。"),
    "辱骂": ("催收人员在电话里用非常难听的话辱骂我，一天打了二十多个电话。",
           "接通后对方就开始辱骂，说我是老赖，还骂我的家人，催收录音我都保留着。"),
}
REASONS = ("疫情后收入下降", "公司裁员失业", "家人生病住院花了不少钱", "生意周转不开", "工资被拖欠了几个月")
DEMANDS = ("恳请有关部门依法查处这种催收行为，还我们正常的生活。",
           "希望领导督促平台规范催收，协商一个我能承受的还款方案。",
           "请求相关部门核查该平台的催收外包公司是否合法经营。")

REPLY_OPENINGS = ("网友您好！您反映的问题已收悉，现答复如下：",
                  "网友：您好！感谢您对我们工作的信任，关于您反映的情况答复如下：")
REPLY_BODIES = (
    "经核查，我局已将您反映的情况转交{lender}所属机构处理，并约谈其催收合作方负责人，要求立即停止联系无关第三方。",
    "我局已督促{lender}所属机构对相关催收人员进行调查，对违规催收行为依照合同约定追责，并责成其与您协商还款事宜。",
    "经了解，涉事催收机构已被要求整改。如您再次遭遇辱骂、恐吓等行为，可保留证据并向当地公安机关报案。",
)
REPLY_INTERIM = "您反映的问题已转交{office}办理，办理结果将及时回复，请耐心等待。"
REPLY_POLICE = "经{office}调查，已对相关催收人员进行批评教育并责令其停止骚扰。如有新的线索请及时拨打110报警。"


def _offices(place: tuple[str, str, str]) -> list[str]:
    _, city, district = place
    return [f"{city}市地方金融监督管理局", f"{district}区金融工作局", f"{city}市公安局{district}分局"]


def _dateline(i: int, when: datetime) -> int | str:
    """Even positions as unix seconds, odd as text in China time (the board has both)."""
    return int(when.timestamp()) if i % 2 == 0 else when.strftime("%Y-%m-%d %H:%M:%S")


def _thread(rng: random.Random, i: int, tid: int, when: datetime, *, violent: bool, online: bool) -> dict:
    lender = rng.choice(LENDERS)
    place = PLACES[rng.randrange(len(PLACES))]
    post = rng.choice(POSTS)
    office = {"市委书记": "市委书记", "市长": "市市长", "区委书记": f"市{place[2]}区委书记",
              "区长": f"市{place[2]}区区长"}[post]
    forum = f"{place[0]}{place[1]}{office}"
    practices = rng.sample(sorted(PRACTICES), 2)
    amount = rng.choice((3000, 5000, 8000, 12000, 20000, 36000))
    loan = "网贷平台" if online else "借款平台"
    subject = f"{lender}{'暴力催收' if violent else '催收'}{practices[0]}，恳请查处"
    paragraphs = [
        f"尊敬的{post}：您好！",
        f"本人于{when.year - 1}年在{lender}{loan}借款{amount}元，因{rng.choice(REASONS)}，从今年起出现逾期。"
        + ("我承认逾期是我的责任，也一直想办法还款。" if rng.random() < 0.5 else "我多次联系平台客服申请延期，一直没有结果。"),
    ]
    for practice in practices:
        paragraphs.append(rng.choice(PRACTICES[practice]))
    if violent:
        paragraphs.append("这种暴力催收已经严重影响了我和家人的正常生活和工作。")
    if online:
        paragraphs.append("听说很多网贷借款人都遇到过同样的情况，希望能够引起重视。")
    paragraphs.append(rng.choice(DEMANDS))
    content = "<br>".join(paragraphs)
    replies: list[dict] = []
    n_replies = (0, 1, 1, 2)[rng.randrange(4)] if i >= 2 else (0, 2)[i]
    offices = _offices(place)
    t = when
    if n_replies == 2:
        t += timedelta(days=rng.randint(3, 10), minutes=rng.randint(0, 600))
        replies.append({"office": offices[1], "when": t,
                        "text": REPLY_OPENINGS[0] + REPLY_INTERIM.format(office=offices[0])})
    if n_replies >= 1:
        t += timedelta(days=rng.randint(5, 25), minutes=rng.randint(0, 600))
        final_office = rng.choice(offices)
        body = (REPLY_POLICE.format(office=final_office) if "公安" in final_office
                else rng.choice(REPLY_BODIES).format(lender=lender))
        replies.append({"office": final_office, "when": t, "text": rng.choice(REPLY_OPENINGS) + body})
    if n_replies == 0:
        state = ("未回复", "办理中")[i % 2]
    elif n_replies == 1:
        state = ("已回复", "已办理")[rng.randrange(2)]
    else:
        state = "已办理"
    letter_when = when
    content_list = [{
        "dataType": 1, "tid": tid, "subject": subject, "content": content, "forumName": forum,
        "fid": FID_BASE + PLACES.index(place) * 10 + POSTS.index(post), "stateInfo": state,
        "typeName": TYPES[rng.randrange(len(TYPES))], "domainName": "金融", "dateline": int(letter_when.timestamp()),
    }]
    for r in replies:
        content_list.append({"dataType": 4, "tid": tid, "organization": r["office"], "content": r["text"],
                             "dateline": int(r["when"].timestamp())})
    letter = content_list[0]
    return {
        "tid": tid, "subject": subject, "content": content, "forumName": forum, "fid": letter["fid"],
        "stateInfo": state, "typeName": letter["typeName"], "domainName": letter["domainName"],
        "createDateline": _dateline(i, when), "contentList": content_list,
    }


def build(seed: int = SEED, extra: int = 0) -> dict[str, bytes]:
    """File name -> bytes of the site's data. ``extra`` newer letters come after the base ones."""
    rng = random.Random(seed)
    violent = set(rng.sample(range(BASE_COUNT), ROWS))  # exactly one full page for 暴力催收
    online = set(rng.sample(range(BASE_COUNT), ROWS + 4))  # page 2 of 网贷 is short
    threads = []
    tid = 26_310_000
    when = datetime(2025, 3, 2, 8, 15, 0, tzinfo=CHINA)
    for i in range(BASE_COUNT):
        tid += rng.randint(40, 900)
        when += timedelta(days=rng.randint(1, 5), minutes=rng.randint(0, 900))
        threads.append(_thread(rng, i, tid, when, violent=i in violent, online=i in online))
    extra_rng = random.Random(seed + 1)  # never disturbs the base letters
    for i in range(BASE_COUNT, BASE_COUNT + extra):
        tid += extra_rng.randint(40, 900)
        when += timedelta(days=extra_rng.randint(1, 5), minutes=extra_rng.randint(0, 900))
        threads.append(_thread(extra_rng, i, tid, when, violent=extra_rng.random() < 0.3,
                               online=extra_rng.random() < 0.5))
    flags = [(i in violent, i in online) for i in range(BASE_COUNT)]
    for t, (is_violent, is_online) in zip(threads, flags):  # no other text may carry the keywords
        text = t["subject"] + t["content"]
        assert "催收" in text and ("暴力催收" in text) == is_violent and ("网贷" in text) == is_online, t["tid"]
    # real shape (issue 14): the letter is not always the first contentList entry
    letter_not_first = []
    for n, t in enumerate(threads):
        if len(t["contentList"]) > 1 and n % 3 == 0:
            t["contentList"] = t["contentList"][1:] + t["contentList"][:1]
            letter_not_first.append(t["tid"])
    base = threads[:BASE_COUNT]
    # specials, chosen among the base letters (deterministic positions, not the newest page)
    specials = {"html_not_json": base[14]["tid"], "malformed_json": base[8]["tid"], "deleted": base[3]["tid"]}
    newest_first = sorted(threads, key=lambda t: t["tid"], reverse=True)
    keyword_tids = {kw: [t["tid"] for t in newest_first if kw in t["subject"] + t["content"]] for kw in KEYWORDS}
    duplicated = {"keyword": "催收", "page": 2, "tid": keyword_tids["催收"][ROWS - 1]}
    manifest = {
        "rows": ROWS,
        "max_page": 50,
        "keywords": keyword_tids,
        "specials": specials,
        "duplicated": duplicated,
        "no_reply": [t["tid"] for t in threads if len(t["contentList"]) == 1],
        "two_replies": [t["tid"] for t in threads if len(t["contentList"]) == 3],
        "dateline_text": [t["tid"] for t in threads if isinstance(t["createDateline"], str)],
        "extra": [t["tid"] for t in threads[BASE_COUNT:]],
        "letter_not_first": letter_not_first,
        # /v1/threads/list/df pages one office's letters by the last tid seen
        "forum_tids": {str(fid): [t["tid"] for t in newest_first if t["fid"] == fid]
                       for fid in sorted({t["fid"] for t in threads})},
    }
    robots = ("User-agent: *\nDisallow: /admin/\nDisallow: /user/\nDisallow: /v1/user/\n"
              "Allow: /v1/threads/\nAllow: /v2/threads/\n")

    def dump(obj) -> bytes:
        return (json.dumps(obj, ensure_ascii=False, indent=1) + "\n").encode("utf-8")

    return {"_threads.json": dump(threads), "_manifest.json": dump(manifest), "robots.txt": robots.encode()}


def write(directory: Path = HERE, seed: int = SEED, extra: int = 0) -> list[Path]:
    """Write the data files into ``directory`` (the handler reads them from its own folder).

    Each file is replaced atomically: a replay server starting meanwhile never reads half a file.
    """
    out = []
    for name, data in build(seed, extra).items():
        path = Path(directory) / name
        tmp = path.with_name(f"_tmp-{os.getpid()}-{name}")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        out.append(path)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--extra", type=int, default=0, help="newer letters to add (incremental tests)")
    args = parser.parse_args(argv)
    for path in write(args.out, args.seed, args.extra):
        print(path)


if __name__ == "__main__":
    main()
