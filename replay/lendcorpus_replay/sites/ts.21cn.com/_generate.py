"""Generate the 聚投诉 (ts.21cn.com) replay fixture: invented complaints in the real shapes.

Run ``python replay/lendcorpus_replay/sites/ts.21cn.com/_generate.py`` to rewrite ``_data.json`` and
``robots.txt`` byte for byte (``random.Random(SEED)``, sorted keys, no clock). ``--out DIR``
writes elsewhere; ``--new N`` adds N complaints newer than every other one (the incremental
crawl test serves such a copy). ``_handler.py`` turns ``_data.json`` into the site's answers.

Every name, text and contact value here is invented. ``contactway`` values are of the obviously
fake forms ``138****NNNN`` and ``1380000NNNN``; they exist only so tests can prove the parser
never stores them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

SEED = 2124
HERE = Path(__file__).resolve().parent
CHINA = timezone(timedelta(hours=8))
N_COMPLAINTS = 36
FIRST_ID = 10231000
#: Newest complaint's time; older ones step back from it.
NEWEST = datetime(2024, 6, 28, 21, 40, tzinfo=CHINA)

LENDERS = ["新橙分期", "信用飞", "借呗", "微粒贷", "360借条", "安逸花", "分期乐"]
LENDER_WEIGHTS = [5, 4, 2, 2, 2, 2, 2]
MERCHANTS = {"9001": "新橙分期", "9002": "信用飞"}
#: A merchant id the site does not know: its list answers with an error envelope.
MISSING_MERCHANT = "9003"

PRACTICES = [
    ("爆通讯录", "把我的通讯录联系人挨个打了一遍", "泄露隐私"),
    ("联系家人", "打电话给我父母和爱人，说我欠钱不还", "骚扰家人"),
    ("上门催收", "派人到我住的小区和单位门口堵我", "暴力催收"),
    ("威胁起诉", "说三天内不还就起诉我、让我上失信名单", "威胁恐吓"),
    ("辱骂", "电话里满口脏话辱骂我和家人", "暴力催收"),
    ("冒充律师", "自称律师事务所，发所谓律师函吓唬我", "违规催收"),
    ("频繁骚扰", "一天打几十个电话，半夜也打", "骚扰电话"),
    ("打电话到单位", "打到我单位领导那里，害我差点丢了工作", "违规催收"),
]
LABEL_IDS = {name: 101 + i for i, name in enumerate(sorted({p[2] for p in PRACTICES} | {"乱收费"}))}
FEES = ["砍头息", "服务费", "担保费", "会员费", "罚息"]
DEMANDS = [
    "要求停止暴力催收，删除通讯录信息并道歉",
    "要求协商分期还款，停止骚扰家人",
    "要求退还多收的服务费和担保费",
    "要求减免罚息，按本金协商还款",
    "要求平台规范催收行为，停止爆通讯录",
]
OPENINGS = [
    "本人于{year}年{month}月在{lender}借款{amount}元，分{terms}期还款。",
    "{year}年{month}月我在{lender}APP上借了{amount}元，约定{terms}期。",
    "我是{lender}的用户，{year}年{month}月借款{amount}元，期数{terms}期。",
]
TROUBLES = [
    "因为疫情后收入减少，逾期了{days}天。",
    "前几期都按时还了，最近家里有人住院，逾期{days}天。",
    "公司拖欠工资，导致逾期{days}天，我一直在主动联系平台协商。",
]
MIDDLES = [
    "逾期后催收人员{practice_text}，严重影响了我和家人的正常生活。",
    "没想到催收员{practice_text}，我多次说明情况也没有用。",
    "催收方式非常恶劣，{practice_text}，还说要让我社会性死亡。",
]
FEE_LINES = [
    "另外借款时被强制收取{fee}{fee_amount}元，实际到手远少于合同金额。",
    "合同里还藏着{fee}，综合年化明显超过了36%。",
    "",
]
CLOSINGS = [
    "我不是不还，只希望平台能给个合理的还款方案。",
    "希望聚投诉帮忙督促平台规范催收，保护消费者的合法权益。",
    "恳请相关部门介入调查，还我一个安宁的生活。",
]

SEARCH_PAGE_SIZE = 5
MERCHANT_PAGE_SIZE = 4
#: How the list scenarios go wrong (or end). Page numbers are 1-based.
SCENARIO = {
    "search": {
        # page 2 starts one item early (a new complaint arrived meanwhile): one item on two pages
        "催收": {"shift_from_page": 2},
        # anonymous visitors see two pages; the third is the login wall
        "暴力催收": {"login_wall_page": 3},
    },
    "merchant": {
        "9002": {"malformed_page": 2},
        MISSING_MERCHANT: {"error": {"code": 1001, "msg": "商家不存在"}},
    },
}
#: Per-complaint oddities, by position among the complaints an anonymous crawl of every list
#: reaches (newest first).
SPECIALS = {
    1: "detail_captcha",      # the detail page answers a captcha on every odd request
    3: "detail_login_wall",   # the detail page is the login wall
    5: "detail_404",          # deleted: 404 page
    7: "detail_no_post_key",  # the page lost its postKeyValue input
    9: "post_html",           # the post API answers an HTML error page
    11: "post_error",         # the post API answers an error envelope
    13: "post_missing_topic",  # the post has no topic
    15: "post_malformed",     # the post API's JSON is cut off
}
#: Time display forms the site uses for ctimeStr (relative forms are frozen at recording time).
CTIME_FORMS = ["ymd_hm", "slash_date", "hours_ago", "yesterday", "cn_date_hm", "ymd_hm"]


def _ctime_str(form: str, when: datetime, rng: random.Random) -> str:
    if form == "ymd_hm":
        return when.strftime("%Y-%m-%d %H:%M")
    if form == "slash_date":
        return f"{when.year}/{when.month}/{when.day}"
    if form == "hours_ago":
        return f"{rng.randint(1, 9)}小时前"
    if form == "yesterday":
        return f"昨天 {when:%H:%M}"
    return f"{when.year}年{when.month}月{when.day}日 {when:%H:%M}"


def post_key(cid: int) -> str:
    """The opaque key the detail page hands to the post API (deterministic per id)."""
    return hashlib.sha1(f"jts-post-{cid}".encode()).hexdigest()[:32]


def _complaint(rng: random.Random, index: int, cid: int, when: datetime) -> dict:
    lender = rng.choices(LENDERS, LENDER_WEIGHTS)[0]
    practice, practice_text, label = rng.choice(PRACTICES)
    second = rng.choice([p for p in PRACTICES if p[0] != practice])
    amount = rng.choice([3000, 5000, 6800, 8000, 12000, 20000, 35000])
    slots = {
        "year": when.year - rng.choice([0, 1]), "month": rng.randint(1, 12), "lender": lender,
        "amount": amount, "terms": rng.choice([3, 6, 12, 24]), "days": rng.randint(3, 120),
        "practice_text": practice_text, "fee": rng.choice(FEES), "fee_amount": rng.choice([300, 680, 1200]),
    }
    paragraphs = [rng.choice(OPENINGS) + rng.choice(TROUBLES), rng.choice(MIDDLES),
                  f"后来他们还{second[1]}。" + rng.choice(FEE_LINES), rng.choice(CLOSINGS)]
    paragraphs = [p.format(**slots) for p in paragraphs if p]
    # the site's editor output: <p> blocks, a <br>, &nbsp; and an entity or two
    topic = "".join(f"<p>{p}</p>" for p in paragraphs[:-1]) + f"<p>&nbsp;&nbsp;{paragraphs[-1]}<br/></p>"
    text = "".join(paragraphs)
    labels = sorted({label, second[2]} | ({"乱收费"} if "费" in paragraphs[2] else set()))
    title = rng.choice([
        f"{lender}{practice}，严重影响生活",
        f"投诉{lender}暴力催收{practice}",
        f"{lender}逾期后{practice}，要求协商还款",
        f"{lender}催收员{practice}，还收取{slots['fee']}",
    ])
    number = index + 1
    contact = f"138****{number:04d}" if index % 2 == 0 else f"1380000{number:04d}"
    return {
        "id": cid,
        "title": title,
        "ctime": int(when.timestamp()),
        "ctimeStr": _ctime_str(CTIME_FORMS[index % len(CTIME_FORMS)], when, rng),
        "merchantname": lender,
        "problemLabelList": [{"id": LABEL_IDS[n], "name": n} for n in labels],
        "shuqiu": rng.choice(DEMANDS),
        "topic": topic,
        "shortTopic": text[:56] + "...",
        "username": "网友" + "".join(rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(6)),
        "contactway": contact,
        "postKey": post_key(cid),
    }


def generate(new: int = 0) -> dict:
    """All fixture data as one JSON-ready dict; ``new`` extra complaints are newer than the rest."""
    rng = random.Random(SEED)
    complaints = []
    when = NEWEST
    for i in range(N_COMPLAINTS):
        cid = FIRST_ID + (N_COMPLAINTS - i) * 17 + rng.randint(0, 9)
        complaints.append(_complaint(rng, i, cid, when))
        when -= timedelta(hours=rng.randint(5, 60), minutes=rng.randint(0, 59))
    ids = [c["id"] for c in complaints]
    search = {
        "催收": sorted(rng.sample(ids, 15), reverse=True),
        "暴力催收": sorted(rng.sample(ids, 13), reverse=True),
    }
    merchant = {mid: [c["id"] for c in complaints if c["merchantname"] == name] for mid, name in MERCHANTS.items()}
    reached = set(search["催收"]) | set(merchant["9001"])
    reached |= set(search["暴力催收"][:(SCENARIO["search"]["暴力催收"]["login_wall_page"] - 1) * SEARCH_PAGE_SIZE])
    reached |= set(merchant["9002"][:(SCENARIO["merchant"]["9002"]["malformed_page"] - 1) * MERCHANT_PAGE_SIZE])
    reached_order = sorted(reached, reverse=True)
    special = {str(reached_order[i]): kind for i, kind in SPECIALS.items()}
    added = []
    if new:
        extra_rng = random.Random(SEED + 1)
        top = max(ids)
        for k in range(new):
            cid = top + 17 * (k + 1)
            c = _complaint(extra_rng, N_COMPLAINTS + k, cid, NEWEST + timedelta(hours=6 * (k + 1)))
            c["merchantname"] = "新橙分期" if k % 2 == 0 else c["merchantname"]
            complaints.insert(0, c)
            added.append(cid)
        for cid in reversed(added):
            search["催收"].insert(0, cid)
        merchant["9001"] = [c["id"] for c in complaints if c["merchantname"] == "新橙分期"]
    return {
        "about": "Invented 聚投诉 complaints for the offline replay; see docs/sources/jutousu.md.",
        "complaints": complaints,
        "search": search,
        "merchant": merchant,
        "scenario": SCENARIO,
        "special": special,
        "added": added,
        "page_size": {"search": SEARCH_PAGE_SIZE, "merchant": MERCHANT_PAGE_SIZE},
    }


ROBOTS = """User-agent: *
Disallow: /user/
Disallow: /login
Disallow: /front/api/user/

Sitemap: https://ts.21cn.com/sitemap.xml
"""


def write(out: Path, new: int = 0) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    data = json.dumps(generate(new), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    files = {out / "_data.json": data.encode("utf-8"), out / "robots.txt": ROBOTS.encode("utf-8")}
    for path, body in files.items():
        path.write_bytes(body)
    return list(files)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write (default: this fixture)")
    parser.add_argument("--new", type=int, default=0, help="add N complaints newer than all others")
    args = parser.parse_args(argv)
    for path in write(args.out, args.new):
        print(path)


if __name__ == "__main__":
    main()
