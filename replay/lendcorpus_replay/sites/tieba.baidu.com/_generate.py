"""Generate the tieba.baidu.com replay data: invented forum threads in the real page shapes.

Everything here is invented (user names, ids, texts); only the shapes follow the real site.
The output is ``_threads.json`` next to this file; ``_handler.py`` renders list and thread pages
from it on request. Deterministic: ``python _generate.py`` rewrites the file byte for byte.

``add_replies`` is used by the incremental-crawl test to make a copy of the site "a week later".
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261120
CHINA = timezone(timedelta(hours=8))
#: The site's "now" in the data; the handler shifts all times by whole days so that this day is
#: the day the server runs (the list shows today's replies as ``HH:MM``, as the real site does).
ANCHOR = datetime(2026, 11, 20, 16, 0, tzinfo=CHINA)

PLATFORMS = ["新橙分期", "信用飞", "借呗", "微粒贷", "360借条", "安逸花", "分期乐"]
PRACTICES = ["爆通讯录", "联系家人", "上门催收", "威胁起诉", "辱骂"]
NAME_HEADS = ["逾期小白", "上岸的鱼", "负债小透明", "网贷难民", "早日上岸", "不想再借了", "还款进行时",
              "夜里睡不着", "打工还债人", "信用重建中", "咸鱼翻身", "慢慢还"]

TITLES = [
    "{p}逾期{n}天了，{q}怎么办",
    "被{p}{q}，求助各位老哥",
    "{p}协商还款成功了，分享一下经验",
    "{p}的催收说要{q}，是真的吗",
    "逾期{k}个月，还能上岸吗",
    "{p}和{p2}一起逾期了，先还哪个",
    "今天接到{p}的电话，说已经{q}",
    "有没有{p}停息挂账成功的",
]
OPENING = [
    "本人{a}岁，去年在{p}借了{m}元，后来工作丢了，现在逾期{n}天。",
    "{p}借款{m}，一直按时还，这个月实在周转不过来了。",
    "说一下我的情况：{p}和{p2}加起来欠了{m}多，已经逾期{n}天。",
]
PRESSURE = [
    "今天催收打电话说要{q}，语气很凶。",
    "他们已经{q}了，我妈打电话问我怎么回事。",
    "催收说明天就{q}，让我今天之内必须还清。",
    "电话里一直{q}，说我不还就让我身败名裂。",
]
ASK = [
    "想问问大家遇到过没有，应该怎么应对？",
    "现在每天都睡不着，求有经验的说说。",
    "我是真的想还，只是想协商分期，不知道怎么开口。",
    "这种情况能投诉吗？去哪里投诉有用？",
]
REPLIES = [
    "同遇到，{p}的催收天天打电话",
    "别怕，{q}是违法的，保留好录音",
    "可以打官方客服申请协商，说明实际困难",
    "楼主后来怎么样了？",
    "顶一下，我也是{p}，逾期三个月了",
    "直接去银保监投诉，比跟催收吵有用",
    "我之前也被{q}过，后来协商了停息挂账",
    "先还小额的，别再以贷养贷了",
    "催收的话一半是吓唬人的，起诉要走法律程序",
    "把通话录音和短信截图都留着",
    "同病相怜，一起加油上岸",
    "{p}还算好说话的，我协商成功了分十二期",
]


def _name(rnd: random.Random) -> str:
    head = rnd.choice(NAME_HEADS)
    tail = rnd.choice([str(rnd.randint(2015, 2025)), f"_{rnd.randint(10, 99)}", str(rnd.randint(100, 999)), ""])
    return head + tail


def _fill(rnd: random.Random, template: str) -> str:
    p, p2 = rnd.sample(PLATFORMS, 2)
    return template.format(p=p, p2=p2, q=rnd.choice(PRACTICES), n=rnd.choice([3, 7, 15, 30, 45, 90, 180]),
                           k=rnd.randint(2, 18), m=rnd.choice(["8000", "1.2万", "3万", "5000", "2万", "6500"]), a=rnd.randint(22, 45))


def _content(rnd: random.Random, text: str) -> list:
    """A floor body as parts: ["text", s], ["br"], ["img"], ["emo", name], ["at", name]."""
    parts: list = []
    for i, line in enumerate(text.split("\n")):
        if i:
            parts.append(["br"])
        parts.append(["text", line])
    roll = rnd.random()
    if roll < 0.12:
        parts.append(["emo", rnd.choice(["image_emoticon2", "image_emoticon16", "image_emoticon25"])])
    elif roll < 0.18:
        parts += [["br"], ["img"]]
    return parts


def _post(rnd: random.Random, ids: dict, no: int, when: datetime, author: str, content: list) -> dict:
    ids["pid"] += rnd.randint(3, 400)
    return {"pid": ids["pid"], "no": no, "author": author, "uid": rnd.randint(10_000_000, 4_000_000_000),
            "time": when.strftime("%Y-%m-%d %H:%M"), "content": content}


def _reply(rnd: random.Random, ids: dict, no: int, when: datetime, lz: str) -> dict:
    author = lz if rnd.random() < 0.15 else _name(rnd)
    text = _fill(rnd, rnd.choice(REPLIES))
    if rnd.random() < 0.1:
        return _post(rnd, ids, no, when, author, [["at", lz], ["text", " " + text]])
    return _post(rnd, ids, no, when, author, _content(rnd, text))


def _thread(rnd: random.Random, ids: dict, forum: str, n_floors: int, last: datetime, *,
            title: str | None = None, top: bool = False) -> dict:
    ids["tid"] += rnd.randint(1000, 90000)
    lz = "网贷吧务组" if top else _name(rnd)
    first = last - timedelta(minutes=rnd.randint(30 * max(n_floors, 1), 60 * 24 * 20))
    step = (last - first) / max(n_floors - 1, 1)
    opening = "\n".join([_fill(rnd, rnd.choice(OPENING)), _fill(rnd, rnd.choice(PRESSURE)), rnd.choice(ASK)])
    if top:
        opening = "发帖前请先看吧规：\n禁止发布任何人的电话、住址、身份证号。\n禁止发布催收联系方式和代还、口子广告。"
    posts = [_post(rnd, ids, 1, first, lz, _content(rnd, opening))]
    no = 1
    for i in range(1, n_floors):
        no += 2 if rnd.random() < 0.04 else 1  # a deleted floor leaves a gap in the numbering
        when = last if i == n_floors - 1 else first + step * i
        posts.append(_reply(rnd, ids, no, when, lz))
    return {"tid": ids["tid"], "forum": forum, "title": title or _fill(rnd, rnd.choice(TITLES)), "author": lz,
            "uid": posts[0]["uid"], "top": top, "deleted": False,
            "style": "new" if rnd.random() < 0.4 else "old", "posts": posts}


def _last_times(rnd: random.Random, n: int) -> list[datetime]:
    """Last-reply times newest first: some today, most this year, a few in earlier years."""
    out = []
    for i in range(n):
        if i < n // 5:
            age = timedelta(minutes=rnd.randint(1, 15 * 60))  # today: the list shows HH:MM
        elif i < n * 4 // 5:
            age = timedelta(days=rnd.randint(1, 300), minutes=rnd.randint(0, 1439))
        else:
            age = timedelta(days=rnd.randint(330, 1200), minutes=rnd.randint(0, 1439))
        out.append(ANCHOR - age)
    return sorted(out, reverse=True)


def generate(seed: int = SEED) -> dict:
    rnd = random.Random(seed)
    ids = {"tid": 8_900_000_000, "pid": 148_000_000_000}
    forums = {"网贷": 55, "催收": 25, "逾期": 15, "上岸": 0}
    threads: list[dict] = []
    for forum, n in forums.items():
        if forum == "网贷":
            threads.append(_thread(rnd, ids, forum, 3, ANCHOR - timedelta(days=400),
                                   title="【吧规】发帖前必看，禁止发布个人信息和催收联系方式", top=True))
        times = _last_times(rnd, n)
        for i, last in enumerate(times):
            if i in (2, 9, 17, 26, 33):
                floors = rnd.randint(31, 85)  # several pages
            elif i == 5:
                floors = 30  # exactly one full page
            elif i == 6:
                floors = 31  # one floor on the second page
            else:
                floors = rnd.randint(1, 24)
            threads.append(_thread(rnd, ids, forum, floors, last))
    by_forum = {f: [t for t in threads if t["forum"] == f] for f in forums}
    wd = by_forum["网贷"]
    wd[4]["deleted"] = True  # still listed; its page says the thread was deleted
    wd[7]["posts"][min(3, len(wd[7]["posts"]) - 1)]["content"] = [["img"], ["emo", "image_emoticon3"], ["br"], ["img"]]
    return {
        "seed": seed,
        "anchor": ANCHOR.isoformat(),
        "floors_per_page": 30,
        "threads_per_page": 50,
        "forums": {
            "网贷": {"fid": 1522337, "members": "12.6万", "dup_page_starts": True},
            "催收": {"fid": 2381467, "members": "3.1万"},
            "逾期": {"fid": 877032, "members": "8.4万", "stale_pager": True},
            "上岸": {"fid": 30218775, "members": "126"},
        },
        "blocked_forums": ["黑户"],
        "threads": threads,
        # real shapes (issue 14): ad blocks between floors on these threads' pages, and list
        # pages answered in the mobile layout (forum -> the pn values that are)
        "ad_threads": [t["tid"] for t in by_forum["催收"] if len(t["posts"]) >= 9][:4],
        "mobile_lists": {"催收": [0]},
    }


def add_replies(data: dict, tid: int, n: int, seed: int = 7, minutes_ago: int = 5) -> dict:
    """Append ``n`` replies to thread ``tid``, the newest ``minutes_ago`` before the anchor
    (so the thread moves to the top of its forum's list)."""
    rnd = random.Random(seed * 1_000_003 + tid)
    thread = next(t for t in data["threads"] if t["tid"] == tid)
    ids = {"tid": 0, "pid": max(p["pid"] for t in data["threads"] for p in t["posts"])}
    anchor = datetime.fromisoformat(data["anchor"])
    no = thread["posts"][-1]["no"]
    for i in range(n):
        when = anchor - timedelta(minutes=minutes_ago + (n - 1 - i))
        no += 1
        thread["posts"].append(_reply(rnd, ids, no, when, thread["author"]))
    return data


def dump(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE, help="site folder to write _threads.json into")
    args = ap.parse_args(argv)
    (args.out / "_threads.json").write_text(dump(generate()), encoding="utf-8")


if __name__ == "__main__":
    main()
